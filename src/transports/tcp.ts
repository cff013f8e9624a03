/**
 * The TCP transport: one socket, three framings (docs/protocol.md §1), a SessionPort for the core.
 * Listeners are named functions wired in one place (STYLE: ws).
 */
import net from "node:net";
import type { Chat } from "../core/chat.ts";
import { errorEvent, type ServerEvent } from "../core/events.ts";
import type { Session, SessionPort } from "../core/session.ts";
import type { ChatTexts } from "../i18n/types.ts";
import { type FrameDecoded, FrameDecoder } from "../protocol/frame-decoder.ts";
import { LEGACY_DISCONNECT } from "../protocol/input.ts";
import { encodeJsonLine, parseRequest } from "../protocol/json.ts";
import { LineDecoder } from "../protocol/line-decoder.ts";
import { sniff } from "../protocol/sniff.ts";
import { renderEvent } from "../protocol/text-render.ts";
import type { Limits } from "../server/limits.ts";
import { formatAddress } from "./address.ts";
import { FlushScheduler } from "./outbox.ts";

export type Mode = "sniff" | "text" | "json" | "legacy";

export interface TcpOptions {
  chat: Chat;
  limits: Limits;
  /** Texts for text and legacy modes. */
  texts: ChatTexts;
}

/** Text mode shows at most this many names in the welcome; `/users` lists everyone. */
const WELCOME_NAMES = 50;

/**
 * Encoded bytes per event object: a broadcast is one object sent to many connections, so it is
 * encoded once per mode, not once per recipient (DESIGN: encode a broadcast once).
 */
const jsonCache = new WeakMap<ServerEvent, Buffer>();
const textCache = new WeakMap<ServerEvent, Buffer>();
const EMPTY = Buffer.alloc(0);

export class TcpConnection implements SessionPort {
  readonly socket: net.Socket;
  readonly remote: string;
  readonly session: Session;
  readonly #opts: TcpOptions;
  readonly #flusher: FlushScheduler;
  #mode: Mode = "sniff";
  #sniffed: Buffer = EMPTY;
  #decoder: LineDecoder | FrameDecoder | undefined;
  #sawLine = false;
  #out: Buffer[] = [];
  #outBytes = 0;
  #overflowed = false;
  #closing = false;
  #gone = false;

  constructor(socket: net.Socket, opts: TcpOptions, flusher: FlushScheduler) {
    this.socket = socket;
    this.#opts = opts;
    this.#flusher = flusher;
    this.remote = formatAddress(socket.remoteAddress, socket.remotePort);
    this.session = opts.chat.open(this);
  }

  get mode(): Mode {
    return this.#mode;
  }

  get echo(): boolean {
    return this.#mode === "json";
  }

