/**
 * The HTTP side of `papo serve`: the built web app as static files, and upgrades to the WebSocket
 * endpoint (DESIGN: a browser client served by the server itself, no separate web server).
 */
import { createReadStream, type Stats } from "node:fs";
import { stat } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import path from "node:path";
import { type Duplex, pipeline } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Chat, LogFn } from "../core/chat.ts";
import type { ChatCounters } from "../core/counters.ts";
import { formatAddress } from "../transports/address.ts";
import type { DeadPeerWatch } from "../transports/dead-peer.ts";
import { PendingConnections } from "../transports/pending.ts";
import {
  createWebSocketTransport,
  DEFAULT_HEARTBEAT_MS,
  type WebSocketTransport,
} from "../transports/websocket.ts";
import type { Limits } from "./limits.ts";

/** The HTTP port `papo serve` uses unless told otherwise (`--http-port`, `--no-http`). */
export const DEFAULT_HTTP_PORT = 7780;

/**
 * Where `npm run build` puts the web app: `web-dist/` at the package root, two levels above both
 * `src/server/http.ts` (run with tsx) and `dist/server/http.js` (the build).
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../web-dist/", import.meta.url));

/**
 * Issue 13 item 1: the terminal client in one file, built into the web root by
 * scripts/build-web.ts (its CLIENT_FILE) and served like the app's other files.
 */
export const CLIENT_FILE = "papo.mjs";

/**
 * Issue 13 item 1: what the page needs to tell a visitor how to join from a terminal, at
 * `GET /connect.json`: the chat's TCP port (and TLS port), and the client file's path when it is
 * built. The host is the one the browser used.
 */
