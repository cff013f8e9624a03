/**
 * Builds the browser client into `web-dist/` (part of `npm run build`, so `npm ci` does it):
 * esbuild bundles `src/client/web/main.tsx` with Preact into `app.js` and its CSS into `app.css`,
 * and copies `index.html` and the icon. The server serves that directory (src/server/http.ts).
 */
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = path.join(ROOT, "src/client/web");

/** Where `npm run build` writes the web app; the server's default web root. */
export const WEB_DIST = path.join(ROOT, "web-dist");

/** Bundles the web app into `outdir` (created if missing); returns the files written. */
export async function buildWeb(outdir: string = WEB_DIST): Promise<string[]> {
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: { app: path.join(SRC, "main.tsx") },
    outdir,
    bundle: true,
    format: "esm",
    platform: "browser",
    // Browsers from 2021 on: phones a few years old included (esbuild refuses safari14: destructuring bug).
    target: ["es2020", "chrome90", "firefox90", "safari15"],
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    sourcemap: "linked",
    legalComments: "linked",
    charset: "utf8",
    metafile: true,
    logLevel: "warning",
  });
  for (const file of ["index.html", "favicon.svg"])
    await copyFile(path.join(SRC, file), path.join(outdir, file));
  return [
    ...Object.keys(result.metafile.outputs).map((f) => path.resolve(ROOT, f)),
    "index.html",
    "favicon.svg",
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = process.argv[2] ? path.resolve(process.argv[2]) : WEB_DIST;
  buildWeb(outdir).then(
    () => process.stdout.write(`web app built in ${path.relative(process.cwd(), outdir) || "."}\n`),
    (err: unknown) => {
      process.stderr.write(`web build failed: ${(err as Error)?.message ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
