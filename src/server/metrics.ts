/**
 * Issue 13: metrics and health. `GET /metrics` (Prometheus text exposition format 0.0.4) and
 * `GET /healthz` on a listener of their own (`--metrics-port`, loopback by default), and the same
 * figures for the console's `/stats`.
 *
 * Nothing here runs on the chat's hot path: the core counts with plain integer adds where things
 * already happen (src/core/counters.ts), and everything that is state (open connections by
 * transport, users, rooms, send queues) is read from the chat only when someone asks. Why a port of
 * its own and not the web port: the figures are for the operator, not for everyone who can open
 * the web app; a scraper must not count against the web listener's per-address limits nor need
 * its certificate; and `--no-http` must not take the health check away (see docs/operations.md).
 */
import http from "node:http";
import type net from "node:net";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import type { Chat, LogFn } from "../core/chat.ts";
import { TRANSPORT_NAMES, type TransportName } from "../core/counters.ts";
import type { StatsFigures } from "../i18n/types.ts";
import { formatAddress } from "../transports/address.ts";
import type { WritePath } from "../transports/direct-write.ts";
import { PendingConnections } from "../transports/pending.ts";
import { CONNECTIONS_CHECK_MS, FIRST_REQUEST_MS } from "./http.ts";
import type { Limits } from "./limits.ts";
import { VERSION } from "./version.ts";

/** Where `--metrics-port` listens unless `--metrics-host` says otherwise: this machine only. */
export const DEFAULT_METRICS_HOST = "127.0.0.1";

/** Milliseconds between the event-loop monitor's samples (prom-client uses 10; 20 is plenty). */
const EVENT_LOOP_RESOLUTION_MS = 20;
/** Samples (about a second's worth) a window needs before `/stats` shows it rather than the last. */
const MIN_LOOP_SAMPLES = 50;

/** Open connections of one kind. */
export interface ConnectionCount {
  transport: TransportName;
  tls: boolean;
  count: number;
}

/** Event-loop delay over the current window, in milliseconds (undefined: nothing measured yet). */
export interface LoopDelay {
  min: number;
  mean: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Every figure at one moment: what `/metrics` renders and `/stats` shows. */
export interface MetricsSnapshot {
  connections: ConnectionCount[];
  users: number;
  rooms: number;
  sendQueueBytes: number;
  sendQueueMaxBytes: number;
  loop: LoopDelay | undefined;
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  cpu: { user: number; system: number };
  health: Health;
}

export interface Health {
  ok: boolean;
  /** Why not (stable words, one per problem): `history_paused`, `cluster_degraded`, ... */
  reasons: string[];
}

export interface MetricsOptions {
  chat: Chat;
  /** The listeners that must be up for the node to be healthy, by name (`chat`, `http`, ...). */
  listeners: () => ReadonlyArray<readonly [string, net.Server | undefined]>;
  /** Cluster mode: true while Redis is unreachable. */
  clusterDown?: () => boolean;
  /** True once the server is shutting down. */
  closing: () => boolean;
  /** How a flush round's writes to plain TCP sockets leave now (direct-write.ts `writePath`). */
  writePath?: () => WritePath;
}

const WRITE_PATHS: readonly WritePath[] = ["io_uring", "send", "node"];

/** The figures of one server, read on demand. */
export class ServerMetrics {
  readonly #opts: MetricsOptions;
  #loop: IntervalHistogram | undefined;
  /** The event-loop figures of the window a scrape ended (for a `/stats` just after it). */
  #lastWindow: LoopDelay | undefined;
  readonly startedAt = Date.now();

  constructor(opts: MetricsOptions) {
    this.#opts = opts;
  }

  get chat(): Chat {
    return this.#opts.chat;
  }

