/**
 * Issue 13 item 2: the package is ready to publish. `npm pack` makes the tarball, and a global
 * install of that tarball into a temporary prefix gives a `papo` that starts a server, connects to
 * it and serves the one-file client.
 *
 * The tarball packs what `npm run build` made (dist/, web-dist/: `npm ci` builds them): packing
 * with `--ignore-scripts` does not rebuild them under the other suites' feet, while a real publish
 * runs `prepare` (the build) first. The install uses `--prefer-offline`: what `npm ci` left in the
 * npm cache is used, and only what is missing there (the registry's metadata for the runtime
 * dependencies, which `npm ci` does not fetch) comes from the registry. better-sqlite3, optional,
 * is installed without running its install script (`--ignore-scripts`; npm 11 still installs an
 * optional dependency of a global install with `--omit=optional`), so it is not compiled, as when
 * compiling fails: compiling it takes minutes (measured: about 5 min on a busy two-core machine,
 * after which the installed papo kept its history in SQLite). papo then keeps history in memory,
 * says so in one line, and refuses an explicit `--data` with one line.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { VERSION } from "../src/server/version.ts";
import { ClientProcess, RawUser, ROOT } from "./client-helpers.ts";

const run = promisify(execFile);
// npm fetching metadata on a machine shared with other suites: minutes, not seconds.
const INSTALL_TIMEOUT_MS = 15 * 60_000;

interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
}

async function packageJson(): Promise<PackageJson> {
  return JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as PackageJson;
}

/** Every .js file under `dir`. */
async function jsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile() && e.name.endsWith(".js")) out.push(path.join(e.parentPath, e.name));
  return out;
}

/** The packages (not node: built-ins, not relative paths) a built file imports. */
function importedPackages(source: string): string[] {
  const specs = [
    ...source.matchAll(/(?:\bfrom|^import|\bimport\(|\brequire\()\s*["']([^"'.][^"']*)["']/gm),
  ].map((m) => m[1] ?? "");
  return specs
    .filter((s) => !s.startsWith("node:"))
    .map((s) => (s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : (s.split("/")[0] ?? s)));
}

it("item 13.2: package.json: bin with a shebang, files, and every runtime import in dependencies", async () => {
  const pkg = await packageJson();
  assert.equal(pkg.version, VERSION, "src/server/version.ts follows package.json");
  assert.deepEqual(pkg.bin, { papo: "dist/cli.js" });
  assert.equal((await readFile(path.join(ROOT, "src/cli.ts"), "utf8")).split("\n")[0], "#!/usr/bin/env node");
  for (const f of ["dist", "web-dist", "docs", "README.md"])
    assert.ok(pkg.files.includes(f), `files has ${f}`);
  assert.match(pkg.engines.node, />=\s*20/);
  assert.ok(pkg.optionalDependencies["better-sqlite3"], "better-sqlite3 is optional");
  const runtime = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)]);
  for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!runtime.has(dev), `${dev} is not both`);
  // What the built server imports at run time must be installed for users, not only for developers.
  assert.ok(existsSync(path.join(ROOT, "dist/cli.js")), "dist/ is built: run npm run build");
  assert.equal(
    (await readFile(path.join(ROOT, "dist/cli.js"), "utf8")).split("\n")[0],
    "#!/usr/bin/env node",
  );
  const used = new Set<string>();
  for (const file of await jsFiles(path.join(ROOT, "dist")))
    for (const p of importedPackages(await readFile(file, "utf8"))) used.add(p);
  assert.ok(used.has("ws"), `found the imports: ${[...used].join(", ")}`);
  for (const p of used) assert.ok(runtime.has(p), `${p} (imported by dist/) is in dependencies`);
});

