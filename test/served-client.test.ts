/**
 * Issue 13 item 1, "get the client from the server": the web listener serves the terminal client
 * as one dependency-free file, `/papo.mjs`; the start-up banner and the web page say how to run
 * it. The file is downloaded over HTTP as a user would, copied into an empty directory outside the
 * repository (no node_modules anywhere above it), and run with plain `node` against a server on
 * port 0.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { buildClient, buildWeb, CLIENT_FILE } from "../scripts/build-web.ts";
import { terminalCommand } from "../src/client/web/terminal-hint.ts";
import { catalogue } from "../src/i18n/index.ts";
import { webCatalogue } from "../src/i18n/web.ts";
import { lanAddresses } from "../src/server/addresses.ts";
import { DEFAULT_WEB_ROOT, CLIENT_FILE as SERVED_FILE } from "../src/server/http.ts";
import { CHROMIUM, launchChromium } from "./chromium.ts";
import { ClientProcess, RawUser, ROOT } from "./client-helpers.ts";
import { startWebTestServer, type WebTestServer } from "./web-helpers.ts";

// Generous: a fresh Node process, and esbuild, on a machine shared with other suites.
const TIMEOUT_MS = 120_000;

describe("issue 13 item 1: the terminal client served as one file", { timeout: TIMEOUT_MS }, () => {
  let webRoot: string;
  let server: WebTestServer;
  before(async () => {
    webRoot = await mkdtemp(path.join(os.tmpdir(), "papo-served-"));
    await buildClient(webRoot);
    await writeFile(path.join(webRoot, "index.html"), "<!doctype html><title>t</title>");
    server = await startWebTestServer({ webRoot });
  });
  after(async () => {
    await server?.close();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
  });

  it("item 13.1: GET /papo.mjs is the client, as text/javascript, cached like the other static files", async () => {
    assert.equal(SERVED_FILE, CLIENT_FILE);
    const res = await fetch(`${server.origin}/${CLIENT_FILE}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
    const page = await fetch(`${server.origin}/`);
    await page.arrayBuffer();
    assert.equal(res.headers.get("cache-control"), page.headers.get("cache-control"));
    const etag = res.headers.get("etag") ?? "";
    assert.ok(etag, "an ETag");
    const body = await res.text();
    assert.ok(body.startsWith("#!/usr/bin/env node\n"), "a Node script");
    // Dependency-free: every import is one of Node's built-ins.
    const imports = [...body.matchAll(/(?:\bfrom|^import|\bimport\()\s*["']([^"']+)["']/gm)].map((m) => m[1]);
    assert.ok(imports.length > 0, "found the imports");
    for (const spec of imports) assert.match(String(spec), /^node:/, `import of ${spec}`);
    assert.doesNotMatch(body, /\brequire\(["'](?!node:)/, "no require() of a package");
    const again = await fetch(`${server.origin}/${CLIENT_FILE}`, { headers: { "If-None-Match": etag } });
    assert.equal(again.status, 304);
  });

  it("item 13.1: the downloaded papo.mjs, alone in an empty directory, connects and chats", async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), "papo-nothing-installed-"));
    const bob = await RawUser.join(server.port, "bob");
    let ana: ClientProcess | undefined;
    try {
      const res = await fetch(`${server.origin}/${CLIENT_FILE}`);
      await writeFile(path.join(empty, CLIENT_FILE), Buffer.from(await res.arrayBuffer()));
      // Nothing to resolve packages from: not this repository, not NODE_PATH.
      for (let dir = empty; ; dir = path.dirname(dir)) {
        assert.ok(!existsSync(path.join(dir, "node_modules")), `no node_modules in ${dir}`);
        if (path.dirname(dir) === dir) break;
      }
      assert.ok(path.relative(ROOT, empty).startsWith(".."), "outside the repository");
      ana = new ClientProcess(
        [`127.0.0.1:${server.port}`, "--name", "ana", "--no-reconnect"],
        { NODE_PATH: "" },
        { argv: [CLIENT_FILE, "connect"], cwd: empty },
      );
      await ana.waitFor("Hello, ana!");
      ana.send("oi, do papo.mjs");
      await bob.waitFor("ana: oi, do papo.mjs");
      bob.send("olá, ana");
      await ana.waitFor("bob: olá, ana");
      ana.send("/quit");
      assert.equal(await ana.exitCode(), 0);
    } finally {
      ana?.kill();
      bob.close();
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("item 13.1: node papo.mjs --help and --version; serve is refused with one line", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(webRoot, CLIENT_FILE), ...args], {
          env: { ...process.env, LANG: "C", LC_ALL: "", LC_MESSAGES: "" },
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => {
          out += d;
        });
        child.stderr.on("data", (d) => {
          err += d;
        });
        child.on("close", (code) => resolve({ code, out, err }));
      });
    const version = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")).version as string;
    assert.deepEqual(await run(["--version"]), { code: 0, out: `${version}\n`, err: "" });
    const help = await run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /node papo\.mjs connect \[HOST\]\[:PORT\]/);
    const serve = await run(["serve"]);
    assert.equal(serve.code, 2);
    assert.equal(serve.err.trim().split("\n").length, 1);
    assert.match(serve.err, /"serve" is not a client command/);
  });

  it("item 13.1: /connect.json gives the chat's port and the client's path (none when not built)", async () => {
    const res = await fetch(`${server.origin}/connect.json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    assert.deepEqual(await res.json(), { port: server.port, client: `/${CLIENT_FILE}` });
    const bare = await mkdtemp(path.join(os.tmpdir(), "papo-served-bare-"));
    const other = await startWebTestServer({ webRoot: bare });
    try {
      const r = await fetch(`${other.origin}/connect.json`);
      assert.deepEqual(await r.json(), { port: other.port });
    } finally {
      await other.close();
      await rm(bare, { recursive: true, force: true });
    }
  });
});

it("item 13.1: the page's command: the host the browser used, the chat port, --tls for an HTTPS page", () => {
  const info = { port: 7777, tlsPort: 7778, client: "/papo.mjs" };
  assert.equal(
    terminalCommand("http://192.168.1.5:7780/", info),
    "curl -O http://192.168.1.5:7780/papo.mjs && node papo.mjs connect 192.168.1.5:7777",
  );
  assert.equal(
    terminalCommand("http://[fd00::2]:7780/?x#y", info),
    "curl -O http://[fd00::2]:7780/papo.mjs && node papo.mjs connect [fd00::2]:7777",
  );
  assert.equal(
    terminalCommand("https://chat.example.org/", info),
    "curl -O https://chat.example.org/papo.mjs && node papo.mjs connect --tls chat.example.org:7778",
  );
  // Nothing to download, an older server, or nonsense: no hint.
  for (const bad of [
    null,
    "x",
    {},
    { port: 7777 },
    { port: 0, client: "/papo.mjs" },
    { port: 7777, client: "//evil/x.mjs" },
  ])
    assert.equal(terminalCommand("http://h:7780/", bad), null, JSON.stringify(bad));
});

/** What `papo serve` prints at start in `lang`, up to the console's line; the server is stopped. */
async function bannerOf(lang: "en" | "pt-BR"): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli.ts",
      "serve",
      "--port",
      "0",
      "--http-port",
      "0",
      "--no-store",
      "--lang",
      lang,
    ],
    { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] },
  );
  const closed = new Promise((resolve) => child.once("close", resolve));
  let out = "";
  child.stdout.setEncoding("utf8");
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: string) => {
        out += d;
        if (out.includes(catalogue(lang).server.consoleReady)) resolve();
      });
      void closed.then(() => reject(new Error(`papo serve exited:\n${out}`)));
      timer = setTimeout(() => reject(new Error(`no console line within 60 s:\n${out}`)), 60_000);
    });
  } finally {
    clearTimeout(timer);
    child.kill("SIGTERM");
    await closed;
  }
  return out;
}

