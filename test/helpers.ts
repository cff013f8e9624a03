/**
 * Test helpers: a real server on port 0 and clients that talk to it over real TCP sockets, the
 * way `nc` (text mode) or a program (json mode) would.
 */
import net from "node:net";
import type { ServerEvent } from "../src/protocol/events.ts";
import type { Limits } from "../src/server/limits.ts";
import { type RunningServer, type ServeConfig, startServer } from "../src/server/server.ts";
import { Changes } from "./changes.ts";
import { testConfig } from "./config.ts";

export interface TestServer extends RunningServer {
  port: number;
  logs: string[];
}

export async function startTestServer(
  overrides: Partial<Omit<ServeConfig, "limits">> & { limits?: Partial<Limits> } = {},
): Promise<TestServer> {
  const logs: string[] = [];
  const { limits, ...rest } = overrides;
  // Functional tests send bursts of lines on purpose: flood control (tested in
  // robustness.test.ts) is relaxed here unless a test sets it.
  const config = testConfig(rest, { floodBurst: 10_000, renameBurst: 10_000, ...limits });
  const server = await startServer(config, (level, event, fields) => {
    logs.push(`${level} ${event} ${JSON.stringify(fields ?? {})}`);
  });
  return Object.assign(server, { port: server.address.port, logs });
}

const WAIT_MS = 3000;

/** A line-oriented client: what an `nc` user sees. */
export class TextClient {
  readonly socket: net.Socket;
  readonly lines: string[] = [];
  #partial = "";
  readonly #changes = new Changes();
  closed = false;
  readonly ready: Promise<void>;

  constructor(port: number, host = "127.0.0.1") {
    this.socket = net.connect(port, host);
    this.socket.setEncoding("utf8");
    this.ready = new Promise((resolve, reject) => {
      this.socket.once("connect", resolve);
      this.socket.once("error", reject);
    });
    this.socket.on("data", (d: string) => {
      const parts = (this.#partial + d).split("\n");
      this.#partial = parts.pop() ?? "";
      this.lines.push(...parts);
      this.#changes.notify();
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
      this.#changes.notify();
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  line(text: string): void {
    this.socket.write(`${text}\n`);
  }

  /** Waits for a line matching `pattern` that arrives after line index `from`; returns it. */
  async waitFor(pattern: RegExp | string, { from = 0, ms = WAIT_MS } = {}): Promise<string> {
    const deadline = Date.now() + ms;
    const test = (l: string) => (typeof pattern === "string" ? l.includes(pattern) : pattern.test(l));
    for (;;) {
      const found = this.lines.slice(from).find(test);
      if (found !== undefined) return found;
      if (this.closed) throw new Error(`closed before ${pattern}; got:\n${this.lines.join("\n")}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching ${pattern}; got:\n${this.lines.join("\n")}`);
      await this.#changes.next(left);
    }
  }

  /** Waits until the server closes the connection. */
  async waitClosed(ms = WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still open; got:\n${this.lines.join("\n")}`);
      await this.#changes.next(left);
    }
  }

  /** Connects and registers `name`; resolves once welcomed. */
  static async join(port: number, name: string): Promise<TextClient> {
    const c = new TextClient(port);
    await c.waitFor("Choose a name");
    c.line(name);
    await c.waitFor(`Hello, ${name}!`);
    return c;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A json-mode client: events as objects. */
export class JsonClient {
  readonly text: TextClient;
  constructor(port: number) {
    this.text = new TextClient(port);
    this.text.send(`${JSON.stringify({ type: "hello", protocol: 1 })}\n`);
  }

  get events(): ServerEvent[] {
    return this.text.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as ServerEvent);
  }

  request(obj: unknown): void {
    this.text.line(JSON.stringify(obj));
  }

  say(text: string): void {
    this.request({ type: "line", text });
  }

  /** Waits for an event matching `pred` (from event index `from`). */
  async waitEvent<T extends ServerEvent["type"]>(
    type: T,
    pred: (e: Extract<ServerEvent, { type: T }>) => boolean = () => true,
    { from = 0, ms = WAIT_MS } = {},
  ): Promise<Extract<ServerEvent, { type: T }>> {
    const line = await this.text.waitFor(
      {
        test: (l: string) => {
          if (!l.startsWith("{")) return false;
          const e = JSON.parse(l) as ServerEvent;
          return e.type === type && pred(e as Extract<ServerEvent, { type: T }>);
        },
      } as RegExp,
      { from: lineIndexOfEvent(this.text.lines, from), ms },
    );
    return JSON.parse(line) as Extract<ServerEvent, { type: T }>;
  }

  static async join(port: number, name: string): Promise<JsonClient> {
    const c = new JsonClient(port);
    await c.waitEvent("prompt");
    c.request({ type: "name", name });
    await c.waitEvent("welcome");
    return c;
  }

  close(): void {
    this.text.close();
  }
}

function lineIndexOfEvent(lines: string[], eventIndex: number): number {
  if (eventIndex === 0) return 0;
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.startsWith("{")) {
      if (n === eventIndex) return i;
      n++;
    }
  }
  return lines.length;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seed 000's client: `str(len).encode()` padded with spaces to 64 bytes, then the payload. */
export function legacyFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const header = Buffer.alloc(64, 0x20);
  header.write(String(payload.length), "latin1");
  return Buffer.concat([header, payload]);
}
