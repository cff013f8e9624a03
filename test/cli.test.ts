/**
 * `papo serve` as a real child process: startup output, one-line errors (S2), the operator
 * console through a pipe (S11, item 6), signals, quick restart on the same port, logs (S14).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { TextClient } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** Every child started here: one a failed test left running is killed at the end, so the file exits. */
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function papo(args: string[], stdin: "pipe" | "ignore" = "pipe", env: NodeJS.ProcessEnv = {}): Proc {
  // Servers here keep history in memory unless a test says otherwise: no shared ./papo-data.
  const store =
    args[0] === "serve" && !args.includes("--data") && !args.includes("--no-store") ? ["--no-store"] : [];
  // Nor IRC, unless a test asks for it: 6667 (the default) may be taken on this machine.
  const irc = args[0] === "serve" && !args.some((a) => a.includes("irc")) ? ["--no-irc"] : [];
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args, ...store, ...irc], {
    cwd: ROOT,
    stdio: [stdin, "pipe", "pipe"],
    env: { ...process.env, LANG: "en_US.UTF-8", LC_ALL: "", ...env },
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (d) => {
    out += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d) => {
    err += d;
  });
  children.add(child);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function until(check: () => boolean, what: string, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function serve(
  extra: string[] = [],
  stdin: "pipe" | "ignore" = "pipe",
): Promise<Proc & { port: number }> {
  const p = papo(["serve", "--host", "127.0.0.1", "--port", "0", "--no-http", ...extra], stdin);
  await until(() => /listening on 127\.0\.0\.1:\d+/.test(p.out()), `startup; stderr: ${p.err()}`);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(p.out())?.[1]);
  return { ...p, port };
}

