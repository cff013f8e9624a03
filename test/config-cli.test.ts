/**
 * Issue 13, the configuration file, as an operator meets it: `papo serve` in a child process with a
 * TOML file, PAPO_… variables and flags (flag over environment over file), `--print-config`, the
 * one-line errors (exit 2), and docs/papo.example.toml. The pure parts are config-unit.test.ts.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { TextClient } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "src/cli.ts");
// Absolute, so a child started in another directory (to find its ./papo.toml) still loads tsx.
const TSX = import.meta.resolve("tsx");
const EXAMPLE = path.join(ROOT, "docs/papo.example.toml");

const dirs: string[] = [];
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A private directory holding `files`. */
function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "papo-config-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** `papo serve ARGS` in `cwd`, with only the PAPO_ variables given (none from this process). */
function serve(
  args: string[],
  { cwd = ROOT, env = {} }: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Run {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PAPO_")));
  const child = spawn(process.execPath, ["--import", TSX, CLI, "serve", ...args], {
    cwd,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...base, LANG: "en_US.UTF-8", LC_ALL: "", ...env },
  });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** Runs `--print-config`; expects exit 0 and returns what it printed. */
async function printConfig(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const r = serve([...args, "--print-config"], opts);
  assert.equal(await r.exited, 0, r.err());
  assert.equal(r.err(), "");
  return r.out();
}

/** Expects exit 2 and one line on stderr matching `re`, no stack trace. */
async function refused(r: Run, re: RegExp): Promise<void> {
  assert.equal(await r.exited, 2, r.err());
  const lines = r.err().trim().split("\n");
  assert.equal(lines.length, 1, r.err());
  assert.match(lines[0] ?? "", /^papo: /);
  assert.match(lines[0] ?? "", re);
  assert.doesNotMatch(r.err(), /\bat \S+:\d+:\d+/);
  assert.equal(r.out(), "");
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const FILE = [
  "# a comment",
  "port = 7001",
  'log-level = "warn"',
  "hide-addresses = true",
  'data = "history"',
  "",
  "[limits]",
  "floodBurst = 11",
  "maxRooms = 12",
  "maxNameLength = 13",
  "",
].join("\n");

// Each child loads TypeScript through tsx: seconds apiece on a loaded machine.
describe("papo serve with a configuration file (issue 13)", { timeout: 600_000 }, () => {
  it("flag over environment over file over default, each shown with its source by --print-config", async () => {
    const dir = dirWith({ "papo.toml": FILE });
    // No --config: ./papo.toml in the working directory is read.
    const out = await printConfig(["--port", "7003", "--limit", "maxNameLength=33", "--log-messages"], {
      cwd: dir,
      env: {
        PAPO_PORT: "7002",
        PAPO_LIMIT_MAX_ROOMS: "22",
        PAPO_PASSWORD: "hunter2",
        PAPO_HIDE_ADDRESSES: "0",
      },
    });
    assert.match(out, /^# Configuration file: papo\.toml$/m);
    assert.match(out, /^port = 7003 +# flag --port$/m);
    assert.match(out, /^log-messages = true +# flag --log-messages$/m);
    assert.match(out, /^hide-addresses = false +# env PAPO_HIDE_ADDRESSES$/m);
    assert.match(out, /^password = "\*\*\*" +# env PAPO_PASSWORD$/m);
    assert.match(out, /^log-level = "warn" +# file papo\.toml:3$/m);
    // A relative path in the file is taken from the file's directory.
    assert.match(
      out,
      new RegExp(
        `^data = ${JSON.stringify(path.join(dir, "history")).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} +# file papo\\.toml:5$`,
        "m",
      ),
    );
    assert.match(out, /^http-port = 7780 +# default$/m);
    assert.match(out, /^# host: not set +# default$/m);
    assert.match(out, /^maxNameLength = 33 +# flag --limit$/m);
    assert.match(out, /^maxRooms = 22 +# env PAPO_LIMIT_MAX_ROOMS$/m);
    assert.match(out, /^floodBurst = 11 +# file papo\.toml:8$/m);
    assert.match(out, /^maxLineBytes = 2048 +# default$/m);
    assert.doesNotMatch(out, /hunter2/);
    // Every option of papo serve and every limit is listed once.
    for (const name of Object.keys(DEFAULT_LIMITS))
      assert.equal(out.match(new RegExp(`^${name} = `, "gm"))?.length, 1, name);
    // What it prints is TOML (secrets masked, unset values as comments).
    parseToml(out);
  });

  it("--config FILE or PAPO_CONFIG names the file; the flag wins; without either, ./papo.toml only if present", async () => {
    const dir = dirWith({
      "papo.toml": "port = 7001\n",
      "a.toml": "port = 7011\n",
      "b.toml": "port = 7022\n",
    });
    const [a, b, none] = await Promise.all([
      printConfig(["--config", "a.toml"], { cwd: dir, env: { PAPO_CONFIG: "b.toml" } }),
      printConfig([], { cwd: dir, env: { PAPO_CONFIG: "b.toml" } }),
      printConfig([], { cwd: dirWith({}) }),
    ]);
    assert.match(a, /^port = 7011 +# file a\.toml:1$/m);
    assert.match(b, /^port = 7022 +# file b\.toml:1$/m);
    assert.match(none, /^# No configuration file/m);
    assert.match(none, /^port = 7777 +# default$/m);
  });

  it("the kept variables PAPO_DATA and PAPO_REDIS_URL; the URL's password is masked; a flag beats a variable it excludes", async () => {
    const [out, cluster, memory] = await Promise.all([
      printConfig([], { cwd: dirWith({}), env: { PAPO_DATA: "/srv/papo" } }),
      printConfig([], { cwd: dirWith({}), env: { PAPO_REDIS_URL: "redis://:s3cret@cache:6379/2" } }),
      printConfig(["--no-store"], { cwd: dirWith({}), env: { PAPO_DATA: "/srv/papo" } }),
    ]);
    assert.match(out, /^data = "\/srv\/papo" +# env PAPO_DATA$/m);
    assert.match(cluster, /^redis = "redis:\/\/:\*\*\*@cache:6379\/2" +# env PAPO_REDIS_URL$/m);
    assert.doesNotMatch(cluster, /s3cret/);
    assert.match(memory, /^# data = "\/srv\/papo" +# env PAPO_DATA, overridden by flag --no-store$/m);
    assert.match(memory, /^no-store = true +# flag --no-store$/m);
  });

  it("the file's settings reach the server; a flag overrides the file's port", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const busy = (blocker.address() as net.AddressInfo).port;
    const dir = dirWith({
      "chat.toml": [
        'host = "127.0.0.1"',
        `port = ${busy}`,
        "no-http = true",
        "no-store = true",
        "hide-addresses = true",
        "[limits]",
        "maxNameLength = 5",
      ].join("\n"),
    });
    const p = serve(["--config", path.join(dir, "chat.toml"), "--port", "0"], {
      env: { PAPO_LIMIT_HISTORY_ON_JOIN: "0" },
    });
    await until(
      () => /listening on 127\.0\.0\.1:\d+/.test(p.out()) || p.child.exitCode !== null,
      `startup: ${p.err()}`,
    );
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(p.out())?.[1]);
    assert.notEqual(port, busy);
    assert.doesNotMatch(p.out(), /Web app/);
    const c = new TextClient(port);
    await c.waitFor("Choose a name");
    c.line("abcdefg");
    await c.waitFor("! Invalid name: it is too long.");
    c.line("abcde");
    await c.waitFor("Hello, abcde!");
    // hide-addresses: no IP:port in the greeting.
    assert.doesNotMatch(c.lines.join("\n"), /127\.0\.0\.1:\d+/);
    c.close();
    p.child.kill("SIGTERM");
    assert.equal(await p.exited, 0);
    blocker.close();
  });

  it("an unknown key, a bad value, an unreadable or broken file: one line naming the file, key and line; exit 2", async () => {
    const dir = dirWith({
      "typo.toml": "port = 7001\nhide-adresses = true\n",
      "limit.toml": "[limits]\n\nfloodburst = 3\n",
      "value.toml": 'port = 7001\nlang = "fr"\n',
      "broken.toml": 'port = 7001\nhost = "no end\n',
    });
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [
        ["--config", "typo.toml"],
        {},
        /typo\.toml:2: unknown key "hide-adresses" \(did you mean "hide-addresses"\?\)/,
      ],
      [
        ["--config", "limit.toml"],
        {},
        /limit\.toml:3: unknown limit "floodburst" in \[limits\] \(did you mean "floodBurst"\?\)/,
      ],
      [["--config", "value.toml"], {}, /value\.toml:2: lang: unknown language "fr"/],
      [["--config", "broken.toml"], {}, /broken\.toml:2: not valid TOML/],
      [["--config", "missing.toml"], {}, /cannot read the configuration file missing\.toml: no such file/],
      [[], { PAPO_HTTP_PORT: "80a" }, /PAPO_HTTP_PORT: expected a port number \(0 to 65535\), got "80a"/],
      // Two flags that exclude each other: refused as before there was a file.
      [["--data", "d", "--no-store"], {}, /--data and --no-store contradict each other/],
      // --print-config is refused the same way: it checks everything first.
      [["--config", "typo.toml", "--print-config"], {}, /typo\.toml:2: unknown key "hide-adresses"/],
      [["--print-config"], { PAPO_HTTP_PORT: "80a" }, /PAPO_HTTP_PORT: expected a port number/],
      [["--data", "d", "--no-store", "--print-config"], {}, /--data and --no-store contradict each other/],
    ];
    // A broken ./papo.toml is refused too, but does not hide --help.
    const broken = dirWith({ "papo.toml": "prot = 1\n" });
    const runs = [
      ...cases.map(
        ([args, env, re]) =>
          () =>
            refused(serve(args, { cwd: dir, env }), re),
      ),
      () => refused(serve([], { cwd: broken }), /papo\.toml:1: unknown key "prot"/),
      async () => {
        const help = serve(["--help"], { cwd: broken });
        assert.equal(await help.exited, 0);
        assert.match(help.out(), /--config FILE/);
      },
    ];
    // Five at a time: each child loads TypeScript through tsx, on a machine others share.
    for (let i = 0; i < runs.length; i += 5) await Promise.all(runs.slice(i, i + 5).map((run) => run()));
  });

  it("docs/papo.example.toml parses, every key in it is known, and it shows every option", async () => {
    const out = await printConfig(["--config", EXAMPLE], { cwd: dirWith({}) });
    // The options and limits papo knows, as --print-config lists them.
    const [options = "", limits = ""] = out.split(/^\[limits\]$/m);
    const known = (text: string) =>
      new Set([...text.matchAll(/^(?:# )?([A-Za-z][\w-]*)(?: =|: )/gm)].map((m) => m[1] as string));
    const knownOptions = known(options);
    const knownLimits = known(limits);
    assert.ok(knownOptions.has("port") && knownLimits.has("floodBurst"));
    // Every key the example sets or shows commented out, in its table.
    const example = readFileSync(EXAMPLE, "utf8");
    const [exOptions = "", exLimits = ""] = example.split(/^\[limits\]$/m);
    const keys = (text: string) =>
      [...text.matchAll(/^#? ?([A-Za-z][\w-]*) = /gm)].map((m) => m[1] as string);
    for (const key of keys(exOptions))
      assert.ok(knownOptions.has(key), `unknown option "${key}" in the example`);
    for (const key of keys(exLimits))
      assert.ok(knownLimits.has(key), `unknown limit "${key}" in the example`);
    const missing = [...knownOptions].filter((o) => !keys(exOptions).includes(o));
    assert.deepEqual(
      missing,
      [],
      "options of papo serve missing from docs/papo.example.toml (add them, commented out)",
    );
    // The example's active values are what it starts with.
    assert.match(out, /^port = 7777 +# file .*papo\.example\.toml:\d+$/m);
    assert.match(out, /^retentionMessages = 100000 +# file .*papo\.example\.toml:\d+$/m);
  });
});