it("item 13.1: the start-up banner says how to get the client (en, pt-BR)", {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const lan = lanAddresses();
  if (!lan.length) return t.skip("no LAN address: the banner has no join hints to check");
  // The CLI serves the package's own web-dist/, built by `npm run build` (npm ci does it).
  assert.ok(
    existsSync(path.join(DEFAULT_WEB_ROOT, CLIENT_FILE)),
    `${CLIENT_FILE} is built: run npm run build`,
  );
  for (const lang of ["en", "pt-BR"] as const) {
    const out = await bannerOf(lang);
    const port = /:(\d+)\n/.exec(out)?.[1];
    const web = /http:\/\/localhost:(\d+)\//.exec(out)?.[1];
    assert.ok(port && web, out);
    const host = lan[0] ?? "";
    const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${web}/${CLIENT_FILE}`;
    const expected = webCatalogue(lang).serve.clientJoinWith({ url, address });
    assert.ok(out.split("\n").includes(expected), `banner has ${JSON.stringify(expected)}:\n${out}`);
    assert.match(expected, new RegExp(`curl -O \\S+/papo\\.mjs && node papo\\.mjs connect \\S+:${port}$`));
  }
});

const haveChromium = existsSync(CHROMIUM);

describe("issue 13 item 1: the web page says how to join from a terminal (Chromium)", {
  skip: haveChromium || process.env.CI === "true" ? false : "Chromium not installed",
  timeout: TIMEOUT_MS,
}, () => {
  let browser: Browser;
  let webRoot: string;
  let server: WebTestServer;
  before(async () => {
    webRoot = await mkdtemp(path.join(os.tmpdir(), "papo-served-page-"));
    [browser] = await Promise.all([launchChromium(), buildWeb(webRoot), buildClient(webRoot)]);
    server = await startWebTestServer({ webRoot });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
  });

  it("item 13.1: the name screen shows the curl and node command, in English and Portuguese", async () => {
    for (const [locale, lang] of [
      ["en-US", "en"],
      ["pt-BR", "pt-BR"],
    ] as const) {
      const context = await browser.newContext({ locale });
      try {
        const page = await context.newPage();
        await page.goto(`${server.origin}/`);
        const hint = page.locator(".terminal-hint");
        await hint.waitFor({ timeout: 10_000 });
        assert.equal(
          await hint.locator("code").textContent(),
          `curl -O ${server.origin}/papo.mjs && node papo.mjs connect 127.0.0.1:${server.port}`,
        );
        assert.ok((await hint.textContent())?.startsWith(webCatalogue(lang).page.terminalHint));
      } finally {
        await context.close();
      }
    }
  });
});
