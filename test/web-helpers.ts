/**
 * Helpers for the web tests: a server with its HTTP listener on port 0, and a WebSocket client
 * (the `ws` package) that records events the way the browser receives them.
 */
import { WebSocket } from "ws";
import type { ServerEvent } from "../src/protocol/events.ts";
import type { Limits } from "../src/server/limits.ts";
import type { ServeConfig } from "../src/server/server.ts";
import { Changes } from "./changes.ts";
import { startTestServer, type TestServer } from "./helpers.ts";

export interface WebTestServer extends TestServer {
  httpPort: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  wsUrl: string;
}

export async function startWebTestServer(
  overrides: Partial<Omit<ServeConfig, "limits">> & { limits?: Partial<Limits> } = {},
): Promise<WebTestServer> {
  const server = await startTestServer({ httpPort: 0, ...overrides });
  const httpPort = server.httpAddress?.port;
  if (!httpPort) throw new Error("no HTTP listener");
  const origin = `http://127.0.0.1:${httpPort}`;
  return Object.assign(server, { httpPort, origin, wsUrl: `ws://127.0.0.1:${httpPort}/ws` });
}

const WAIT_MS = 3000;

/** A WebSocket client: every text message parsed as one event. */
export class WsClient {
  readonly ws: WebSocket;
  readonly raw: string[] = [];
  readonly events: ServerEvent[] = [];
  closed: { code: number; reason: string } | undefined;
  readonly opened: Promise<void>;
  readonly #changes = new Changes();

  constructor(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("unexpected-response", (_req, res) =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })),
      );
      this.ws.once("error", reject);
    });
    this.opened.catch(() => {});
    this.ws.on("error", () => {});
    this.ws.on("message", (data, isBinary) => {
      const text = (data as Buffer).toString("utf8");
      this.raw.push(isBinary ? `binary:${text}` : text);
      if (!isBinary) this.events.push(JSON.parse(text) as ServerEvent);
      this.#changes.notify();
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#changes.notify();
    });
  }

  request(obj: unknown): void {
    this.ws.send(JSON.stringify(obj));
  }

  say(text: string): void {
    this.request({ type: "line", text });
  }

  /** Waits for an event of `type` matching `pred`, at event index `from` or later. */
  async waitEvent<T extends ServerEvent["type"]>(
    type: T,
    pred: (e: Extract<ServerEvent, { type: T }>) => boolean = () => true,
    { from = 0, ms = WAIT_MS } = {},
  ): Promise<Extract<ServerEvent, { type: T }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events
        .slice(from)
        .find((e): e is Extract<ServerEvent, { type: T }> => e.type === type && pred(e as never));
      if (found) return found;
      const left = deadline - Date.now();
      if (this.closed || left <= 0)
        throw new Error(
          `no ${type} event (${this.closed ? `closed ${this.closed.code}` : "timeout"}); got:\n${this.raw.join("\n")}`,
        );
      await this.#changes.next(left);
    }
  }

  /** Waits for the server to close the socket; returns the close code. */
  async waitClosed(ms = WAIT_MS): Promise<number> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still open; got:\n${this.raw.join("\n")}`);
      await this.#changes.next(left);
    }
    return this.closed.code;
  }

  /** Connects (same origin unless told otherwise) and registers `name`. */
  static async join(server: WebTestServer, name: string, options = {}): Promise<WsClient> {
    const c = new WsClient(server.wsUrl, { origin: server.origin, ...options });
    await c.opened;
    await c.waitEvent("prompt");
    c.request({ type: "name", name });
    await c.waitEvent("welcome");
    return c;
  }

  close(): void {
    this.ws.terminate();
  }
}
