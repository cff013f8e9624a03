#!/usr/bin/env node
/**
 * `papo serve` and `papo connect`. Option errors and start failures are one line on stderr and a
 * non-zero exit, never a stack trace (S2).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { RoomStore } from "./core/ports.ts";
import { catalogue, LANGS, parseLang, pickLang } from "./i18n/index.ts";
import { ircCatalogue } from "./i18n/irc.ts";
import type { Lang } from "./i18n/types.ts";
import { webCatalogue } from "./i18n/web.ts";
import { hostPort, lanAddresses } from "./server/addresses.ts";
import type { Cluster } from "./server/cluster.ts";
import { ConfigError, formatConfig, loadServeConfig, redactUrl } from "./server/config.ts";
import { type OperatorConsole, startConsole } from "./server/console.ts";
import { CLIENT_FILE, DEFAULT_HTTP_PORT, DEFAULT_WEB_ROOT } from "./server/http.ts";
import { DEFAULT_LIMITS, type Limits, parseLimitOverrides } from "./server/limits.ts";
import { createLogger, LOG_LEVELS, type LogSetting } from "./server/log.ts";
import {
  DEFAULT_IRC_PORT,
  DEFAULT_IRC_TLS_PORT,
  type OptionalListener,
  type RunningServer,
  type ServeConfig,
  startServer,
} from "./server/server.ts";
import { tuneTiering } from "./server/tiering.ts";
import { VERSION } from "./server/version.ts";
import { MemoryStore } from "./store/memory.ts";
import { loadSqlite, SqliteStore, StoreOpenError } from "./store/sqlite.ts";
import { normalizeOrigin } from "./transports/websocket.ts";

export const DEFAULT_PORT = 7777;
/** Default port of the TLS chat listener (`--tls-cert` and `--tls-key` turn it on). */
export const DEFAULT_TLS_PORT = 7778;