export interface ConnectInfo {
  port: number;
  tlsPort?: number;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/**
 * No inline script or style, nothing from other hosts, no framing. 'self' in connect-src covers
 * ws:/wss: to the page's own host (CSP Level 3), which is all the app talks to.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/**
 * The headers of this server's pages. The origins whose pages may open this node's WebSocket
 * (`--allow-origin`: the other nodes of a cluster) are the ones this node's page may connect to
 * as well (issue 12: the page moves to another node, `?servers=`), as ws: and wss:.
 */
export function pageHeaders(allowOrigins: readonly string[] = []): Record<string, string> {
  const others = allowOrigins.flatMap((o) => {
    try {
      const url = new URL(o);
      return [`ws://${url.host}`, `wss://${url.host}`];
    } catch {
      return [];
    }
  });
  if (others.length === 0) return SECURITY_HEADERS;
  const csp = CONTENT_SECURITY_POLICY.replace("connect-src 'self'", `connect-src 'self' ${others.join(" ")}`);
  return { ...SECURITY_HEADERS, "Content-Security-Policy": csp };
}

export interface HttpOptions {
  /** Directory of the built web app (`index.html`, `app.js`, ...). */
  webRoot: string;
  log: LogFn;
  /** Called for every `Upgrade` request (the WebSocket transport decides). */
  onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Origins allowed to open this node's WebSocket: its page may connect to them too. */
  allowOrigins?: readonly string[];
  /** Certificate and key (PEM): serve HTTPS (and so WSS) instead of plain HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Counts connections per address until they upgrade (issue 9 item 3); one over its cap is
   * closed at once. Unset: not counted.
   */
  pending?: PendingConnections;
  /** The chat's ports, answered at `/connect.json` (issue 13 item 1). Unset: 404 there. */
  connect?: ConnectInfo;
  /** Issue 13: counts the connections `pending` refuses. */
  counters?: Pick<ChatCounters, "refused">;
}

/**
 * Milliseconds a new web connection may take to send its first request's headers (a page request
 * or the WebSocket upgrade); Node's headersTimeout only counts from a request's first byte, so a
 * connection that says nothing was held until the client gave up (issue 9 item 3). Later requests
 * on a kept-alive connection have Node's `headersTimeout`, checked every `CONNECTIONS_CHECK_MS`.
 */
export const FIRST_REQUEST_MS = 10_000;
export const CONNECTIONS_CHECK_MS = 1_000;

/** An HTTP(S) server for the web app; not yet listening. */
export function createHttpServer(opts: HttpOptions): http.Server {
  const root = path.resolve(opts.webRoot);
  const headers = pageHeaders(opts.allowOrigins);
  const onRequest: http.RequestListener = function httpOnRequest(req, res) {
    opts.pending?.started(req.socket);
    serveStatic(root, req, res, opts.log, opts.connect, headers).catch((err: unknown) => {
      opts.log("error", "http_failed", { url: req.url, error: String((err as Error)?.message ?? err) });
      if (!res.headersSent) send(res, 500, "Internal Server Error\n");
      else res.destroy();
    });
  };
  const serverOptions = { connectionsCheckingInterval: CONNECTIONS_CHECK_MS };
  const server: http.Server = opts.tls
    ? https.createServer({ ...serverOptions, cert: opts.tls.cert, key: opts.tls.key }, onRequest)
    : http.createServer(serverOptions, onRequest);
  // Slow or idle clients are not allowed to hold sockets for long (slowloris).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  const pending = opts.pending;
  if (pending) {
    // TLS or not, "connection" gives the TCP socket as soon as it is accepted.
    server.on("connection", function httpOnConnection(socket: net.Socket) {
      if (pending.admit(socket, FIRST_REQUEST_MS)) return;
      opts.counters?.refused("too_many_connections");
      opts.log("warn", "refused", {
        remote: formatAddress(socket.remoteAddress, socket.remotePort),
        reason: "too_many_connections",
        stage: "http",
      });
      socket.resetAndDestroy();
    });
  }
  server.on("upgrade", function httpOnUpgrade(req, socket, head) {
    // From here a WebSocket session counts it, in the chat.
    pending?.release(req.socket);
    opts.onUpgrade(req, socket, head);
  });
  server.on("clientError", function httpOnClientError(err: NodeJS.ErrnoException, socket) {
    opts.log("debug", "http_client_error", {
      remote: formatAddress((socket as net.Socket).remoteAddress, (socket as net.Socket).remotePort),
      code: err.code,
    });
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}

function send(res: http.ServerResponse, status: number, body: string, extra: Record<string, string> = {}) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

async function serveStatic(
  root: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: LogFn,
  connect: ConnectInfo | undefined,
  pageHeaders: Record<string, string> = SECURITY_HEADERS,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD")
    return send(res, 405, "Method Not Allowed\n", { Allow: "GET, HEAD" });
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  } catch {
    return send(res, 400, "Bad Request\n");
  }
  if (pathname === "/ws") return send(res, 426, "Upgrade Required: this is a WebSocket endpoint.\n");
  if (pathname === "/connect.json" && connect) {
    const built = await stat(path.join(root, CLIENT_FILE)).then(
      (s) => s.isFile(),
      () => false,
    );
    const body = JSON.stringify({ ...connect, ...(built ? { client: `/${CLIENT_FILE}` } : {}) });
    return send(res, 200, body, {
      "Content-Type": CONTENT_TYPES[".json"] ?? "",
      "Cache-Control": "no-cache",
    });
  }
  if (pathname.endsWith("/")) pathname += "index.html";
  // Only files under the web root: no `..`, no NUL, no backslash tricks.
  if (pathname.includes("\0") || pathname.includes("\\") || pathname.split("/").includes(".."))
    return send(res, 400, "Bad Request\n");
  const file = path.join(root, pathname);
  if (!file.startsWith(root + path.sep)) return send(res, 400, "Bad Request\n");
  let info: Stats;
  try {
    info = await stat(file);
  } catch {
    if (pathname === "/index.html")
      return send(res, 503, "The papo web app is not built: run `npm run build` (npm ci does it).\n");
    return send(res, 404, "Not Found\n");
  }
  if (!info.isFile()) return send(res, 404, "Not Found\n");
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers = {
    ...pageHeaders,
    "Content-Type": CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
    // Revalidate every time: a rebuilt app is picked up at once, an unchanged one costs a 304.
    "Cache-Control": "no-cache",
    ETag: etag,
    "Last-Modified": info.mtime.toUTCString(),
  };
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, "Content-Length": info.size });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  // Issue 9 item 1: pipeline, not pipe. With pipe() a client that goes away early unpipes the
  // file stream, which then never ends and never closes its descriptor: each abandoned page load
  // leaked one, until the server could accept nobody (EMFILE). pipeline destroys both streams
  // when either fails or closes early; closing on the response's `close` alone still leaked.
  pipeline(createReadStream(file), res, function staticOnPiped(err) {
    if (err && err.code !== "ERR_STREAM_PREMATURE_CLOSE")
      log("debug", "http_stream_failed", { url: req.url, code: err.code ?? err.message });
  });
}

