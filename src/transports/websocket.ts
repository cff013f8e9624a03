/**
 * The WebSocket transport (the browser client's door): json mode over WebSocket, one JSON object
 * per text message in each direction (docs/protocol.md §7). The HTTP server hands it upgrade
 * requests; it checks the Origin before upgrading (ROBUSTNESS G32), caps message sizes
 * (G31), drops browsers that stop answering pings (G33), and gives the core one SessionPort per
 * socket, like the TCP transport.
 */
import type { IncomingMessage } from "node:http";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { Chat } from "../core/chat.ts";
import type { TransportName } from "../core/counters.ts";
import { FloodQueue } from "../core/flood.ts";
import type { Session, SessionPort } from "../core/session.ts";
import { type ByeReason, errorEvent, type ServerEvent } from "../protocol/events.ts";
import { lineCost } from "../protocol/pacing.ts";
import { formatAddress } from "./address.ts";
import type { DeadPeerOwner, DeadPeerView, DeadPeerWatch } from "./dead-peer.ts";
import { handleJsonRequest, jsonMessageBytes } from "./json-shared.ts";
import type { TransportLimits as Limits } from "./limits.ts";
import { resetSocket } from "./reset.ts";

/** The path of the WebSocket endpoint on the HTTP port. */
export const WS_PATH = "/ws";

/** Default milliseconds between heartbeat pings; a browser silent for two intervals is dropped. */
export const DEFAULT_HEARTBEAT_MS = 30_000;

/** Most fragments one message may arrive in (ws's default is 16384; a chat line needs a few). */
const MAX_FRAGMENTS = 64;

export interface WebSocketOptions {
  chat: Chat;
  limits: Limits;
  /** Milliseconds between pings. A socket that has not answered the previous ping is terminated. */
  heartbeatMs: number;
  /** Finds peers whose bytes stopped getting through (issue 9 item 2); unset: pings only. */
  deadPeers?: DeadPeerWatch;
  /**
   * Origins allowed besides the page's own, as `scheme://host[:port]`. By default only a page
   * served from the same host (the Origin's host equals the request's Host header) may connect.
   */
  allowOrigins: readonly string[];
}

/**
 * The hard cap on one message, in bytes: over it ws closes the socket with 1009, as TCP closes a
 * connection that sends `maxPendingBytes` without a line end (ROBUSTNESS A2, G31). A message over
 * `maxLineBytes` but under this cap is refused with `line_too_long` and the socket is kept, as a
 * long json line over TCP is (A1).
 */
export function wsMaxPayload(limits: Pick<Limits, "maxLineBytes" | "maxPendingBytes">): number {
  return Math.max(limits.maxPendingBytes, limits.maxLineBytes + 1);
}

/** `scheme://host[:port]` of a URL, or undefined when it is not an http(s) or ws(s) URL. */
export function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (!/^(https?|wss?):$/.test(url.protocol) || !url.host) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * ROBUSTNESS G32 (cross-site WebSocket hijacking): a browser always sends Origin, so a page on
 * another site is refused unless allowed. A request without Origin is not from a browser page
 * (a bot, `websocat`) and cannot ride on a user's session, so it is let in.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowOrigins: readonly string[],
): boolean {
  if (origin === undefined) return true;
  const normalized = normalizeOrigin(origin);
  // "null" (sandboxed frames, file: pages) and anything unparsable are refused.
  if (!normalized) return false;
  if (host && new URL(normalized).host === host.toLowerCase()) return true;
  return allowOrigins.some((o) => normalizeOrigin(o) === normalized);
}

/** The WebSocket side of the HTTP server. */
export interface WebSocketTransport {
  /** Handles an HTTP upgrade request: refuses it (404, 403) or turns it into a chat session. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open WebSocket connections. */
  readonly size: number;
  /** Stops the heartbeat and cuts every socket still open. Sessions are told by `Chat.shutdown` first. */
  terminateAll(): void;
}

export function createWebSocketTransport(opts: WebSocketOptions): WebSocketTransport {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    // ROBUSTNESS G31: no compression (no decompression bombs, no CRIME-style leaks) and a hard cap.
    perMessageDeflate: false,
    maxPayload: wsMaxPayload(opts.limits),
    maxFragments: MAX_FRAGMENTS,
  });
  const connections = new Set<WsConnection>();
  const heartbeat = setInterval(function heartbeatTick() {
    for (const c of connections) c.heartbeat();
  }, opts.heartbeatMs);
  heartbeat.unref();

  return {
    handleUpgrade(req, socket, head) {
      socket.on("error", () => {});
      const path = (req.url ?? "/").split("?")[0];
      if (path !== WS_PATH) return refuse(socket, 404, "Not Found");
      if (!originAllowed(req.headers.origin, req.headers.host, opts.allowOrigins)) {
        opts.chat.log("warn", "ws_origin_refused", {
          remote: formatAddress(req.socket.remoteAddress, req.socket.remotePort),
          origin: req.headers.origin,
        });
        return refuse(socket, 403, "Forbidden");
      }
      wss.handleUpgrade(req, socket, head, function wsOnUpgraded(ws) {
        const conn = new WsConnection(ws, req, opts);
        connections.add(conn);
        ws.once("close", () => connections.delete(conn));
        opts.chat.log("info", "connect", { remote: conn.remote, transport: "websocket" });
        conn.attach();
      });
    },
    get size() {
      return connections.size;
    },
    terminateAll() {
      clearInterval(heartbeat);
      for (const c of connections) c.ws.terminate();
      wss.close();
    },
  };
}