  /**
   * Starts measuring event-loop delay (a timer every 20 ms, so only when wanted: with the metrics
   * listener, or at the first `/stats`).
   */
  startLoopMonitor(): void {
    if (this.#loop) return;
    this.#loop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.#loop.enable();
  }

  stop(): void {
    this.#loop?.disable();
  }

  health(): Health {
    const reasons: string[] = [];
    if (this.#opts.closing()) reasons.push("shutting_down");
    for (const [name, server] of this.#opts.listeners())
      if (server && !server.listening) reasons.push(`listener_down ${name}`);
    if (this.#opts.chat.historyPaused) reasons.push("history_paused");
    if (this.#opts.clusterDown?.()) reasons.push("cluster_degraded");
    return { ok: reasons.length === 0, reasons };
  }

  /**
   * The figures now. `resetLoop` starts a new event-loop window (a scrape does: its delay figures
   * are for the time since the previous scrape, as prom-client's are).
   */
  snapshot({ resetLoop = false }: { resetLoop?: boolean } = {}): MetricsSnapshot {
    const chat = this.#opts.chat;
    // One slot per transport and TLS, zeros included, so every series exists from the start.
    const counts = new Array<number>(TRANSPORT_NAMES.length * 2).fill(0);
    let queued = 0;
    let maxQueued = 0;
    for (const session of chat.sessions()) {
      const port = session.port;
      const i = TRANSPORT_NAMES.indexOf(port.transport ?? "pending");
      counts[i * 2 + (port.tls ? 1 : 0)] = (counts[i * 2 + (port.tls ? 1 : 0)] as number) + 1;
      const q = port.queuedBytes ?? 0;
      queued += q;
      if (q > maxQueued) maxQueued = q;
    }
    const connections: ConnectionCount[] = [];
    TRANSPORT_NAMES.forEach((transport, i) => {
      connections.push({ transport, tls: false, count: counts[i * 2] as number });
      connections.push({ transport, tls: true, count: counts[i * 2 + 1] as number });
    });
    let loop: LoopDelay | undefined;
    const h = this.#loop;
    if (h && h.count > 0) {
      const ms = (ns: number) => ns / 1e6;
      loop = {
        min: ms(h.min),
        mean: ms(h.mean),
        max: ms(h.max),
        p50: ms(h.percentile(50)),
        p90: ms(h.percentile(90)),
        p99: ms(h.percentile(99)),
      };
    }
    if (resetLoop) {
      h?.reset();
      this.#lastWindow = loop;
    } else if (h && h.count < MIN_LOOP_SAMPLES && this.#lastWindow) {
      // A scrape just began a new window: a person asking now sees the one it ended.
      loop = this.#lastWindow;
    }
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      connections,
      users: chat.localUsers,
      rooms: chat.roomCount,
      sendQueueBytes: queued,
      sendQueueMaxBytes: maxQueued,
      loop,
      memory: { rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external },
      cpu: { user: cpu.user / 1e6, system: cpu.system / 1e6 },
      health: this.health(),
    };
  }

  /** `GET /metrics`: the Prometheus text exposition format (version 0.0.4). */
  render(): string {
    const s = this.snapshot({ resetLoop: true });
    const c = this.#opts.chat.counters;
    const out = new Exposition();
    out.family("papo_info", "gauge", "papo's version (always 1).", [[{ version: VERSION }, 1]]);
    out.family(
      "papo_connections",
      "gauge",
      "Open connections by transport (pending: TCP not yet identified; seed: seed 000 framing or --nick-port) and TLS.",
      s.connections.map((k) => [{ transport: k.transport, tls: String(k.tls) }, k.count]),
    );
    out.family("papo_connections_opened_total", "counter", "Connections accepted (refused ones too).", [
      [undefined, c.connectionsOpened],
    ]);
    const path = this.#opts.writePath?.();
    if (path)
      out.family(
        "papo_write_path",
        "gauge",
        "How writes to plain TCP sockets leave, 1 for the way in use: io_uring (one system call a flush), send (papo's native helper, one send(2) a socket) or node (the socket's own write).",
        WRITE_PATHS.map((p) => [{ path: p }, p === path ? 1 : 0]),
      );
    out.family("papo_users", "gauge", "Users registered (named) on this node.", [[undefined, s.users]]);
    out.family("papo_rooms", "gauge", "Rooms in memory: the lobby and those people are in.", [
      [undefined, s.rooms],
    ]);
    out.family("papo_messages_received_total", "counter", "Messages this node's users sent, by kind.", [
      [{ kind: "public" }, c.publicMessages],
      [{ kind: "action" }, c.actions],
      [{ kind: "private" }, c.privateMessages],
    ]);
    out.family(
      "papo_deliveries_total",
      "counter",
      "Events handed to connections by fan-out (room events, private messages, notices).",
      [[undefined, c.deliveries]],
    );
    out.family(
      "papo_refusals_total",
      "counter",
      "Refused connections, passwords and names, and senders held back by flood control, by reason.",
      Object.entries(c.refusals).map(([reason, n]) => [{ reason }, n]),
    );
    out.family(
      "papo_disconnections_total",
      "counter",
      "Connections that ended, by reason (the bye's reason; disconnected: the peer went).",
      Object.entries(c.disconnections).map(([reason, n]) => [{ reason }, n]),
    );
    out.family("papo_send_queue_bytes", "gauge", "Bytes waiting to be written, all connections.", [
      [undefined, s.sendQueueBytes],
    ]);
    out.family("papo_send_queue_max_bytes", "gauge", "Bytes waiting for the connection with the most.", [
      [undefined, s.sendQueueMaxBytes],
    ]);
    out.histogram(
      "papo_store_commit_duration_seconds",
      "Time of each store commit that wrote events (SQLite: one transaction per batch).",
      c.storeCommits,
    );
    out.family("papo_store_committed_events_total", "counter", "Events those commits wrote.", [
      [undefined, c.storeEvents],
    ]);
    out.family("papo_store_commit_failures_total", "counter", "Store commits that failed (disk full).", [
      [undefined, c.storeFailures],
    ]);
    out.family("papo_history_paused", "gauge", "1 while the store fails and history is not saved.", [
      [undefined, this.#opts.chat.historyPaused ? 1 : 0],
    ]);
    out.family("papo_cluster_degraded", "gauge", "1 while Redis is unreachable (cluster mode).", [
      [undefined, this.#opts.clusterDown?.() ? 1 : 0],
    ]);
    out.family("papo_healthy", "gauge", "1 when /healthz answers 200.", [[undefined, s.health.ok ? 1 : 0]]);
    const loop = s.loop;
    const lag = (name: string, help: string, v: number | undefined) =>
      out.family(`nodejs_eventloop_lag_${name}_seconds`, "gauge", help, [[undefined, (v ?? 0) / 1000]]);
    lag("min", "Smallest event-loop delay since the previous scrape.", loop?.min);
    lag("mean", "Mean event-loop delay since the previous scrape.", loop?.mean);
    lag("max", "Largest event-loop delay since the previous scrape.", loop?.max);
    lag("p50", "Median event-loop delay since the previous scrape.", loop?.p50);
    lag("p90", "90th percentile of event-loop delay since the previous scrape.", loop?.p90);
    lag("p99", "99th percentile of event-loop delay since the previous scrape.", loop?.p99);
    out.family("process_resident_memory_bytes", "gauge", "Resident set size.", [[undefined, s.memory.rss]]);
    out.family("nodejs_heap_size_used_bytes", "gauge", "V8 heap in use.", [[undefined, s.memory.heapUsed]]);
    out.family("nodejs_heap_size_total_bytes", "gauge", "V8 heap allocated.", [
      [undefined, s.memory.heapTotal],
    ]);
    out.family(
      "nodejs_external_memory_bytes",
      "gauge",
      "Memory of C++ objects bound to JavaScript (buffers).",
      [[undefined, s.memory.external]],
    );
    out.family("process_cpu_user_seconds_total", "counter", "User CPU time.", [[undefined, s.cpu.user]]);
    out.family("process_cpu_system_seconds_total", "counter", "System CPU time.", [
      [undefined, s.cpu.system],
    ]);
    out.family("process_start_time_seconds", "gauge", "When the server started (Unix time).", [
      [undefined, Math.floor(this.startedAt / 1000)],
    ]);
    return out.text();
  }
}

/** The console's `/stats` figures: the same snapshot as `/metrics`, for a person. */
export function statsFigures(metrics: ServerMetrics): StatsFigures {
  const s = metrics.snapshot();
  const c = metrics.chat.counters;
  const nonZero = (r: Record<string, number>) =>
    Object.entries(r)
      .filter(([, n]) => n > 0)
      .map(([reason, count]) => ({ reason, count }));
  return {
    connections: s.connections.reduce((n, k) => n + k.count, 0),
    byTransport: s.connections
      .filter((k) => k.count > 0)
      .map((k) => ({ kind: k.tls ? `${k.transport}+tls` : k.transport, count: k.count })),
    users: s.users,
    rooms: s.rooms,
    publicMessages: c.publicMessages,
    actions: c.actions,
    privateMessages: c.privateMessages,
    deliveries: c.deliveries,
    refusals: nonZero(c.refusals),
    disconnections: nonZero(c.disconnections),
    sendQueueBytes: s.sendQueueBytes,
    sendQueueMaxBytes: s.sendQueueMaxBytes,
    loop: s.loop ? { p50: s.loop.p50, p99: s.loop.p99, max: s.loop.max } : undefined,
    rssBytes: s.memory.rss,
    heapUsedBytes: s.memory.heapUsed,
    heapTotalBytes: s.memory.heapTotal,
    commits: c.storeCommits.count,
    commitMeanMs: c.storeCommits.count > 0 ? c.storeCommits.sum / c.storeCommits.count : 0,
    storeFailures: c.storeFailures,
    healthy: s.health.ok,
    problems: s.health.reasons,
    uptimeSeconds: (Date.now() - metrics.startedAt) / 1000,
  };
}

type Labels = Record<string, string> | undefined;

/** Writes metric families in the text exposition format (prometheus.io, "Text-based format"). */
class Exposition {
  readonly #lines: string[] = [];

  family(name: string, type: "counter" | "gauge", help: string, samples: [Labels, number][]): void {
    this.#head(name, type, help);
    for (const [labels, value] of samples) this.#lines.push(`${name}${labelText(labels)} ${num(value)}`);
  }

  /** A histogram in seconds from one observed in milliseconds. */
  histogram(
    name: string,
    help: string,
    h: { bounds: readonly number[]; counts: readonly number[]; sum: number; count: number },
  ): void {
    this.#head(name, "histogram", help);
    let cumulative = 0;
    h.bounds.forEach((bound, i) => {
      cumulative += h.counts[i] as number;
      this.#lines.push(`${name}_bucket{le="${num(bound / 1000)}"} ${cumulative}`);
    });
    this.#lines.push(`${name}_bucket{le="+Inf"} ${h.count}`);
    this.#lines.push(`${name}_sum ${num(h.sum / 1000)}`);
    this.#lines.push(`${name}_count ${h.count}`);
  }

  #head(name: string, type: string, help: string): void {
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    this.#lines.push(`# TYPE ${name} ${type}`);
  }

  text(): string {
    return `${this.#lines.join("\n")}\n`;
  }
}

function labelText(labels: Labels): string {
  if (!labels) return "";
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
  );
  return `{${parts.join(",")}}`;
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(n);
}

// ---- the listener ---------------------------------------------------------------------------

export interface MetricsServerOptions {
  metrics: ServerMetrics;
  limits: Limits;
  log: LogFn;
  port: number;
  host: string;
}

/**
 * The metrics listener: `/metrics` and `/healthz`, GET or HEAD, nothing else. It keeps the web
 * listener's limits (server/http.ts): a first request within 10 s, header and request timeouts,
 * and at most `maxConnectionsPerAddress` connections per address.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<http.Server> {
  const pending = new PendingConnections(
    opts.limits.maxConnectionsPerAddress,
    opts.limits.exemptLoopback !== 0,
  );
  const server = http.createServer(
    { connectionsCheckingInterval: CONNECTIONS_CHECK_MS },
    function metricsOnRequest(req, res) {
      pending.started(req.socket);
      try {
        answer(opts.metrics, req, res);
      } catch (err) {
        opts.log("error", "http_failed", { url: req.url, error: String((err as Error)?.message ?? err) });
        if (!res.headersSent) reply(res, 500, "Internal Server Error\n");
        else res.destroy();
      }
    },
  );
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.on("connection", function metricsOnConnection(socket: net.Socket) {
    if (pending.admit(socket, FIRST_REQUEST_MS)) return;
    opts.log("warn", "refused", {
      remote: formatAddress(socket.remoteAddress, socket.remotePort),
      reason: "too_many_connections",
      stage: "metrics",
    });
    socket.resetAndDestroy();
  });
  server.on("clientError", function metricsOnClientError(_err, socket) {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port: opts.port, host: opts.host, exclusive: true }, () => {
        server.off("error", reject);
        server.on("error", function metricsOnListenerError(err: NodeJS.ErrnoException) {
          opts.log("error", "accept_failed", { code: err.code ?? err.message });
        });
        resolve();
      });
    });
  } catch (err) {
    throw Object.assign(err as Error, { listener: "metrics", port: opts.port, host: opts.host });
  }
  return server;
}

function answer(metrics: ServerMetrics, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method !== "GET" && req.method !== "HEAD")
    return reply(res, 405, "Method Not Allowed\n", { Allow: "GET, HEAD" });
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/metrics")
    return reply(res, 200, metrics.render(), { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  if (path === "/healthz") {
    const h = metrics.health();
    return h.ok ? reply(res, 200, "ok\n") : reply(res, 503, `${h.reasons.join("\n")}\n`);
  }
  return reply(res, 404, "Not Found: papo serves /metrics and /healthz here.\n");
}

function reply(
  res: http.ServerResponse,
  status: number,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...extra,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