describe("item 13.2: npm pack, then npm install -g of the tarball into a temporary prefix", {
  timeout: INSTALL_TIMEOUT_MS,
}, () => {
  let tmp: string;
  let prefix: string;
  let tarball: string;
  let packed: string[];
  before(async () => {
    for (const f of ["dist/cli.js", "web-dist/index.html", "web-dist/papo.mjs"])
      assert.ok(existsSync(path.join(ROOT, f)), `${f} is built: run npm run build`);
    tmp = await mkdtemp(path.join(os.tmpdir(), "papo-pack-"));
    prefix = path.join(tmp, "prefix");
    const { stdout } = await run(
      "npm",
      ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp, "--no-audit", "--no-fund"],
      { cwd: ROOT, maxBuffer: 16 << 20 },
    );
    const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    assert.ok(info);
    tarball = path.join(tmp, info.filename);
    packed = info.files.map((f) => f.path);
    // Installed from the temporary directory, so nothing of this repository is found by accident.
    await run(
      "npm",
      [
        "install",
        "--global",
        "--prefix",
        prefix,
        tarball,
        "--ignore-scripts",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
      ],
      { cwd: tmp, maxBuffer: 16 << 20, timeout: INSTALL_TIMEOUT_MS },
    );
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("item 13.2: the tarball has the build, the web app, the one-file client and the docs, not the sources", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "dist/cli.js", "web-dist/index.html", "web-dist/app.js"])
      assert.ok(packed.includes(f), `packed ${f}`);
    for (const f of ["web-dist/papo.mjs", "docs/papo.service", "docs/operations.md"])
      assert.ok(packed.includes(f), `packed ${f}`);
    // Issue 14: the optional native write helper's source and build script (the install builds it).
    for (const f of ["native/binding.gyp", "native/direct_write.c", "native/build.mjs"])
      assert.ok(packed.includes(f), `packed ${f}`);
    assert.ok(!packed.some((f) => f.startsWith("native/build/")), "no built helper in the tarball");
    for (const f of packed) assert.doesNotMatch(f, /^(src|test|bench|scripts|node_modules)\//, f);
  });

  it("item 13.2: the installed papo runs: --version, --help, serve, connect, and it serves papo.mjs", async () => {
    const bin = path.join(prefix, "bin", "papo");
    // Executed directly: the shebang and the executable bit work through npm's link.
    const version = await run(bin, ["--version"], { cwd: tmp });
    assert.equal(version.stdout, `${VERSION}\n`);
    const help = await run(bin, ["--help"], { cwd: tmp });
    assert.match(help.stdout, /papo serve/);
    assert.match(help.stdout, /papo connect/);
    // better-sqlite3 left out: an explicit --data is refused with one line.
    const refused = await run(bin, ["serve", "--port", "0", "--no-http", "--data", path.join(tmp, "data")], {
      cwd: tmp,
    }).then(
      () => assert.fail("serve --data without SQLite should fail"),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--data needs SQLite/);
    assert.equal(refused.stderr.trim().split("\n").length, 1);

    const server: ChildProcess = spawn(
      bin,
      ["serve", "--host", "127.0.0.1", "--port", "0", "--http-port", "0"],
      {
        cwd: tmp,
        env: { ...process.env, LANG: "C", LC_ALL: "", LC_MESSAGES: "" },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    server.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    server.stderr?.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const closed = new Promise<number | null>((resolve) => server.on("close", resolve));
    let bob: RawUser | undefined;
    let ana: ClientProcess | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.includes("/help")) resolve();
        };
        server.stdout?.on("data", check);
        void closed.then(() => reject(new Error(`papo serve exited:\n${out}\n${err}`)));
      });
      // SQLite missing and no --data: memory, and one line that says so.
      assert.match(err, /SQLite is not available here/);
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      const web = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1];
      assert.ok(port > 0 && web, out);
      const client = await fetch(`http://127.0.0.1:${web}/papo.mjs`);
      assert.equal(client.status, 200);
      assert.equal(client.headers.get("content-type"), "text/javascript; charset=utf-8");
      await client.arrayBuffer();

      bob = await RawUser.join(port, "bob");
      ana = new ClientProcess(
        [`127.0.0.1:${port}`, "--name", "ana", "--no-reconnect"],
        {},
        {
          argv: [bin, "connect"],
          cwd: tmp,
        },
      );
      await ana.waitFor("Hello, ana!");
      ana.send("oi, do papo instalado");
      await bob.waitFor("ana: oi, do papo instalado");
      bob.send("olá");
      await ana.waitFor("bob: olá");
      ana.send("/quit");
      assert.equal(await ana.exitCode(), 0);
    } finally {
      ana?.kill();
      bob?.close();
      server.kill("SIGTERM");
    }
    assert.equal(await closed, 0, `papo serve stops cleanly on SIGTERM:\n${out}\n${err}`);
  });
});