describe("papo serve (command line)", () => {
  it("S2/item 2: --port 0 picks a free port and prints the listener's address", async () => {
    const p = await serve();
    assert.ok(p.port > 0);
    const c = await TextClient.join(p.port, "cli_a");
    c.close();
    p.child.kill("SIGTERM");
    assert.equal(await p.exited, 0);
  });

  it("item 2: binding all interfaces prints the addresses others on the network can use", async () => {
    const p = papo(["serve", "--port", "0", "--no-http"]);
    await until(() => /listening on/.test(p.out()) && /Console:/.test(p.out()), "startup");
    assert.match(p.out(), /papo is listening on 0\.0\.0\.0:\d+/);
    // This machine may have no LAN interface; when it has one, the hint names it.
    if (/Others on your network/.test(p.out())) assert.match(p.out(), /papo connect \S+:\d+ +or +nc \S+ \d+/);
    p.child.kill("SIGTERM");
    assert.equal(await p.exited, 0);
  });

  it("S2: a busy port gives one clear line on stderr and a non-zero exit, no stack trace", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as net.AddressInfo).port;
    const p = papo(["serve", "--host", "127.0.0.1", "--port", String(port), "--no-http"]);
    assert.equal(await p.exited, 1);
    const lines = p.err().trim().split("\n");
    assert.equal(lines.length, 1, p.err());
    assert.match(lines[0] ?? "", /papo could not start: the address 127\.0\.0\.1:\d+ is already in use/);
    assert.doesNotMatch(p.err(), /\bat \S+:\d+:\d+/);
    blocker.close();
  });

  it("S2: a bad option gives one clear line and a non-zero exit", async () => {
    for (const args of [
      ["serve", "--port", "99999"],
      ["serve", "--bogus"],
      ["serve", "--lang", "fr"],
      // Issue 9 item 5: names Object.prototype has are unknown limits too.
      ["serve", "--limit", "toString=1"],
      ["serve", "--limit", "constructor=1"],
      ["serve", "--limit", "hasOwnProperty=1"],
      ["frobnicate"],
    ]) {
      const p = papo(args);
      assert.equal(await p.exited, 2, args.join(" "));
      assert.equal(p.err().trim().split("\n").length, 1, p.err());
      assert.match(p.err(), /^papo: /);
    }
  });

  it("S2: quick restart on the same port after clients were connected", async () => {
    const first = await serve();
    const c = await TextClient.join(first.port, "restart");
    first.child.kill("SIGTERM");
    assert.equal(await first.exited, 0);
    await c.waitClosed();
    const second = papo(["serve", "--host", "127.0.0.1", "--port", String(first.port), "--no-http"]);
    await until(() => /listening on/.test(second.out()) || second.child.exitCode !== null, "restart");
    assert.match(second.out(), new RegExp(`listening on 127\\.0\\.0\\.1:${first.port}`), second.err());
    second.child.kill("SIGTERM");
    assert.equal(await second.exited, 0);
  });

  it("S11/item 6: the console through a pipe — users, announce, kick, then sair shuts down", async () => {
    const p = await serve();
    const a = await TextClient.join(p.port, "pipe_a");
    const b = await TextClient.join(p.port, "pipe_b");
    p.child.stdin?.write("/users\n");
    await until(() => /2 online:/.test(p.out()), "users");
    p.child.stdin?.write("/announce hello from the operator\n");
    await a.waitFor("*** Announcement: hello from the operator");
    p.child.stdin?.write("/kick pipe_b bye bye\n");
    await b.waitFor("*** You were removed by the operator: bye bye");
    await a.waitFor("* pipe_b was removed by the operator: bye bye");
    p.child.stdin?.write("sair fim da aula\n");
    await a.waitFor("*** The server is shutting down: fim da aula");
    await a.waitClosed();
    assert.equal(await p.exited, 0);
    assert.match(p.out(), /Shutting down: fim da aula/);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`S11: ${signal} shuts down the same way: clients told, exit 0`, async () => {
      const p = await serve();
      const a = await TextClient.join(p.port, "sig_a");
      p.child.kill(signal);
      await a.waitFor("*** The server is shutting down.");
      await a.waitClosed();
      assert.equal(await p.exited, 0);
    });
  }

  it("S11: a SIGTERM the moment the server says it is listening, and more during the shutdown, still exit 0", async () => {
    for (let i = 0; i < 3; i++) {
      const p = papo(["serve", "--host", "127.0.0.1", "--port", "0", "--no-http"]);
      p.child.stdout?.on("data", () => {
        if (/listening on/.test(p.out())) p.child.kill("SIGTERM");
      });
      assert.equal(await p.exited, 0, p.err());
    }
  });

  it("item 6: a closed stdin is harmless: the server keeps serving", async () => {
    const p = await serve([], "ignore");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(p.child.exitCode, null);
    const a = await TextClient.join(p.port, "nostdin");
    a.close();
    p.child.kill("SIGTERM");
    assert.equal(await p.exited, 0);
  });

  it("S14/item 9: logs connections with their address on stderr; --log-level warn hides them", async () => {
    const p = await serve();
    const a = await TextClient.join(p.port, "log_a");
    const port = a.socket.localPort;
    a.line("not logged");
    a.line("/quit");
    await a.waitClosed();
    await until(() => /INFO leave/.test(p.err()), "leave log");
    assert.match(p.err(), new RegExp(`INFO connect remote=127\\.0\\.0\\.1:${port}`));
    assert.match(p.err(), /INFO join name=log_a/);
    assert.doesNotMatch(p.err(), /not logged/);
    p.child.kill("SIGTERM");
    await p.exited;

    const q = await serve(["--log-level", "warn"]);
    const b = await TextClient.join(q.port, "log_b");
    b.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.doesNotMatch(q.err(), /INFO/);
    q.child.kill("SIGTERM");
    await q.exited;
  });

  it("item 9: --log-messages logs message content when the operator asks", async () => {
    const p = await serve(["--log-messages"]);
    const a = await TextClient.join(p.port, "logm");
    a.line("this one is logged");
    await until(() => /this one is logged/.test(p.err()), "message log");
    a.close();
    p.child.kill("SIGTERM");
    await p.exited;
  });
});
