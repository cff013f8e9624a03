/**
 * Builds the browser client into `web-dist/` (part of `npm run build`, so `npm ci` does it):
 * esbuild bundles `src/client/web/main.tsx` with Preact into `app.js` and its CSS into `app.css`,
 * and copies `index.html` and the icon. The server serves that directory (src/server/http.ts).
 * Issue 13 item 1: the terminal client goes there too, as one dependency-free file `papo.mjs`.
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

/** The file name of the bundled terminal client, in the web root (served as `/papo.mjs`). */
export const CLIENT_FILE = "papo.mjs";

/**
 * Issue 13 item 1: bundles the terminal client (`src/client/standalone.ts`) into `outdir/papo.mjs`,
 * one ES module that runs with `node papo.mjs connect HOST` and nothing else installed: every
 * package it uses (picocolors, ...) is inside, only Node's built-ins are imported. Not minified, so
 * whoever downloads it can read what they run. Returns the file written.
 */
export async function buildClient(outdir: string = WEB_DIST): Promise<string> {
  await mkdir(outdir, { recursive: true });
  const outfile = path.join(outdir, CLIENT_FILE);
  await build({
    entryPoints: [path.join(ROOT, "src/client/standalone.ts")],
    outfile,
    bundle: true,
    format: "esm",
    // platform node: `node:*` built-ins stay imports; everything else is bundled in.
    platform: "node",
    target: "node20",
    // The entry's `#!/usr/bin/env node` is kept, so `chmod +x papo.mjs` works too.
    legalComments: "inline",
    charset: "utf8",
    logLevel: "warning",
  });
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = process.argv[2] ? path.resolve(process.argv[2]) : WEB_DIST;
  Promise.all([buildWeb(outdir), buildClient(outdir)]).then(
    () => process.stdout.write(`web app built in ${path.relative(process.cwd(), outdir) || "."}\n`),
    (err: unknown) => {
      process.stderr.write(`web build failed: ${(err as Error)?.message ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
