/**
 * Helpers for the terminal client's end-to-end tests: a real server on port 0, raw TCP users (as
 * `nc` would be), the client as a child process with piped stdin, and a scriptable fake server
 * for what a real one never does (drop a connection without `bye`, send escape sequences).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalName } from "../src/core/nickname.ts";
import type { Limits } from "../src/server/limits.ts";
import { type RunningServer, type ServeConfig, startServer } from "../src/server/server.ts";
import { testConfig } from "./config.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// Generous: each client is a fresh Node process with tsx, and the suite may run beside others.
export const WAIT_MS = 15_000;

export async function startChatServer(
  extra: Pick<ServeConfig, "password" | "tls"> = {},
  limits: Partial<Limits> = {},
): Promise<RunningServer & { port: number }> {
  const server = await startServer(testConfig(extra, limits), () => {});
  return Object.assign(server, { port: server.address.port });
}

/** Kicks a user by display name through the core, as the operator console does. */
export function kick(server: RunningServer, name: string, reason?: string): boolean {
  return server.chat.kick(canonicalName(name), reason) !== undefined;
}

/** Resolves when `check()` is true; rejects with `what` and `dump()` after WAIT_MS. */
function waitUntil(
  check: () => boolean,
  what: string,
  dump: () => string,
  subscribe: (f: () => void) => () => void,
) {
  return new Promise<void>((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}; got:\n${dump()}`));
    }, WAIT_MS);
    const off = subscribe(() => {
      if (check()) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

class LineCollector {
  readonly lines: string[] = [];
  #partial = "";
  #listeners = new Set<() => void>();

  push(chunk: string): void {
    const parts = (this.#partial + chunk).split("\n");
    this.#partial = parts.pop() ?? "";
    this.lines.push(...parts);
    this.notify();
  }

  notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  /** Waits for a line matching `pattern` at or after index `from`; returns that line. */
  async waitFor(pattern: RegExp | string, from = 0): Promise<string> {
    const match = (l: string) => (typeof pattern === "string" ? l.includes(pattern) : pattern.test(l));
    await waitUntil(
      () => this.lines.slice(from).some(match),
      String(pattern),
      () => this.lines.join("\n"),
      (f) => {
        this.#listeners.add(f);
        return () => this.#listeners.delete(f);
      },
    );
    return this.lines.slice(from).find(match) as string;
  }
}

/** A text-mode user over raw TCP, the way `nc` talks to the server. */
export class RawUser extends LineCollector {
  readonly socket: net.Socket;

  constructor(port: number) {
    super();
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.setEncoding("utf8");
    this.socket.on("data", (d: string) => this.push(d));
    this.socket.on("error", () => {});
  }

  static async join(port: number, name: string): Promise<RawUser> {
    const u = new RawUser(port);
    await u.waitFor("* Choose a name:");
    u.send(name);
    await u.waitFor(`Hello, ${name}!`);
    return u;
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** `papo connect ...` as a child process, stdin piped. */
export class ClientProcess extends LineCollector {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stderr = new LineCollector();
  stdoutRaw = "";
  readonly exited: Promise<number | null>;

  /**
   * `launch` runs another program with `args` after its `argv` (issue 13: the served `papo.mjs`
   * from an empty directory); by default `papo connect` from this repository.
   */
  constructor(args: string[], env: Record<string, string> = {}, launch?: { argv: string[]; cwd: string }) {
    super();
    // A known language, and no colour settings from the caller's environment: stdout is a pipe,
    // so the client must decide on no colour by itself.
    const base: NodeJS.ProcessEnv = { ...process.env, LANG: "C", LC_ALL: "", LC_MESSAGES: "" };
    delete base.NO_COLOR;
    delete base.FORCE_COLOR;
    const argv = launch?.argv ?? ["--import", "tsx", "src/cli.ts", "connect"];
    this.child = spawn(process.execPath, [...argv, ...args], {
      cwd: launch?.cwd ?? ROOT,
      env: { ...base, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.setEncoding("utf8");
    this.child.stdout.on("data", (d: string) => {
      this.stdoutRaw += d;
      this.push(d);
    });
    this.child.stderr.on("data", (d: string) => this.stderr.push(d));
    this.child.stdin.on("error", () => {});
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Ends stdin, as Ctrl-D does on a terminal. */
  endInput(): void {
    this.child.stdin.end();
  }

  /** The exit code, failing the test if the client does not exit in time. */
  async exitCode(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(
          new Error(
            `client did not exit; stdout:\n${this.lines.join("\n")}\nstderr:\n${this.stderr.lines.join("\n")}`,
          ),
        );
      }, WAIT_MS);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

/** A port with nothing listening on it (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A fake json-mode server: greets, accepts any name, then lets the test act on the socket
 * (send raw lines, drop it without `bye`).
 */
export class FakeServer {
  readonly server: net.Server;
  readonly sockets: net.Socket[] = [];
  readonly received: string[] = [];
  port = 0;
  #onWelcome: (s: net.Socket) => void;

  constructor(onWelcome: (s: net.Socket) => void = () => {}) {
    this.#onWelcome = onWelcome;
    this.server = net.createServer((s) => this.#serve(s));
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, "127.0.0.1", r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  #serve(s: net.Socket): void {
    this.sockets.push(s);
    s.setEncoding("utf8");
    s.on("error", () => {});
    s.write("* Welcome to papo! 0 online.\n* Choose a name:\n");
    let partial = "";
    s.on("data", (d: string) => {
      const parts = (partial + d).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        this.received.push(line);
        const req = JSON.parse(line) as { type: string; name?: string };
        if (req.type === "hello") {
          s.write(`${JSON.stringify({ type: "hello", protocol: 1, server: "fake/0", online: 0 })}\n`);
          s.write(`${JSON.stringify({ type: "prompt", need: "name" })}\n`);
        } else if (req.type === "name") {
          const user = { name: req.name, address: "127.0.0.1:1" };
          s.write(`${JSON.stringify({ type: "welcome", ...user, users: [user], at: Date.now() })}\n`);
          this.#onWelcome(s);
        }
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/**
 * A TCP proxy in front of the real server, so a test can fail the client's connection the ways a
 * network does while the server stays up: cut it (no `bye`), drop what flows one way (a line the
 * server got but whose echo never came back, or one that never got there), freeze it (a dead link:
 * nothing passes, nothing closes), or refuse new connections for a while.
 */
export class TcpProxy {
  readonly server: net.Server;
  readonly pairs: Array<[net.Socket, net.Socket]> = [];
  port = 0;
  /** Drop bytes from the client to the server, or from the server to the client. */
  dropUp = false;
  dropDown = false;
  /** New connections are closed at once (the server looks down). */
  blocked = false;

  constructor(targetPort: number) {
    this.server = net.createServer((down) => {
      down.on("error", () => {});
      if (this.blocked) {
        down.destroy();
        return;
      }
      const up = net.connect(targetPort, "127.0.0.1");
      up.on("error", () => {});
      const pair: [net.Socket, net.Socket] = [down, up];
      down.on("data", (d) => {
        if (!this.dropUp && !this.#frozen.has(pair)) up.write(d);
      });
      up.on("data", (d) => {
        if (!this.dropDown && !this.#frozen.has(pair)) down.write(d);
      });
      // A frozen link carries no FIN either way: each side's close stays unknown to the other.
      down.on("close", () => {
        if (!this.#frozen.has(pair)) up.destroy();
      });
      up.on("close", () => {
        if (!this.#frozen.has(pair)) down.destroy();
      });
      this.pairs.push(pair);
    });
  }

  readonly #frozen = new Set<[net.Socket, net.Socket]>();

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Cuts every proxied connection at once (both sides). */
  cut(): void {
    for (const [down, up] of this.pairs.splice(0)) {
      down.destroy();
      up.destroy();
    }
  }

  /**
   * The current connections go dead: nothing passes either way and nothing is closed, as when a
   * cable is pulled. New connections work. `release()` closes the frozen ones.
   */
  freeze(): void {
    for (const pair of this.pairs.splice(0)) this.#frozen.add(pair);
  }

  release(): void {
    for (const [down, up] of this.#frozen) {
      down.destroy();
      up.destroy();
    }
    this.#frozen.clear();
  }

  async close(): Promise<void> {
    this.cut();
    this.release();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/**
 * `papo serve` in a child process on a data directory, so a test can kill it (-9) and start it
 * again on the same port and data, as an operator's restart or a crash does.
 */
export class ServerProcess {
  child: ChildProcessWithoutNullStreams | undefined;
  port = 0;
  output = "";

  constructor(
    readonly dataDir: string,
    readonly extraArgs: string[] = [],
  ) {}

  /** Starts the server (on the port it had, after the first start) and waits until it listens. */
  async start(): Promise<this> {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli.ts",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        String(this.port),
        "--no-http",
        "--no-irc",
        "--data",
        this.dataDir,
        "--lang",
        "en",
        ...this.extraArgs,
      ],
      { cwd: ROOT, env: { ...process.env, LANG: "C" }, stdio: ["pipe", "pipe", "pipe"] },
    );
    this.child = child;
    child.stdin.on("error", () => {});
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    let mine = "";
    const listening = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${mine}`)), WAIT_MS);
      const onData = (d: string) => {
        this.output += d;
        mine += d;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(mine);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code}):\n${mine}`));
      });
    });
    this.port = await listening;
    return this;
  }

  /** Ends the process: SIGKILL (a crash; nothing is flushed or said) or SIGTERM (a shutdown). */
  async stop(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.on("exit", () => r()));
    child.kill(signal);
    await exited;
  }
}