/** Answers a refused upgrade with a plain HTTP status, before any WebSocket handshake. */
function refuse(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** WebSocket close code for a `bye`: 1000 normal, 1001 going away, 1008 policy violation. */
function closeCode(reason: ByeReason | undefined): number {
  if (reason === undefined || reason === "quit" || reason === "kicked") return 1000;
  if (reason === "shutdown") return 1001;
  return 1008;
}

/** One message from the browser, as flood control holds it: its text, or why it is refused. */
type WsItem = string | { refused: "bad_request" | "line_too_long" };

export class WsConnection implements SessionPort, DeadPeerOwner {
  readonly ws: WebSocket;
  readonly remote: string;
  /** The TCP (or TLS) socket under the WebSocket, to reset it (issue 9 item 6). */
  readonly #raw: Duplex;
  /** Like TCP json mode: the sender gets its own public messages back. */
  readonly echo = true;
  readonly session: Session;
  readonly #opts: WebSocketOptions;
  #alive = true;
  #closing = false;
  #gone = false;
  #overflowed = false;
  #bye: ByeReason | undefined;
  #cut: NodeJS.Timeout | undefined;
  /** Issue 10 item 2: messages flood control holds back (made at the first one), and their timer. */
  #held: FloodQueue<WsItem> | undefined;
  #heldTimer: NodeJS.Timeout | undefined;
  /** Messages are held: ws stops reading the socket, so TCP pushes back on the browser. */
  #paused = false;

  // Issue 13: read by the metrics only.
  get transport(): TransportName {
    return "websocket";
  }

  get tls(): boolean {
    return (this.#raw as { encrypted?: boolean }).encrypted === true;
  }

  get queuedBytes(): number {
    return this.#gone ? 0 : this.ws.bufferedAmount;
  }

  constructor(ws: WebSocket, req: IncomingMessage, opts: WebSocketOptions) {
    this.ws = ws;
    this.#raw = req.socket;
    this.#opts = opts;
    // The TCP peer: a reverse proxy's X-Forwarded-For is not trusted (anyone can send it).
    this.remote = formatAddress(req.socket.remoteAddress, req.socket.remotePort);
    this.session = opts.chat.open(this);
  }

  send(event: ServerEvent): void {
    if (this.#gone || (this.#closing && event.type !== "bye")) return;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const data = jsonMessageBytes(event);
    if (event.type === "bye") this.#bye = event.reason;
    else if (
      !this.#overflowed &&
      this.ws.bufferedAmount + data.length > this.#opts.limits.maxSendQueueBytes
    ) {
      // ROBUSTNESS E25: a browser that does not read is dropped alone; the room goes on.
      this.#overflowed = true;
      this.#opts.chat.log("warn", "send_queue_exceeded", {
        remote: this.remote,
        name: this.session.name || undefined,
      });
      this.session.disconnect("send_queue_exceeded");
      return;
    }
    // Issue 14: what anyone is shown is stored first (a no-op when nothing is waiting).
    this.#opts.chat.commit();
    this.ws.send(data, { binary: false });
  }

  close(): void {
    if (this.#closing || this.#gone) return;
    this.#closing = true;
    this.#dropHeld();
    // Issue 9 item 6: a browser that does not read would never take the close frame, and its
    // unread bytes would hold the socket in FIN-WAIT-1: reset it.
    if (this.#bye === "send_queue_exceeded") return this.#reset();
    this.ws.close(closeCode(this.#bye));
    // A peer that never answers the closing handshake is reset after the grace period.
    this.#cut = setTimeout(() => this.#reset(), this.#opts.limits.shutdownGraceMs);
    this.#cut.unref();
  }

  /** Issue 9 item 2: our bytes stopped getting through (see dead-peer.ts): reset. */
  onDeadPeer(view: DeadPeerView): void {
    if (this.#gone) return;
    this.#opts.chat.log("info", "dead_peer", { remote: this.remote, transport: "websocket", view });
    this.#reset();
  }

  /** Cuts the connection with a reset; ws sees its socket close. */
  #reset(): void {
    resetSocket(this.#raw as net.Socket);
  }

  /** One heartbeat tick: drop the socket if the last ping went unanswered, else ping again. */
  heartbeat(): void {
    if (this.#gone) return;
    // A paused socket cannot read the pong: a browser whose messages are held is alive.
    if (this.#paused) this.#alive = true;
    if (!this.#alive) {
      // ROBUSTNESS G33: a browser that stopped answering (laptop lid closed, network gone).
      this.#opts.chat.log("info", "ping_timeout", { remote: this.remote, transport: "websocket" });
      this.ws.terminate();
      return;
    }
    this.#alive = false;
    this.ws.ping();
  }

  /** Wires the socket's events; called once by the transport. */
  attach(): void {
    const ws = this.ws;
    ws.on("message", (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on("pong", () => {
      this.#alive = true;
    });
    // ws closes the socket itself after a protocol error: 1007 for invalid UTF-8, 1009 over maxPayload.
    ws.on("error", (err: Error & { code?: string }) => {
      this.#opts.chat.log("debug", "ws_error", { remote: this.remote, code: err.code ?? err.message });
    });
    this.#opts.deadPeers?.add(this.#raw as net.Socket, this);
    ws.on("close", (code: number) => {
      this.#gone = true;
      clearTimeout(this.#cut);
      this.#dropHeld();
      this.#opts.deadPeers?.remove(this.#raw as net.Socket);
      this.#opts.chat.log("info", "disconnect", { remote: this.remote, transport: "websocket", code });
      this.session.lost("disconnected");
    });
    this.session.start();
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closing || this.#gone || this.session.closed) return;
    // One schema: requests are JSON text; a binary message is a request we do not know.
    let item: WsItem;
    if (isBinary) item = { refused: "bad_request" };
    else {
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      item =
        bytes.length > this.#opts.limits.maxLineBytes ? { refused: "line_too_long" } : bytes.toString("utf8");
    }
    this.#pace(item);
  }

  /**
   * Issue 10 item 2: a message is handled at once within the flood budget, otherwise it waits its
   * turn (never dropped) while ws reads nothing more; a backlog past a cap disconnects the sender.
   * Refused messages are paced too, so a flood of them is not answered by a flood (D21).
   */
  #pace(item: WsItem): void {
    const gate = this.session.flood;
    const cost = !gate ? 0 : typeof item === "string" ? lineCost(item, true) : 1;
    if (!gate || cost === 0) return this.#handle(item);
    this.#held ??= new FloodQueue(gate);
    const verdict = this.#held.offer(item, typeof item === "string" ? item.length : 0, cost);
    if (verdict === "now") return this.#handle(item);
    if (verdict === "over") {
      this.#opts.chat.log("warn", "flood", {
        remote: this.remote,
        name: this.session.name || undefined,
        held: this.#held.length,
        transport: "websocket",
      });
      this.#held.clear();
      return this.session.disconnect("flood");
    }
    if (!this.#paused) {
      this.#paused = true;
      this.ws.pause();
      this.#opts.chat.counters.refused("flood");
      this.send({ type: "throttled", queued: this.#held.length, delayMs: this.#held.lagMs, at: Date.now() });
    }
    this.#heldTimer ??= setTimeout(WsConnection.#onHeldTimer, this.#held.dueInMs, this).unref();
  }

  static #onHeldTimer(conn: WsConnection): void {
    conn.#heldTimer = undefined;
    const held = conn.#held;
    if (!held || conn.#closing || conn.#gone) return;
    for (let item = held.next(); item !== undefined; item = held.next()) {
      if (conn.session.closed) return;
      conn.#handle(item);
    }
    if (conn.session.closed || conn.#closing || conn.#gone) return;
    if (held.length > 0) {
      conn.#heldTimer = setTimeout(WsConnection.#onHeldTimer, held.dueInMs, conn).unref();
      return;
    }
    conn.#paused = false;
    conn.send({ type: "throttled", queued: 0, delayMs: 0, at: Date.now() });
    conn.ws.resume();
  }

  #dropHeld(): void {
    clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    this.#held?.clear();
    if (this.#paused) {
      this.#paused = false;
      this.ws.resume();
    }
  }

  #handle(item: WsItem): void {
    const session = this.session;
    if (typeof item !== "string") {
      if (item.refused === "bad_request") return session.send(errorEvent("bad_request", {}));
      return session.send(errorEvent("line_too_long", { limit: this.#opts.limits.maxLineBytes }));
    }
    try {
      handleJsonRequest(session, item);
    } catch (err) {
      // ROBUSTNESS F30: a bug in one handler costs that client one message, not the process.
      this.#opts.chat.log("error", "handler_failed", {
        remote: this.remote,
        error: String((err as Error)?.stack ?? err),
      });
      session.send(errorEvent("internal", {}));
    }
  }
}
