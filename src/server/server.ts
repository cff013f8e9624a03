/**
 * Composition: the chat core, its listeners, and an orderly shutdown (S11, ROBUSTNESS F29).
 */
import type http from "node:http";
import type net from "node:net";
import type tls from "node:tls";
import { Chat, type LogFn } from "../core/chat.ts";
import type { RoomStore } from "../core/ports.ts";
import { catalogue, type Lang } from "../i18n/index.ts";
import { ircCatalogue } from "../i18n/irc.ts";
import { MemoryStore } from "../store/memory.ts";
import { writePath } from "../transports/direct-write.ts";
import { DeadPeerWatch } from "../transports/dead-peer.ts";
import { createIrcServer } from "../transports/irc.ts";
import { createIrcTlsServer } from "../transports/irc-tls.ts";
import { createTcpServer, createTlsServer } from "../transports/tcp.ts";
import type { Cluster } from "./cluster.ts";
import { startWebServer, type WebServer } from "./http.ts";
import { coreLimits, type Limits, transportLimits } from "./limits.ts";
import { DEFAULT_METRICS_HOST, ServerMetrics, startMetricsServer } from "./metrics.ts";
import { VERSION } from "./version.ts";

export interface ServeConfig {
  /** Interface to bind; undefined = all interfaces (IPv6 and IPv4 where available). */
  host?: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  lang: Lang;
  hideAddresses: boolean;
  logMessages: boolean;
  limits: Limits;
  /** Server password (`--password` / `PAPO_PASSWORD`); unset or empty: none asked. */
  password?: string;
  /**
   * TLS (`--tls-cert`, `--tls-key`): the same protocol on its own port. The certificate is here for
   * every listener that wants it (HTTPS/WSS too).
   */
  tls?: TlsConfig;
  /**
   * HTTP port of the web app and its WebSocket endpoint (`/ws`); 0 picks a free one; unset: no
   * HTTP listener (the CLI's default is 7780). With `tls` it serves HTTPS and WSS.
   */
  httpPort?: number;
  /** Origins allowed to open the WebSocket besides the page's own (`--allow-origin`). */
  allowOrigins?: string[];
  /** Directory of the built web app (default: the package's `web-dist/`). */
  webRoot?: string;
  /** IRC port (issue 11, `--irc-port`); 0 picks a free one; unset: no IRC listener. */
  ircPort?: number;
  /** IRC over TLS (`--irc-tls-port`), with `tls`'s certificate; 0 picks a free one; unset: none. */
  ircTlsPort?: number;
  /**
   * Listeners on a default port rather than one the operator chose (the CLI's 6667 and 6697):
   * when such a port cannot be bound (in use, no permission), the server starts without that
   * listener and lists it in `RunningServer.skipped` instead of failing.
   */
  optionalListeners?: readonly OptionalListener[];
  /** Milliseconds between WebSocket heartbeat pings (default: `limits.pingTimeoutMs`, 30 000). */
  heartbeatMs?: number;
  /** The room log (default: in memory). The server closes it when it stops. */
  store?: RoomStore;
  /**
   * A second plain TCP port for seed 001's client (`--nick-port`): it greets with the bare `NICK`
   * and sends only ASCII (docs/protocol.md §2). 0 picks a free one; unset: none.
   */
  nickPort?: number;
  /**
   * Cluster mode (`--redis`, server/cluster.ts): the node's Redis store, fan-out and names; `store`
   * is then ignored. The server closes it when it stops.
   */
  cluster?: Cluster;
  /**
   * Issue 13: port of the metrics listener (`GET /metrics`, `GET /healthz`; `--metrics-port`); 0
   * picks a free one; unset: none (the console's `/stats` works either way).
   */
  metricsPort?: number;
  /** Interface of the metrics listener (`--metrics-host`; default 127.0.0.1, this machine only). */
  metricsHost?: string;
}

/** Issue 11: IRC's default port, and IRC over TLS's when TLS is on (RFC 7194: 6697). */
export const DEFAULT_IRC_PORT = 6667;
export const DEFAULT_IRC_TLS_PORT = 6697;