  send(event: ServerEvent): void {
    if (this.#gone || (this.#closing && event.type !== "bye")) return;
    const bytes = this.#encode(event);
    if (bytes.length === 0) return;
    if (
      !this.#overflowed &&
      this.socket.writableLength + this.#outBytes + bytes.length > this.#opts.limits.maxSendQueueBytes
    ) {
      // ROBUSTNESS E25: this client alone is dropped; what was queued for it is discarded.
      this.#overflowed = true;
      this.#out = [];
      this.#outBytes = 0;
      this.#opts.chat.log("warn", "send_queue_exceeded", {
        remote: this.remote,
        name: this.session.name || undefined,
      });
      this.session.disconnect("send_queue_exceeded");
      return;
    }
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
    this.#flusher.mark(this);
  }

  flush(): void {
    if (this.#outBytes === 0 || this.#gone) return;
    const out = this.#out;
    const data = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    this.socket.write(data);
  }

  close(): void {
    if (this.#closing || this.#gone) return;
    this.#closing = true;
    this.#flusher.forget(this);
    this.flush();
    this.socket.end();
    // A peer that never reads could hold the socket open: cut it after the grace period.
    setTimeout(() => this.socket.destroy(), this.#opts.limits.shutdownGraceMs).unref();
  }

  /** Wires the socket's events; called once by the listener. */
  attach(): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      this.#opts.chat.log("debug", "socket_error", { remote: this.remote, code: err.code });
    });
    socket.on("close", () => {
      this.#gone = true;
      this.#flusher.forget(this);
      this.#opts.chat.log("info", "disconnect", { remote: this.remote });
      this.session.lost("disconnected");
    });
    this.session.start();
  }

  #encode(event: ServerEvent): Buffer {
    if (this.#mode === "json") {
      let b = jsonCache.get(event);
      if (!b) {
        b = Buffer.from(encodeJsonLine(event));
        jsonCache.set(event, b);
      }
      return b;
    }
    // A private message reads differently for its sender and its target: not cached.
    if (event.type === "private") return this.#renderText(event);
    let b = textCache.get(event);
    if (!b) {
      b = this.#renderText(event);
      textCache.set(event, b);
    }
    return b;
  }

  #renderText(event: ServerEvent): Buffer {
    let shown = event;
    if (event.type === "welcome" && event.users.length > WELCOME_NAMES) {
      const more = event.users.length - WELCOME_NAMES;
      shown = {
        ...event,
        users: [...event.users.slice(0, WELCOME_NAMES), { name: `(+${more})`, address: null }],
      };
    }
    const lines = renderEvent(shown, this.#opts.texts, this.session.name);
    return lines.length ? Buffer.from(`${lines.join("\n")}\n`) : EMPTY;
  }

  #onData(chunk: Buffer): void {
    if (this.#closing || this.#gone) return;
    if (this.#mode === "sniff") {
      const first = this.#sniffed.length ? Buffer.concat([this.#sniffed, chunk]) : chunk;
      const kind = sniff(first);
      if (kind === "undecided") {
        this.#sniffed = Buffer.from(first);
        return;
      }
      this.#sniffed = EMPTY;
      if (kind === "http" || kind === "tls") {
        // ROBUSTNESS A10: one explanatory line, then close.
        this.#opts.chat.log("info", "wrong_protocol", { remote: this.remote, kind });
        const text = kind === "http" ? this.#opts.texts.notChat : this.#opts.texts.tlsOnPlainPort;
        this.#closing = true;
        this.socket.end(
          kind === "http"
            ? `HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${text}\n`
            : `${text}\n`,
        );
        this.session.lost("disconnected");
        return;
      }
      const { maxLineBytes, maxPendingBytes } = this.#opts.limits;
      if (kind === "legacy") {
        this.#mode = "legacy";
        this.#decoder = new FrameDecoder({ maxLineBytes });
      } else {
        this.#mode = "text";
        this.#decoder = new LineDecoder({ maxLineBytes, maxPendingBytes });
      }
      chunk = first;
    }
    const items = (this.#decoder as LineDecoder | FrameDecoder).push(chunk);
    for (const item of items) {
      if (this.session.closed) break;
      try {
        this.#handle(item);
      } catch (err) {
        // ROBUSTNESS F30: a bug in one handler costs that client one line, not the process.
        this.#opts.chat.log("error", "handler_failed", {
          remote: this.remote,
          error: String((err as Error)?.stack ?? err),
        });
        this.session.send(errorEvent("internal", {}));
      }
    }
  }

  #handle(item: FrameDecoded): void {
    const session = this.session;
    switch (item.kind) {
      case "line":
        return this.#line(item.text);
      case "too_long":
        return session.send(errorEvent("line_too_long", { limit: item.limit }));
      case "invalid_utf8":
        return session.send(errorEvent("invalid_utf8", {}));
      case "overflow":
        return session.disconnect("line_overflow");
      case "bad_frame":
        return session.disconnect("bad_frame");
    }
  }

  #line(text: string): void {
    const session = this.session;
    if (!this.#sawLine && text.trim().length > 0) {
      this.#sawLine = true;
      // The first line decides json mode (docs/protocol.md §1).
      if (this.#mode === "text" && text.trimStart().startsWith("{")) this.#mode = "json";
    }
    if (this.#mode === "legacy" && text.trim() === LEGACY_DISCONNECT) return session.quit();
    if (this.#mode !== "json") return session.line(text);
    if (text.trim().length === 0) return;
    const parsed = parseRequest(text);
    if (!parsed.ok) return session.send(errorEvent(parsed.code, {}));
    const req = parsed.request;
    switch (req.type) {
      case "hello":
        return session.greet();
      case "name":
        return session.nameRequest(req.name);
      case "line":
        if (!session.registered) return session.send(errorEvent("not_registered", {}));
        return session.line(req.text);
      case "ping":
        return session.send({ type: "pong", ...("id" in req ? { id: req.id } : {}) });
      case "pong":
        return;
    }
  }
}

/** A TCP listener feeding the chat. */
export function createTcpServer(opts: TcpOptions): net.Server {
  const flusher = new FlushScheduler();
  const server = net.createServer({ noDelay: true, keepAlive: true });
  server.on("connection", function serverOnConnection(socket) {
    const conn = new TcpConnection(socket, opts, flusher);
    opts.chat.log("info", "connect", { remote: conn.remote });
    conn.attach();
  });
  return server;
}