export interface WebServerOptions {
  chat: Chat;
  limits: Limits;
  log: LogFn;
  port: number;
  /** Interface to bind; undefined = all interfaces. */
  host?: string;
  webRoot?: string;
  allowOrigins?: readonly string[];
  /** Milliseconds between WebSocket pings (default: `limits.pingTimeoutMs`). */
  heartbeatMs?: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Shared with the other listeners (issue 9 item 2). */
  deadPeers?: DeadPeerWatch;
  /** The chat's ports, for the page's "from a terminal" hint (issue 13 item 1). */
  connect?: ConnectInfo;
}

/** A listening web server: the static app plus the WebSocket endpoint. */
export interface WebServer {
  readonly server: http.Server;
  readonly address: net.AddressInfo;
  readonly ws: WebSocketTransport;
  /**
   * Stops listening; `done` runs once every HTTP and WebSocket connection is gone. WebSocket
   * sessions are told why by `Chat.shutdown`; what is still open after `graceMs` is cut.
   */
  close(graceMs: number, done: () => void): void;
}

/** Creates and starts the web server; rejects with the listen error (EADDRINUSE, ...). */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const ws = createWebSocketTransport({
    chat: opts.chat,
    limits: opts.limits,
    // One knob for dead peers on every transport: a ping unanswered for `pingTimeoutMs` drops them.
    heartbeatMs:
      opts.heartbeatMs ?? (opts.limits.pingTimeoutMs > 0 ? opts.limits.pingTimeoutMs : DEFAULT_HEARTBEAT_MS),
    allowOrigins: opts.allowOrigins ?? [],
    ...(opts.deadPeers ? { deadPeers: opts.deadPeers } : {}),
  });
  const server = createHttpServer({
    webRoot: opts.webRoot ?? DEFAULT_WEB_ROOT,
    log: opts.log,
    // Every connection until it upgrades, as open connections of its address.
    pending: new PendingConnections(opts.limits.maxConnectionsPerAddress, opts.limits.exemptLoopback !== 0),
    onUpgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    allowOrigins: opts.allowOrigins ?? [],
    counters: opts.chat.counters,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.connect ? { connect: opts.connect } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(
        { port: opts.port, host: opts.host, backlog: opts.limits.listenBacklog, exclusive: true },
        () => {
          server.off("error", reject);
          // Issue 9 item 1: a failed accept (EMFILE) is logged, never fatal.
          server.on("error", function httpOnListenerError(err: NodeJS.ErrnoException) {
            opts.log("error", "accept_failed", { code: err.code ?? err.message });
          });
          resolve();
        },
      );
    });
  } catch (err) {
    ws.terminateAll();
    // Says which listener failed, so the CLI can tell the web port from the chat port.
    throw Object.assign(err as Error, { listener: "http" });
  }
  return {
    server,
    address: server.address() as net.AddressInfo,
    ws,
    close(graceMs, done) {
      // Node 19+ also closes idle keep-alive connections here; upgraded sockets keep it open.
      server.close(() => done());
      setTimeout(() => {
        ws.terminateAll();
        server.closeAllConnections();
      }, graceMs).unref();
    },
  };
}