/** Listeners that may be skipped when their port is busy: IRC (`irc`) and IRC over TLS (`ircs`). */
export type OptionalListener = "irc" | "ircs";

/** An optional listener that did not start, and why (the listen error's code, e.g. EADDRINUSE). */
export interface SkippedListener {
  listener: OptionalListener;
  port: number;
  code: string;
}

/** A certificate chain and key (PEM), and the port of the TLS chat listener. */
export interface TlsConfig {
  cert: string | Buffer;
  key: string | Buffer;
  /** TLS chat port (default 7778; 0 picks a free one). */
  port: number;
}

export interface RunningServer {
  readonly chat: Chat;
  readonly tcp: net.Server;
  /** The bound TCP address. */
  readonly address: net.AddressInfo;
  /** The TLS chat listener and its address, when TLS is configured. */
  readonly tlsServer?: tls.Server;
  readonly tlsAddress?: net.AddressInfo;
  /** Seed 001's listener (`nickPort`) and its address. */
  readonly nickServer?: net.Server;
  readonly nickAddress?: net.AddressInfo;
  /** The web app's HTTP(S) listener and its address, unless HTTP is off. */
  readonly http?: http.Server;
  readonly httpAddress?: net.AddressInfo;
  /** The IRC listener and its address, when `ircPort` is set. */
  readonly irc?: net.Server;
  readonly ircAddress?: net.AddressInfo;
  /** IRC over TLS and its address, when `ircTlsPort` and `tls` are set. */
  readonly ircTls?: tls.Server;
  readonly ircTlsAddress?: net.AddressInfo;
  /** Optional listeners whose port could not be bound (`optionalListeners`). */
  readonly skipped: readonly SkippedListener[];
  /** Issue 13: the figures `/metrics` and the console's `/stats` show. */
  readonly metrics: ServerMetrics;
  /** The metrics listener and its address, when `metricsPort` is set. */
  readonly metricsServer?: http.Server;
  readonly metricsAddress?: net.AddressInfo;
  /** Tells every client (with the reason), closes them within the grace period, stops listening. */
  close(reason?: string): Promise<void>;
}