const USAGE = `papo ${VERSION} — chat over TCP: nc/telnet, a terminal client, one room

Usage:
  papo serve   [--host HOST] [--port PORT] [--lang en|pt-BR] [--hide-addresses]
               [--log-level debug|info|warn|error|silent] [--log-messages] [--limit NAME=VALUE ...]
               [--tls-cert FILE --tls-key FILE [--tls-port PORT]] [--password PASSWORD]
               [--http-port PORT | --no-http] [--allow-origin ORIGIN ...] [--nick-port PORT]
               [--irc-port PORT | --no-irc] [--irc-tls-port PORT] [--data DIR | --no-store | --redis URL]
               [--config FILE] [--print-config]
               [--metrics-port PORT [--metrics-host HOST]]
  papo connect [HOST][:PORT] [--name NAME] [--lang en|pt-BR] [--no-color] [--no-reconnect]
               [--tls [--ca FILE | --insecure]]   (papo connect --help for details)

serve options:
  --host HOST         interface to listen on (default: all interfaces)
  --port, -p PORT     TCP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --lang LANG         language of server texts (default: from the locale, else en)
  --hide-addresses    do not show users' IP:port to others
  --log-level LEVEL   log verbosity on stderr (default info)
  --log-messages      also log message content (off by default)
  --tls-cert FILE     PEM certificate (chain): also listen with TLS, same protocol
  --tls-key FILE      PEM private key of that certificate
  --tls-port PORT     TLS port (default ${DEFAULT_TLS_PORT}; 0 picks a free one)
  --password PASSWORD ask every client for this password before the name
                      (better: the PAPO_PASSWORD environment variable, not shown in ps)
  --http-port PORT    web app and WebSocket (/ws) port (default ${DEFAULT_HTTP_PORT}; 0 picks a free one;
                      HTTPS and WSS when --tls-cert is given)
  --no-http           do not serve the web app
  --allow-origin ORIGIN  also accept WebSocket connections from pages on ORIGIN
                      (e.g. https://chat.example.org; repeatable; default: same origin only)
  --data DIR          keep rooms' history in DIR/papo.db, an SQLite database (default:
                      ./papo-data, or PAPO_DATA; created on first start)
  --no-store          keep history in memory only (lost when papo stops)
  --nick-port PORT    also listen for seed 001's client on PORT (it greets with NICK and
                      sends ASCII only; the seed used 55555; 0 picks a free one)
  --redis URL         join a cluster: rooms, names and history shared with every papo on this
                      Redis (redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS; or
                      PAPO_REDIS_URL); see docs/operations.md
  --irc-port PORT     IRC clients' port (default ${DEFAULT_IRC_PORT}, skipped with a warning when busy;
                      0 picks a free one)
  --irc-tls-port PORT IRC over TLS, with --tls-cert (default ${DEFAULT_IRC_TLS_PORT} when TLS is on, skipped
                      with a warning when busy; 0 picks a free one)
  --no-irc            no IRC listener
  --metrics-port PORT serve GET /metrics (Prometheus) and GET /healthz on PORT (default: none)
  --metrics-host HOST interface of the metrics port (default 127.0.0.1: this machine only)
  --limit NAME=VALUE  change a limit (see the README's operations section):
                      ${Object.keys(DEFAULT_LIMITS).join(", ")}
  --config FILE       read options from this TOML file (default: ./papo.toml if it exists, or
                      PAPO_CONFIG); every option is also a PAPO_… variable (PAPO_HTTP_PORT,
                      PAPO_LIMIT_FLOOD_BURST): flags over variables over the file
  --print-config      print the resulting configuration, and where each value came from
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve":
      return serve(rest);
    case "connect": {
      const { runConnect } = await import("./client/main.ts");
      return runConnect(rest);
    }
    case "--version":
    case "-v":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

const SERVE_OPTIONS = {
  host: { type: "string" },
  port: { type: "string", short: "p" },
  lang: { type: "string" },
  "hide-addresses": { type: "boolean", default: false },
  "log-level": { type: "string", default: "info" },
  "log-messages": { type: "boolean", default: false },
  limit: { type: "string", multiple: true, default: [] as string[] },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-port": { type: "string" },
  password: { type: "string" },
  "http-port": { type: "string" },
  "no-http": { type: "boolean", default: false },
  "allow-origin": { type: "string", multiple: true, default: [] as string[] },
  data: { type: "string" },
  "no-store": { type: "boolean", default: false },
  "nick-port": { type: "string" },
  redis: { type: "string" },
  "irc-port": { type: "string" },
  "irc-tls-port": { type: "string" },
  "no-irc": { type: "boolean", default: false },
  "metrics-port": { type: "string" },
  "metrics-host": { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies ParseArgsConfig["options"];

function parseServeArgs(args: string[]) {
  return parseArgs({ args, options: SERVE_OPTIONS, strict: true, allowPositionals: false });
}

async function serve(args: string[]): Promise<number> {
  // Issue 14: the per-message path optimized within seconds at light load (tiering.ts).
  tuneTiering();
  let values: ReturnType<typeof parseServeArgs>["values"];
  try {
    // Issue 13: flags over PAPO_… variables over the configuration file, from SERVE_OPTIONS.
    const loaded = loadServeConfig({ args, table: SERVE_OPTIONS, env: process.env, cwd: process.cwd() });
    if (loaded.printConfig) {
      const shown = {
        port: DEFAULT_PORT,
        "tls-port": DEFAULT_TLS_PORT,
        "http-port": DEFAULT_HTTP_PORT,
        "irc-port": DEFAULT_IRC_PORT,
        "irc-tls-port": DEFAULT_IRC_TLS_PORT,
        lang: pickLang(),
      };
      const texts = catalogue(pickLang(loaded.values.lang as string | undefined)).server;
      process.stdout.write(formatConfig(SERVE_OPTIONS, loaded.resolved, loaded.file, texts, shown));
      return 0;
    }
    values = loaded.values as typeof values;
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`bad port "${values.port}"`);
  if (values.lang !== undefined && !parseLang(values.lang))
    throw new UsageError(`unknown language "${values.lang}" (${LANGS.join(", ")})`);
  const level = values["log-level"] as LogSetting;
  if (!LOG_LEVELS.includes(level))
    throw new UsageError(`unknown log level "${level}" (${LOG_LEVELS.join(", ")})`);
  let limits: Limits;
  try {
    limits = parseLimitOverrides(values.limit ?? []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const lang = pickLang(values.lang);
  const t = catalogue(lang).server;
  // Item 7: TLS needs both files; the port is checked like --port.
  const certFile = values["tls-cert"];
  const keyFile = values["tls-key"];
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError("--tls-cert and --tls-key go together");
  if (values["tls-port"] !== undefined && certFile === undefined)
    throw new UsageError("--tls-port needs --tls-cert and --tls-key");
  const tlsPort = values["tls-port"] === undefined ? DEFAULT_TLS_PORT : Number(values["tls-port"]);
  if (!Number.isInteger(tlsPort) || tlsPort < 0 || tlsPort > 65535)
    throw new UsageError(`bad TLS port "${values["tls-port"]}"`);
  let tlsConfig: { cert: Buffer; key: Buffer; port: number } | undefined;
  if (certFile !== undefined && keyFile !== undefined) {
    const read = (option: string, file: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new UsageError(t.tlsFileError({ option, file, reason: e.code ?? e.message }));
      }
    };
    tlsConfig = { cert: read("--tls-cert", certFile), key: read("--tls-key", keyFile), port: tlsPort };
  }
  // Issue 3: the web app's port, or none.
  if (values["no-http"] && values["http-port"] !== undefined)
    throw new UsageError("--http-port and --no-http contradict each other");
  const httpPort = values["http-port"] === undefined ? DEFAULT_HTTP_PORT : Number(values["http-port"]);
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535)
    throw new UsageError(`bad HTTP port "${values["http-port"]}"`);
  const allowOrigins: string[] = [];
  for (const o of values["allow-origin"] ?? []) {
    const origin = normalizeOrigin(o);
    if (!origin) throw new UsageError(`bad --allow-origin "${o}" (expected like https://host:port)`);
    allowOrigins.push(origin);
  }
  // Issue 10: seed 001's client needs the server to speak first (NICK): its own port, opt-in.
  const nickPort = values["nick-port"] === undefined ? undefined : Number(values["nick-port"]);
  if (nickPort !== undefined && (!Number.isInteger(nickPort) || nickPort < 0 || nickPort > 65535))
    throw new UsageError(`bad nick port "${values["nick-port"]}"`);
  // Issue 11: IRC on by default, like the web app: a default port that is busy is skipped with a
  // warning; a port the operator chose must work or stop the start.
  const noIrc = values["no-irc"] ?? false;
  if (noIrc && (values["irc-port"] !== undefined || values["irc-tls-port"] !== undefined))
    throw new UsageError("--irc-port and --irc-tls-port contradict --no-irc");
  if (values["irc-tls-port"] !== undefined && certFile === undefined)
    throw new UsageError("--irc-tls-port needs --tls-cert and --tls-key");
  const ircPort = values["irc-port"] === undefined ? DEFAULT_IRC_PORT : Number(values["irc-port"]);
  if (!Number.isInteger(ircPort) || ircPort < 0 || ircPort > 65535)
    throw new UsageError(`bad IRC port "${values["irc-port"]}"`);
  const ircTlsPort =
    values["irc-tls-port"] === undefined ? DEFAULT_IRC_TLS_PORT : Number(values["irc-tls-port"]);
  if (!Number.isInteger(ircTlsPort) || ircTlsPort < 0 || ircTlsPort > 65535)
    throw new UsageError(`bad IRC TLS port "${values["irc-tls-port"]}"`);
  const optionalListeners: OptionalListener[] = [
    ...(values["irc-port"] === undefined ? (["irc"] as const) : []),
    ...(values["irc-tls-port"] === undefined ? (["ircs"] as const) : []),
  ];
  // Issue 13: metrics and health on a listener of their own, only when asked for.
  const metricsPort = values["metrics-port"] === undefined ? undefined : Number(values["metrics-port"]);
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535))
    throw new UsageError(`bad metrics port "${values["metrics-port"]}"`);
  if (values["metrics-host"] !== undefined && metricsPort === undefined)
    throw new UsageError("--metrics-host needs --metrics-port");
  // Item 8: the option wins over the environment; an empty value means no password.
  const password = values.password ?? "";
  // Log lines go to stderr; on a terminal console they are printed above its prompt instead.
  let writeLog = (line: string) => {
    process.stderr.write(line);
  };
  const log = createLogger(level, (line) => writeLog(line));
  if (values["no-store"] && values.data !== undefined)
    throw new UsageError("--data and --no-store contradict each other");
  // Issue 12: the option wins over the environment; an empty value means no cluster.
  const redisUrl = values.redis ?? "";
  if (values.redis && (values.data !== undefined || values["no-store"]))
    throw new UsageError("--redis keeps history in Redis: it goes without --data and --no-store");
  let cluster: Cluster | undefined;
  if (redisUrl) {
    const address = redactUrl(redisUrl);
    try {
      // Loaded only in cluster mode: a single node never loads the Redis client.
      const { connectCluster } = await import("./server/cluster.ts");
      cluster = await connectCluster(redisUrl, limits, log);
    } catch (err) {
      const reason = (err as Error)?.message ?? String(err);
      process.stderr.write(`${t.startFailed({ reason: t.redisUnreachable({ address, reason }) })}\n`);
      return 1;
    }
    process.stdout.write(`${t.clusterIn({ address })}\n`);
  }
  const store: RoomStore | number = cluster
    ? cluster.store
    : openStore(
        values["no-store"] ? undefined : values.data,
        values["no-store"] ?? false,
        lang,
        limits.retentionMessages,
        limits.maxUnsavedEvents,
      );
  if (typeof store === "number") return store;
  let server: RunningServer;
  const config: ServeConfig = {
    host: values.host,
    port,
    lang,
    hideAddresses: values["hide-addresses"] ?? false,
    logMessages: values["log-messages"] ?? false,
    limits,
    ...(password ? { password } : {}),
    ...(tlsConfig ? { tls: tlsConfig } : {}),
    ...(values["no-http"] ? {} : { httpPort, allowOrigins }),
    store,
    ...(nickPort !== undefined ? { nickPort } : {}),
    ...(cluster ? { cluster } : {}),
    ...(noIrc ? {} : { ircPort, ...(tlsConfig ? { ircTlsPort } : {}), optionalListeners }),
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    ...(values["metrics-host"] !== undefined ? { metricsHost: values["metrics-host"] } : {}),
  };
  try {
    server = await startServer(config, log).catch((err: NodeJS.ErrnoException & { listener?: string }) => {
      // The default web port is taken (another papo on this machine?): the chat still starts,
      // without the web app, and says so. A port the operator chose must work or stop the start.
      if (err.listener !== "http" || values["http-port"] !== undefined) throw err;
      const address = `${values.host ?? "*"}:${httpPort}`;
      const reason =
        err.code === "EADDRINUSE"
          ? t.portInUse({ address })
          : err.code === "EACCES"
            ? t.permissionDenied({ address })
            : err.message;
      process.stderr.write(`${webCatalogue(lang).serve.webUnavailable({ reason })}\n`);
      return startServer({ ...config, httpPort: undefined }, log);
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number; host?: string };
    // The TLS listener may be the one that failed: name the port the error names (and the
    // metrics listener its own interface).
    const where = `${e.host ?? values.host ?? "*"}:${e.port ?? port}`;
    const reason =
      e.code === "EADDRINUSE"
        ? t.portInUse({ address: where })
        : e.code === "EACCES"
          ? t.permissionDenied({ address: where })
          : `${e.code ?? ""} ${e.message}`.trim();
    process.stderr.write(`${t.startFailed({ reason })}\n`);
    store.close();
    await cluster?.close();
    return 1;
  }
  // S11: SIGINT and SIGTERM shut down the same way as the console command. Installed before the
  // server says it is listening, so a signal right after that line still shuts down cleanly; kept
  // installed, so a second signal cannot cut short a shutdown that the grace period bounds anyway.
  let stopping = false;
  let stopped!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    stopped = resolve;
  });
  let operatorConsole: OperatorConsole | undefined;
  const stop = (reason?: string) => {
    if (stopping) return;
    stopping = true;
    const line = `${t.shuttingDown({ ...(reason ? { text: reason } : {}) })}\n`;
    if (operatorConsole) operatorConsole.print(line);
    else process.stdout.write(line);
    void server.close(reason).then(() => {
      process.stdout.write(`${t.stopped}\n`);
      stopped(0);
    });
  };
  process.on("SIGINT", () => stop());
  process.on("SIGTERM", () => stop());

  // Issue 11: a default IRC port that was busy: one line each, and the chat goes on without it.
  const irct = ircCatalogue(lang);
  for (const skip of server.skipped) {
    const address = `${values.host ?? "*"}:${skip.port}`;
    const reason =
      skip.code === "EADDRINUSE"
        ? t.portInUse({ address })
        : skip.code === "EACCES"
          ? t.permissionDenied({ address })
          : skip.code;
    process.stderr.write(
      `${skip.listener === "irc" ? irct.serveOff({ reason }) : irct.serveTlsOff({ reason })}\n`,
    );
  }
  const bound = server.address;
  const shownHost =
    values.host ?? (bound.family === "IPv6" && bound.address === "::" ? "0.0.0.0" : bound.address);
  process.stdout.write(
    `${t.listening({ address: `${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${bound.port}` })}\n`,
  );
  if (server.tlsAddress)
    process.stdout.write(
      `${t.listeningTls({ address: `${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${server.tlsAddress.port}` })}\n`,
    );
  if (server.nickAddress)
    process.stdout.write(
      `${t.listeningNick({ address: `${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${server.nickAddress.port}` })}\n`,
    );
  const web = webCatalogue(lang).serve;
  const webUrl = (host: string) =>
    `${tlsConfig ? "https" : "http"}://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${server.httpAddress?.port}/`;
  if (server.httpAddress)
    process.stdout.write(
      `${web.webListening({ url: webUrl(values.host === undefined || shownHost === "0.0.0.0" || shownHost === "::" ? "localhost" : shownHost) })}\n`,
    );
  // irc:// and ircs:// URLs (draft-butcher-irc-url), shown like the web app's.
  const ircUrl = (scheme: "irc" | "ircs", host: string, port: number) =>
    `${scheme}://${hostPort(host, port)}`;
  const localHost =
    values.host === undefined || shownHost === "0.0.0.0" || shownHost === "::" ? "localhost" : shownHost;
  if (server.ircAddress)
    process.stdout.write(
      `${irct.serveListening({ url: ircUrl("irc", localHost, server.ircAddress.port) })}\n`,
    );
  if (server.ircTlsAddress)
    process.stdout.write(
      `${irct.serveListeningTls({ url: ircUrl("ircs", localHost, server.ircTlsAddress.port) })}\n`,
    );
  if (server.metricsAddress) {
    const m = server.metricsAddress;
    process.stdout.write(`${t.metricsListening({ url: `http://${hostPort(m.address, m.port)}` })}\n`);
  }
  if (values.host === undefined || values.host === "0.0.0.0" || values.host === "::") {
    const lan = lanAddresses();
    if (lan.length) {
      process.stdout.write(`${t.joinHint}\n`);
      for (const host of lan) {
        const address = hostPort(host, bound.port);
        process.stdout.write(`${t.joinWith({ address, host, port: bound.port })}\n`);
        if (server.httpAddress) process.stdout.write(`${web.webJoinWith({ url: webUrl(host) })}\n`);
        const irc = server.ircAddress && ircUrl("irc", host, server.ircAddress.port);
        const ircs = server.ircTlsAddress && ircUrl("ircs", host, server.ircTlsAddress.port);
        if (irc || ircs)
          process.stdout.write(`${irct.serveJoinWith({ urls: [irc, ircs].filter(Boolean).join("  ") })}\n`);
        // Issue 13 item 1: no papo installed? The web listener serves the client as one file.
        if (server.httpAddress && existsSync(path.join(DEFAULT_WEB_ROOT, CLIENT_FILE)))
          process.stdout.write(`${web.clientJoinWith({ url: `${webUrl(host)}${CLIENT_FILE}`, address })}\n`);
      }
    }
  }
  process.stdout.write(`${t.consoleReady}\n`);

  const opened = startConsole({
    input: process.stdin,
    output: process.stdout,
    texts: t,
    server,
    onShutdown: stop,
  });
  operatorConsole = opened;
  if (opened.interactive && process.stderr.isTTY) writeLog = (line) => opened.print(line);
  server.tcp.once("close", () => {
    writeLog = (line) => {
      process.stderr.write(line);
    };
    opened.close();
  });
  return done;
}

/**
 * The room log (issue 14): SQLite in `dir` (default ./papo-data), or memory with --no-store. When
 * better-sqlite3 cannot load here, history is kept in memory (one line says so), unless the
 * operator asked for a data directory explicitly: then the start fails. An unusable directory or
 * database stops the start with one line; returns the exit code then.
 */
function openStore(
  dir: string | undefined,
  noStore: boolean,
  lang: Lang,
  keep: number,
  maxUnsaved: number,
): RoomStore | number {
  const t = catalogue(lang).server;
  if (noStore) return new MemoryStore({ keep });
  const sqlite = loadSqlite();
  if (!sqlite.ok) {
    if (dir !== undefined) {
      process.stderr.write(`${t.startFailed({ reason: t.storeMissing({ reason: sqlite.error }) })}\n`);
      return 1;
    }
    process.stderr.write(`${t.storeFallback({ reason: sqlite.error })}\n`);
    return new MemoryStore({ keep });
  }
  const where = path.resolve(dir ?? "papo-data");
  try {
    const store = new SqliteStore(sqlite.Database, where, { maxUnsaved });
    process.stdout.write(`${t.historyIn({ file: store.file })}\n`);
    return store;
  } catch (err) {
    process.stderr.write(
      `${t.startFailed({ reason: err instanceof StoreOpenError ? err.message : String(err) })}\n`,
    );
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Nothing else should keep the process alive after a clean stop (stdin, timers).
    if (process.argv[2] === "serve") setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    const t = catalogue(pickLang()).server;
    if (err instanceof UsageError) process.stderr.write(`${t.badOption({ detail: err.message })}\n`);
    else process.stderr.write(`papo: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
