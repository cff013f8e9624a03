/**
 * Helpers for the fault suite (ROBUSTNESS.md): servers in-process or in a child process (to
 * measure the server's heap alone), and raw clients that keep every byte they receive, so tests
 * can check encodings, not just text.
 */
import { type ChildProcess, execFileSync, fork, type StdioOptions, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import type { ServerEvent } from "../src/protocol/events.ts";
import type { Limits } from "../src/server/limits.ts";
import { type RunningServer, type ServeConfig, startServer } from "../src/server/server.ts";
import { Changes } from "./changes.ts";
import { testConfig } from "./config.ts";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface FaultServer extends RunningServer {
  port: number;
  logs: Array<{ level: string; event: string; fields: Record<string, unknown> }>;
}

/** A real server on 127.0.0.1, port 0, with the given limits over the defaults. */
export async function startFaultServer(
  limits: Partial<Limits> = {},
  extra: Partial<Omit<ServeConfig, "limits">> = {},
): Promise<FaultServer> {
  const logs: FaultServer["logs"] = [];
  const server = await startServer(testConfig(extra, limits), (level, event, fields) => {
    logs.push({ level, event, fields: fields ?? {} });
  });
  return Object.assign(server, { port: server.address.port, logs });
}

const WAIT_MS = 5000;

export interface PeerOptions {
  host?: string;
  localAddress?: string;
  /** Connect with TLS (to a TLS port), trusting `ca`. */
  tls?: { ca?: Buffer; insecure?: boolean };
}

/** A client that keeps every byte and splits lines itself (no decoding on the way in). */
export class Peer {
  readonly socket: net.Socket;
  readonly chunks: Buffer[] = [];
  /** Complete lines received, as bytes without the LF. */
  readonly rawLines: Buffer[] = [];
  #partial: Buffer = Buffer.alloc(0);
  readonly #changes = new Changes();
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  readonly ready: Promise<void>;

  constructor(port: number, opts: PeerOptions = {}) {
    const host = opts.host ?? "127.0.0.1";
    if (opts.tls) {
      this.socket = tls.connect({
        host,
        port,
        ...(opts.tls.ca ? { ca: opts.tls.ca } : {}),
        rejectUnauthorized: !opts.tls.insecure,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      });
    } else {
      this.socket = net.connect({
        host,
        port,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      });
    }
    this.ready = new Promise((resolve, reject) => {
      this.socket.once(opts.tls ? "secureConnect" : "connect", () => resolve());
      this.socket.once("error", reject);
    });
    this.ready.catch(() => {});
    this.socket.on("data", (d: Buffer) => {
      this.chunks.push(d);
      let buf = this.#partial.length ? Buffer.concat([this.#partial, d]) : d;
      for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a)) {
        this.rawLines.push(Buffer.from(buf.subarray(0, i)));
        buf = buf.subarray(i + 1);
      }
      this.#partial = Buffer.from(buf);
      this.#changes.notify();
    });
    this.socket.on("error", (err: NodeJS.ErrnoException) => {
      this.error = err;
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.#changes.notify();
    });
  }

  /** The last lines received, shortened, for failure messages. */
  tail(n = 12): string {
    return this.lines
      .slice(-n)
      .map((l) => (l.length > 160 ? `${l.slice(0, 160)}…` : l))
      .join("\n");
  }

  /** Every line as text (lossy for invalid UTF-8: tests that care read `rawLines`). */
  get lines(): string[] {
    return this.rawLines.map((b) => b.toString("utf8"));
  }

  /** The json events received (lines that start with `{`). */
  get events(): ServerEvent[] {
    return this.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as ServerEvent);
  }

  send(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  line(text: string): void {
    this.socket.write(`${text}\n`);
  }

  request(obj: unknown): void {
    this.line(JSON.stringify(obj));
  }

  say(text: string): void {
    this.request({ type: "line", text });
  }

  /** Waits for a line (index ≥ `from`) that passes `test`; returns it. */
  async waitLine(
    test: RegExp | string | ((l: string) => boolean),
    { from = 0, ms = WAIT_MS } = {},
  ): Promise<string> {
    const pred =
      typeof test === "function"
        ? test
        : typeof test === "string"
          ? (l: string) => l.includes(test)
          : (l: string) => test.test(l);
    const deadline = Date.now() + ms;
    for (let i = from; ; ) {
      const lines = this.rawLines;
      for (; i < lines.length; i++) {
        const l = (lines[i] as Buffer).toString("utf8");
        if (pred(l)) return l;
      }
      if (this.closed) throw new Error(`closed before ${String(test)}; last lines:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching ${String(test)}; last lines:\n${this.tail()}`);
      await this.#changes.next(left);
    }
  }

  /** Waits for a json event of `type` passing `pred`, among lines from line index `from`. */
  async waitEvent<T extends ServerEvent["type"]>(
    type: T,
    pred: (e: Extract<ServerEvent, { type: T }>) => boolean = () => true,
    { from = 0, ms = WAIT_MS } = {},
  ): Promise<Extract<ServerEvent, { type: T }>> {
    const line = await this.waitLine(
      (l) => {
        if (!l.startsWith("{")) return false;
        const e = JSON.parse(l) as ServerEvent;
        return e.type === type && pred(e as Extract<ServerEvent, { type: T }>);
      },
      { from, ms },
    );
    return JSON.parse(line) as Extract<ServerEvent, { type: T }>;
  }

  /** Waits until the connection is closed (by the server, or reset). */
  async waitClosed(ms = WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still open; last lines:\n${this.tail()}`);
      await this.#changes.next(left);
    }
  }

  /** The `bye` this connection got (json mode), after waiting for the close. */
  async bye(ms = WAIT_MS): Promise<Extract<ServerEvent, { type: "bye" }>> {
    await this.waitClosed(ms);
    const bye = this.events.find((e) => e.type === "bye");
    if (!bye) throw new Error(`no bye; last lines:\n${this.tail()}`);
    return bye as Extract<ServerEvent, { type: "bye" }>;
  }

  close(): void {
    this.socket.destroy();
  }

  /** A json client that said hello (and got the name prompt). */
  static async json(port: number, opts: PeerOptions = {}): Promise<Peer> {
    const p = new Peer(port, opts);
    p.request({ type: "hello", protocol: 1 });
    await p.waitEvent("prompt");
    return p;
  }

  /** A registered json client. */
  static async joinJson(port: number, name: string, opts: PeerOptions = {}): Promise<Peer> {
    const p = await Peer.json(port, opts);
    const from = p.rawLines.length;
    p.request({ type: "name", name });
    await p.waitEvent("welcome", () => true, { from });
    return p;
  }

  /** A registered text-mode client (what an `nc` user is). */
  static async joinText(port: number, name: string, opts: PeerOptions = {}): Promise<Peer> {
    const p = new Peer(port, opts);
    await p.waitLine("Choose a name");
    p.line(name);
    await p.waitLine(`Hello, ${name}!`);
    return p;
  }
}

/**
 * "Server up" (ROBUSTNESS.md): a new client can still join and chat with an existing one.
 * Returns nothing; throws when the canary cannot.
 */
export async function assertCanaryChats(port: number, existing?: Peer): Promise<void> {
  const tag = `canary${Math.floor(Math.random() * 1e9)}`;
  const a = await Peer.joinJson(port, `${tag}a`);
  const b = existing ?? (await Peer.joinJson(port, `${tag}b`));
  const from = b.rawLines.length;
  a.say(`hello from ${tag}`);
  await b.waitEvent("message", (e) => e.text === `hello from ${tag}`, { from });
  a.close();
  if (!existing) b.close();
}

/** True when `openssl` can be run (the TLS tests need it to make a certificate). */
export function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A fresh self-signed certificate for localhost and 127.0.0.1 (EC P-256: fast to make). */
export function makeSelfSignedCert(): { cert: Buffer; key: Buffer; certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "papo-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
}

export interface ChildStats {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
  connections: number;
  online: number;
  trackedAddresses: number;
  /** Open file descriptors (Linux), -1 when unknown. */
  fds: number;
}

/** A server in a child process, so its heap can be measured alone (with `--expose-gc`). */
export interface ChildServer {
  port: number;
  /** The HTTP port, when `httpPort` was given. */
  httpPort: number | undefined;
  child: ChildProcess;
  /** Warnings and errors the server logged. */
  logs: Array<{ level: string; event: string; fields: Record<string, unknown> }>;
  /** Memory after two full GCs, and what the chat holds. */
  stats(): Promise<ChildStats>;
  stop(): Promise<void>;
}

export interface ChildOptions {
  /** Server options besides the limits (httpPort, webRoot, ...): JSON-serialisable. */
  extra?: Partial<Omit<ServeConfig, "limits">>;
  /** The child's descriptor limit (RLIMIT_NOFILE, soft and hard), set by `ulimit -n` in bash. */
  nofile?: number;
}

export async function startChildServer(
  limits: Partial<Limits> = {},
  { extra = {}, nofile }: ChildOptions = {},
): Promise<ChildServer> {
  const script = new URL("./fault-server-child.ts", import.meta.url).pathname;
  const args = [JSON.stringify(limits), JSON.stringify(extra)];
  const execArgv = ["--import", "tsx", "--expose-gc"];
  const stdio: StdioOptions = ["ignore", "inherit", "inherit", "ipc"];
  const child =
    nofile === undefined
      ? fork(script, args, { execArgv, stdio })
      : // bash's exec keeps the IPC descriptor (fd 3) open, so the child still talks to us.
        spawn(
          "bash",
          [
            "-c",
            'ulimit -n "$1" && shift && exec "$@"',
            "bash",
            String(nofile),
            process.execPath,
            ...execArgv,
            script,
            ...args,
          ],
          { stdio },
        );
  const logs: ChildServer["logs"] = [];
  const pending: Array<(s: ChildStats) => void> = [];
  let httpPort: number | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`server child exited (${code})`)));
    type Message = { ready?: number; http?: number; log?: ChildServer["logs"][number]; stats?: ChildStats };
    child.on("message", (m: Message) => {
      if (m.ready !== undefined) {
        httpPort = m.http;
        resolve(m.ready);
      } else if (m.log) logs.push(m.log);
      else if (m.stats) pending.shift()?.(m.stats);
    });
  });
  return {
    port,
    httpPort,
    child,
    logs,
    stats() {
      return new Promise((resolve) => {
        pending.push(resolve);
        child.send({ cmd: "stats" });
      });
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      });
    },
  };
}

/** Heap plus Buffer memory: socket queues and line fragments live outside the JS heap. */
export function footprint(s: ChildStats): number {
  return s.heapUsed + s.arrayBuffers;
}

export const MiB = 1024 * 1024;