/** Starts listening; rejects with the listen error (EADDRINUSE, EACCES, ...) if it cannot. */
export async function startServer(config: ServeConfig, log: LogFn): Promise<RunningServer> {
  const cluster = config.cluster;
  const store = cluster?.store ?? config.store ?? new MemoryStore({ keep: config.limits.retentionMessages });
  const options = {
    store,
    server: `papo/${VERSION}`,
    hideAddresses: config.hideAddresses,
    maxNameLength: config.limits.maxNameLength,
    registrationTimeoutMs: config.limits.registrationTimeoutMs,
    logMessages: config.logMessages,
    lang: config.lang,
    ...(config.password ? { password: config.password } : {}),
    ...coreLimits(config.limits),
  };
  const chat = cluster ? cluster.createChat(options, log) : new Chat(options, log);
  // Everyone is welcomed with the lobby's user list: listen once the lobby is loaded (at once with
  // an embedded store; a round trip or three with Redis).
  if (!chat.lobby.loaded) await new Promise<void>((resolve) => chat.lobby.waiting.push(resolve));
  // Issue 13: a restarted server refuses banned peers from its first connection.
  await chat.bansLoaded;
  const texts = catalogue(config.lang).chat;
  const pruner = startPruning(store, config.limits, log);
  // Issue 9 item 2: one watch for every listener, so the kernel's table is read once per sweep.
  const deadPeers =
    config.limits.deadPeerTimeoutMs > 0
      ? new DeadPeerWatch({ timeoutMs: config.limits.deadPeerTimeoutMs })
      : undefined;
  // Issue 12: a cluster node batches its writes over a longer pause (limits.ts).
  const wireLimits = transportLimits(config.limits, cluster !== undefined);
  const tcpOptions = {
    chat,
    limits: wireLimits,
    texts,
    lang: config.lang,
    ...(deadPeers ? { deadPeers } : {}),
  };
  const tcp = createTcpServer(tcpOptions);
  await listen(tcp, config.port, config.host, config.limits.listenBacklog, log);
  let secure: tls.Server | undefined;
  if (config.tls) {
    secure = createTlsServer(tcpOptions, config.tls);
    try {
      await listen(secure, config.tls.port, config.host, config.limits.listenBacklog, log);
    } catch (err) {
      tcp.close();
      throw err;
    }
  }
  let nick: net.Server | undefined;
  if (config.nickPort !== undefined) {
    nick = createTcpServer({ ...tcpOptions, seedNick: true });
    try {
      await listen(nick, config.nickPort, config.host, config.limits.listenBacklog, log);
    } catch (err) {
      tcp.close();
      secure?.close();
      throw Object.assign(err as Error, { port: config.nickPort });
    }
  }
  let web: WebServer | undefined;
  if (config.httpPort !== undefined) {
    try {
      web = await startWebServer({
        chat,
        limits: config.limits,
        log,
        port: config.httpPort,
        ...(config.host !== undefined ? { host: config.host } : {}),
        ...(config.webRoot !== undefined ? { webRoot: config.webRoot } : {}),
        ...(config.allowOrigins ? { allowOrigins: config.allowOrigins } : {}),
        ...(config.heartbeatMs !== undefined ? { heartbeatMs: config.heartbeatMs } : {}),
        ...(config.tls ? { tls: config.tls } : {}),
        ...(deadPeers ? { deadPeers } : {}),
        // Issue 13 item 1: the page tells visitors how to join from a terminal.
        connect: {
          port: (tcp.address() as net.AddressInfo).port,
          ...(secure ? { tlsPort: (secure.address() as net.AddressInfo).port } : {}),
        },
      });
    } catch (err) {
      tcp.close();
      secure?.close();
      nick?.close();
      throw err;
    }
  }
  // Issue 11: IRC, and IRC over TLS with the chat's certificate.
  const ircOptions = {
    chat,
    limits: wireLimits,
    texts,
    irc: ircCatalogue(config.lang),
    serverName: "irc.papo",
    network: "papo",
    version: `papo-${VERSION}`,
    startedAt: new Date(),
    ...(deadPeers ? { deadPeers } : {}),
  };
  const skipped: SkippedListener[] = [];
  const optional = new Set(config.optionalListeners ?? []);
  /** Listens, or (an optional listener) notes why not and returns undefined. */
  const listenIrc = async <S extends net.Server>(server: S, listener: OptionalListener, port: number) => {
    try {
      await listen(server, port, config.host, config.limits.listenBacklog, log);
      return server;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (!optional.has(listener)) throw Object.assign(e, { listener, port });
      skipped.push({ listener, port, code: e.code ?? e.message });
      return undefined;
    }
  };
  let irc: net.Server | undefined;
  let ircTls: tls.Server | undefined;
  /** A listener that could not start stops the start: whatever did start is closed again. */
  const closeListeners = () => {
    tcp.close();
    secure?.close();
    nick?.close();
    irc?.close();
    ircTls?.close();
    web?.close(0, () => {});
    clearInterval(pruner);
  };
  try {
    if (config.ircPort !== undefined)
      irc = await listenIrc(createIrcServer(ircOptions), "irc", config.ircPort);
    if (config.ircTlsPort !== undefined && config.tls)
      ircTls = await listenIrc(createIrcTlsServer(ircOptions, config.tls), "ircs", config.ircTlsPort);
  } catch (err) {
    closeListeners();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const metrics = new ServerMetrics({
    chat,
    listeners: () => [
      ["chat", tcp],
      ["tls", secure],
      ["nick", nick],
      ["http", web?.server],
      ["irc", irc],
      ["ircs", ircTls],
    ],
    ...(cluster ? { clusterDown: () => cluster.fanout.down } : {}),
    closing: () => closing !== undefined,
    writePath: () => writePath(config.limits),
  });
  let metricsServer: http.Server | undefined;
  if (config.metricsPort !== undefined) {
    metrics.startLoopMonitor();
    try {
      metricsServer = await startMetricsServer({
        metrics,
        limits: config.limits,
        log,
        port: config.metricsPort,
        host: config.metricsHost ?? DEFAULT_METRICS_HOST,
      });
    } catch (err) {
      metrics.stop();
      closeListeners();
      throw err;
    }
  }
  return {
    chat,
    tcp,
    address: tcp.address() as net.AddressInfo,
    ...(secure ? { tlsServer: secure, tlsAddress: secure.address() as net.AddressInfo } : {}),
    ...(web ? { http: web.server, httpAddress: web.address } : {}),
    ...(nick ? { nickServer: nick, nickAddress: nick.address() as net.AddressInfo } : {}),
    ...(irc ? { irc, ircAddress: irc.address() as net.AddressInfo } : {}),
    ...(ircTls ? { ircTls, ircTlsAddress: ircTls.address() as net.AddressInfo } : {}),
    skipped,
    metrics,
    ...(metricsServer ? { metricsServer, metricsAddress: metricsServer.address() as net.AddressInfo } : {}),
    close(reason?: string) {
      closing ??= new Promise<void>((resolve) => {
        // Settles once the TCP and the web listeners are both closed.
        let open = web ? 2 : 1;
        const closed = () => {
          if (--open === 0) resolve();
        };
        tcp.close(closed);
        web?.close(config.limits.shutdownGraceMs, closed);
        secure?.close();
        nick?.close();
        irc?.close();
        ircTls?.close();
        chat.shutdown(reason);
        clearInterval(pruner);
        // Sockets that do not finish closing within the grace period are cut by their connection;
        // this is the backstop so close() always settles.
        setTimeout(resolve, config.limits.shutdownGraceMs + 500).unref();
      }).then(async () => {
        // Issue 13: until here (the grace period) /healthz answers 503 shutting_down.
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        metrics.stop();
        // A cluster node's last events (its users leaving) go out before its connection closes.
        if (cluster) await cluster.close().catch(() => {});
        try {
          store.close();
        } catch (err) {
          log("error", "store_close_failed", { error: String((err as Error)?.message ?? err) });
        }
      });
      return closing;
    },
  };
}

/**
 * Retention (issue 14): every `pruneIntervalMs`, deletes what is past `retentionMessages` per room
 * or older than `retentionMaxAgeMs`, 500 events at a time with a turn of the event loop between
 * batches, so pruning a large backlog never stalls the chat.
 */
function startPruning(store: RoomStore, limits: Limits, log: LogFn): NodeJS.Timeout {
  const BATCH = 500;
  let running = false;
  const round = () => {
    if (running) return;
    running = true;
    const olderThan = limits.retentionMaxAgeMs > 0 ? Date.now() - limits.retentionMaxAgeMs : 0;
    let total = 0;
    const step = () => {
      Promise.resolve()
        .then(() => store.prune(limits.retentionMessages, olderThan, BATCH))
        .then(
          (n) => {
            total += n;
            if (n >= BATCH) return void setImmediate(step);
            running = false;
            if (total > 0) log("info", "pruned", { events: total });
          },
          (err: unknown) => {
            running = false;
            log("error", "prune_failed", { error: String((err as Error)?.message ?? err) });
          },
        );
    };
    step();
  };
  const timer = setInterval(round, Math.max(1000, limits.pruneIntervalMs));
  timer.unref();
  return timer;
}

function listen(
  server: net.Server,
  port: number,
  host: string | undefined,
  backlog: number,
  log: LogFn,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    // Node sets SO_REUSEADDR on listening sockets, so a restart can bind at once (S2, seed 004).
    // Issue 9 item 7: the backlog is a limit (Node's 511 overflowed under connect churn).
    server.listen({ port, host, backlog, exclusive: true }, () => {
      server.off("error", onError);
      server.on("error", listenerOnError.bind(null, log));
      resolve();
    });
  });
}

/**
 * Issue 9 item 1: an accept that fails (EMFILE or ENFILE once libuv's reserve descriptor is gone
 * too) is emitted as an `error` on the listener, which would end the process with no listener
 * for it. The listener keeps listening; the next accept works once descriptors come back.
 */
export function listenerOnError(log: LogFn, err: NodeJS.ErrnoException): void {
  log("error", "accept_failed", { code: err.code ?? err.message });
}
