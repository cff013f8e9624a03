/**
 * Load generator for the room fan-out workload: N clients in one room, each sending r messages/s
 * of 100 bytes, so N·(N-1)·r deliveries/s. Clients are spread over worker threads; the main
 * thread coordinates the phases and measures the server and the machine from /proc.
 *
 * Phases: ramp (connect in batches, wait until EVERY client is registered) -> settle -> send for
 * `duration` seconds -> drain (until every expected delivery arrived, or no progress) -> report.
 * Every phase has a deadline; the generator only connects to loopback addresses.
 *
 * CLI (against a server you started yourself):
 *   node --import tsx bench/loadgen.ts --port 6667 --protocol irc --clients 100 --rate 0.5 \
 *     --duration 10 --pid $(pgrep -n ngircd)
 *   # papo's lobby, half IRC (even clients, port 6667) and half text (odd clients, port 7777):
 *   node --import tsx bench/loadgen.ts --protocol mixed --ports 6667,7777 --channel '#lobby' -n 1000 -r 1
 */
import { createHistogram, type RecordableHistogram } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import {
  C_FAILED,
  C_RECEIVED,
  C_REGISTERED,
  COUNTER_SLOTS,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
  type WorkerStats,
} from "./loadgen-messages.ts";
import {
  CLK_TCK,
  type CpuWindow,
  cpuWindow,
  diffCounters,
  type ProcCounters,
  type ProcMem,
  RssSampler,
  readProcCounters,
  readProcCpu,
  readProcMem,
  type Snapshot,
  snapshot,
} from "./proc.ts";
import { loopbackOnly, type ProtocolName } from "./protocols.ts";

export interface LoadOptions {
  host: string;
  port: number;
  /** several nodes of one cluster: client i connects to ports[i mod length] (`--ports A,B`) */
  ports?: number[];
  protocol: ProtocolName;
  /** number of clients (N) */
  clients: number;
  /** messages per second per client (r); 0 = idle run (connect, register, hold, measure memory) */
  rate: number;
  /** seconds of sending (or of holding, for an idle run) */
  durationS: number;
  /** worker threads for the clients */
  workers: number;
  /** connections per worker that may be connecting/registering at once */
  batch: number;
  /** send interval jitter: each interval is mean·(1 ± jitter·U(-1,1)) */
  jitter: number;
  /** latency is recorded only for messages sent after this many seconds of the send phase */
  warmupS: number;
  /** pause between "all registered" and the first message, for join notices to flush */
  settleS: number;
  /** give up waiting for missing deliveries after this long */
  drainTimeoutS: number;
  /** give up the drain earlier when no delivery arrived for this long */
  drainIdleS: number;
  /** deadline for the whole ramp */
  rampTimeoutS: number;
  /** deadline for one client's registration */
  registerTimeoutS: number;
  /** more processes whose CPU is read over the same send window (a cluster's other nodes, Redis) */
  extraPids?: number[];
  /** the server's pid, for CPU and memory from /proc (optional) */
  serverPid: number | null;
  /** IRC: JOIN #bench as part of registration (an idle run may skip it) */
  ircJoin: boolean;
  /** IRC: the channel to join and talk in (`--channel`; papo's `#lobby` in a mixed run) */
  ircChannel: string;
  /** rooms run: client i talks in `#r<i mod rooms>` (clients must be a multiple); 0: one room */
  rooms: number;
  label: string;
  /** progress lines on stderr */
  verbose: boolean;
}

export const DEFAULTS: LoadOptions = {
  host: "127.0.0.1",
  port: 7777,
  protocol: "text",
  clients: 100,
  rate: 0.5,
  durationS: 10,
  workers: 2,
  batch: 50,
  jitter: 0.5,
  warmupS: 1,
  settleS: 1,
  drainTimeoutS: 10,
  drainIdleS: 3,
  rampTimeoutS: 120,
  registerTimeoutS: 30,
  serverPid: null,
  ircJoin: true,
  ircChannel: "#bench",
  rooms: 0,
  label: "",
  verbose: false,
};

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  label: string;
  startedAt: string;
  options: Omit<LoadOptions, "verbose">;
  ok: boolean;
  errors: string[];
  registered: number;
  registerFailed: number;
  rampSeconds: number;
  sent: number;
  expected: number;
  received: number;
  lost: number;
  lossPct: number;
  duplicates: number;
  reordered: number;
  corrupt: number;
  /** rooms runs: deliveries from a sender in another room (must be 0) */
  crossRoom: number;
  echoes: number;
  closedEarly: number;
  /** N·(N-1)·r as actually sent: deliveries/s the server was asked for */
  offeredPerSec: number;
  /** deliveries received during the send window, per second */
  deliveredPerSec: number;
  /** time after the send window until the last expected delivery (or until we gave up) */
  drainSeconds: number;
  /** milliseconds */
  latencyMs: LatencySummary;
  /** how late the generator itself sent, vs schedule (ms): large values mean it was overloaded */
  sendLagMs: LatencySummary;
  cpu: CpuWindow | null;
  /** CPU seconds (utime+stime) of each `extraPids` process over the send window */
  extraCpuSeconds?: (number | null)[];
  /** /proc counters of the server, then of each `extraPids` process, over the send window */
  procCounters?: (ProcCounters | null)[];
  server: {
    pid: number | null;
    rssBeforeConnectBytes: number | null;
    rssAfterRegisterBytes: number | null;
    /** (RSS after registration - RSS before the first connection) / N */
    bytesPerConnection: number | null;
    /** Idle runs: RSS right after the ramp, before the hold (memory a collector has not yet returned) */
    rssAfterRampBytes: number | null;
    bytesPerConnectionAfterRamp: number | null;
    /** max RSS sampled every 250 ms from before the ramp to the end */
    peakRssBytes: number | null;
    /** VmHWM at the end (peak over the process's whole life) */
    hwmBytes: number | null;
  };
}

const MAX_CLIENTS = 20_000;
const MAX_DURATION_S = 120;
const MAX_RATE = 100;

/** Clients per room: everyone in a one-room run. */
function perRoom(o: LoadOptions): number {
  return o.rooms > 0 ? o.clients / o.rooms : o.clients;
}

export function validate(o: LoadOptions): LoadOptions {
  const host = loopbackOnly(o.host);
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`bad option: ${what}`);
  };
  check(Number.isInteger(o.port) && o.port > 0 && o.port < 65536, `port ${o.port}`);
  for (const p of o.ports ?? []) check(Number.isInteger(p) && p > 0 && p < 65536, `ports ${o.ports}`);
  check(o.protocol === "text" || o.protocol === "irc" || o.protocol === "mixed", `protocol ${o.protocol}`);
  check(/^#[^\s,]+$/.test(o.ircChannel), `channel ${o.ircChannel}`);
  check(o.protocol !== "mixed" || o.rooms === 0, "a mixed run is one room");
  check(
    Number.isInteger(o.clients) && o.clients >= 2 && o.clients <= MAX_CLIENTS,
    `clients 2..${MAX_CLIENTS}`,
  );
  check(o.rate >= 0 && o.rate <= MAX_RATE, `rate 0..${MAX_RATE}`);
  check(
    Number.isInteger(o.rooms) &&
      o.rooms >= 0 &&
      (o.rooms === 0 || (o.clients % o.rooms === 0 && o.clients / o.rooms >= 2)),
    "rooms: 0, or a divisor of clients with at least 2 clients per room",
  );
  check(o.durationS > 0 && o.durationS <= MAX_DURATION_S, `duration (0, ${MAX_DURATION_S}] s`);
  check(Number.isInteger(o.workers) && o.workers >= 1 && o.workers <= 16, "workers 1..16");
  check(Number.isInteger(o.batch) && o.batch >= 1, "batch >= 1");
  check(o.jitter >= 0 && o.jitter <= 1, "jitter 0..1");
  // Ordering tables are N·N/workers·8 bytes per worker; and per-worker counters are exact integers.
  check(o.rate === 0 || o.clients <= 5000, "sending runs are limited to 5000 clients (idle runs: 20000)");
  check(
    o.clients * (o.clients - 1) * o.rate * o.durationS < 2e9,
    "N·(N-1)·r·duration must stay under 2e9 deliveries",
  );
  return { ...o, host, workers: Math.min(o.workers, o.clients) };
}

function summarize(h: RecordableHistogram): LatencySummary {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.count === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.count,
    mean: ms(h.mean),
    p50: ms(h.percentile(50)),
    p90: ms(h.percentile(90)),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    max: ms(h.max),
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const WORKER_BOOT = `
const { workerData } = require("node:worker_threads");
import(workerData.__tsx).then((m) => { m.register(); return import(workerData.__entry); })
  .catch((e) => { console.error(e); process.exit(1); });
`;

function startWorker(init: WorkerInit): Worker {
  // Node 20 does not run --import hooks in worker threads: register tsx inside the worker first.
  const entry = new URL("./loadgen-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  return new Worker(WORKER_BOOT, { eval: true, workerData: { ...init, __entry: entry, __tsx: tsx } });
}

/** Runs one load test and returns its measurements. Throws only for invalid options. */
export async function runLoad(opts: Partial<LoadOptions>): Promise<LoadResult> {
  const o = validate({ ...DEFAULTS, ...opts });
  const log = (msg: string) => {
    if (o.verbose) process.stderr.write(`[loadgen ${o.label || o.protocol}] ${msg}\n`);
  };
  const startedAt = new Date().toISOString();
  const errors: string[] = [];
  const epochNs = process.hrtime.bigint();
  const nowUs = () => Number(process.hrtime.bigint() - epochNs) / 1000;
  const counters = new SharedArrayBuffer(o.workers * COUNTER_SLOTS * 8);
  const view = new Float64Array(counters);
  const sumCounter = (slot: number) => {
    let s = 0;
    for (let w = 0; w < o.workers; w++) s += view[w * COUNTER_SLOTS + slot]!;
    return s;
  };

  const rss = o.serverPid !== null ? new RssSampler(o.serverPid).start() : null;
  const before: ProcMem | null = o.serverPid !== null ? readProcMem(o.serverPid) : null;

  const workers: Worker[] = [];
  const inbox: FromWorker[][] = [];
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const per = Math.floor(o.clients / o.workers);
  let first = 0;
  for (let w = 0; w < o.workers; w++) {
    const count = w < o.workers - 1 ? per : o.clients - first;
    const worker = startWorker({
      workerIndex: w,
      host: o.host,
      port: o.port,
      ...(o.ports ? { ports: o.ports } : {}),
      protocol: o.protocol,
      ircJoin: o.ircJoin,
      ircChannel: o.ircChannel,
      rooms: o.rooms,
      firstId: first,
      count,
      totalClients: o.clients,
      batch: o.batch,
      registerTimeoutMs: o.registerTimeoutS * 1000,
      epochNs: epochNs.toString(),
      counters,
      trackOrder: o.rate > 0,
    });
    first += count;
    inbox.push([]);
    worker.on("message", (m: FromWorker) => {
      inbox[w]!.push(m);
      wake();
    });
    worker.on("error", (e) => {
      inbox[w]!.push({ type: "fatal", error: String(e) });
      wake();
    });
    workers.push(worker);
  }

  /** Waits until every worker has posted a message of `type`, or the deadline passes. */
  const collect = async <T extends FromWorker["type"]>(
    type: T,
    deadlineMs: number,
  ): Promise<(Extract<FromWorker, { type: T }> | null)[]> => {
    const end = performance.now() + deadlineMs;
    for (;;) {
      const got = inbox.map((msgs) => msgs.find((m) => m.type === type || m.type === "fatal") ?? null);
      if (got.every((g) => g !== null) || performance.now() >= end) {
        return got.map((g, w) => {
          if (g?.type === "fatal") {
            errors.push(`worker ${w}: ${g.error}`);
            return null;
          }
          if (g) inbox[w]!.splice(inbox[w]!.indexOf(g), 1);
          return g as Extract<FromWorker, { type: T }> | null;
        });
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, end - performance.now()));
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  };

  // ---- ramp ------------------------------------------------------------------------------------
  const rampStart = performance.now();
  const progress = setInterval(() => {
    log(`ramp: ${sumCounter(C_REGISTERED)}/${o.clients} registered, ${sumCounter(C_FAILED)} failed`);
  }, 2000);
  const reg = await collect("registered", o.rampTimeoutS * 1000);
  clearInterval(progress);
  const rampSeconds = (performance.now() - rampStart) / 1000;
  let registered = 0;
  let registerFailed = 0;
  for (const r of reg) {
    if (!r) {
      errors.push("ramp deadline passed");
      continue;
    }
    registered += r.registered;
    registerFailed += r.failed;
    errors.push(...r.errors.slice(0, 5));
  }
  if (reg.some((r) => r === null)) {
    registered = sumCounter(C_REGISTERED);
    registerFailed = o.clients - registered;
  }
  log(`ramp done in ${rampSeconds.toFixed(1)} s: ${registered} registered, ${registerFailed} failed`);
  const allRegistered = registered === o.clients;

  let cpu: CpuWindow | null = null;
  let sent = 0;
  let receivedAtEnd = 0;
  let drainSeconds = 0;
  let rssAfterRegister: number | null = null;
  /** Idle runs: RSS right after the ramp (and settleS), before the hold. */
  let rssAfterRamp: number | null = null;
  const stats: WorkerStats[] = [];
  let extraCpuSeconds: (number | null)[] | undefined;
  let procCounters: (ProcCounters | null)[] | undefined;
  const latency = createHistogram();
  const sendLag = createHistogram();

  if (allRegistered) {
    await sleep(o.settleS * 1000);
    if (o.rate === 0) {
      // ---- idle hold: measure what N registered connections cost the server ------------------
      const a: Snapshot = snapshot(o.serverPid);
      rssAfterRamp = rss?.sample()?.rss ?? null;
      await sleep(o.durationS * 1000);
      const b: Snapshot = snapshot(o.serverPid);
      cpu = cpuWindow(a, b);
      rssAfterRegister = rss?.sample()?.rss ?? null;
    } else {
      // ---- send ----------------------------------------------------------------------------
      rssAfterRegister = rss?.sample()?.rss ?? null;
      const startUs = nowUs() + 200_000;
      const endUs = startUs + o.durationS * 1e6;
      const measureFromUs = startUs + o.warmupS * 1e6;
      const msg: ToWorker = { type: "start", startUs, endUs, measureFromUs, rate: o.rate, jitter: o.jitter };
      for (const w of workers) w.postMessage(msg);
      await sleep((startUs - nowUs()) / 1000);
      const a = snapshot(o.serverPid);
      const extraA = (o.extraPids ?? []).map((p) => readProcCpu(p));
      const ioPids = [...(o.serverPid ? [o.serverPid] : []), ...(o.extraPids ?? [])];
      const ioA = ioPids.map(readProcCounters);
      log(`sending for ${o.durationS} s`);
      const sentMsgs = await collect("sent", o.durationS * 1000 + 30_000);
      const b = snapshot(o.serverPid);
      const extraB = (o.extraPids ?? []).map((p) => readProcCpu(p));
      procCounters = ioPids.map((p, i) => diffCounters(ioA[i] ?? null, readProcCounters(p)));
      extraCpuSeconds = extraA.map((t0, i) => {
        const t1 = extraB[i];
        return t0 === null || t1 === null || t1 === undefined ? null : (t1 - t0) / CLK_TCK;
      });
      cpu = cpuWindow(a, b);
      for (const s of sentMsgs) sent += s?.sent ?? 0;
      receivedAtEnd = sumCounter(C_RECEIVED);
      // ---- drain ---------------------------------------------------------------------------
      const expected = sent * (perRoom(o) - 1);
      const drainStart = performance.now();
      let lastCount = -1;
      let lastChange = drainStart;
      for (;;) {
        const got = sumCounter(C_RECEIVED);
        const t = performance.now();
        if (got !== lastCount) {
          lastCount = got;
          lastChange = t;
        }
        if (got >= expected) break;
        if (t - drainStart > o.drainTimeoutS * 1000 || t - lastChange > o.drainIdleS * 1000) {
          errors.push(`drain gave up after ${((t - drainStart) / 1000).toFixed(1)} s: ${got}/${expected}`);
          break;
        }
        await sleep(20);
      }
      drainSeconds = (performance.now() - drainStart) / 1000;
      log(`drained in ${drainSeconds.toFixed(2)} s`);
    }
  } else {
    errors.unshift(`only ${registered}/${o.clients} clients registered: no messages were sent`);
    // still worth knowing for an idle run: what the registered ones cost (divided by their number)
    if (o.rate === 0) rssAfterRegister = rss?.sample()?.rss ?? null;
  }

  // ---- report and close --------------------------------------------------------------------
  for (const w of workers) w.postMessage({ type: "report" } satisfies ToWorker);
  const reports = await collect("report", 15_000);
  for (const r of reports) {
    if (!r) continue;
    stats.push(r.stats);
    latency.add(r.latency);
    sendLag.add(r.sendLag);
    for (const e of r.stats.errors.slice(0, 5)) if (!errors.includes(e)) errors.push(e);
  }
  rss?.stop();
  const end = o.serverPid !== null ? readProcMem(o.serverPid) : null;
  for (const w of workers) w.postMessage({ type: "close" } satisfies ToWorker);
  let exitTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(workers.map((w) => new Promise((r) => w.once("exit", r)))),
    new Promise((r) => {
      exitTimer = setTimeout(r, 3000);
    }),
  ]);
  clearTimeout(exitTimer);
  await Promise.all(workers.map((w) => w.terminate()));

  const sum = (k: keyof WorkerStats) => stats.reduce((s, x) => s + (x[k] as number), 0);
  const received = sum("received");
  const expected = o.rate > 0 && allRegistered ? sent * (perRoom(o) - 1) : 0;
  const lost = Math.max(0, expected - received);
  const closedEarly = sum("closedEarly");
  const duplicates = sum("duplicates");
  const deliveredPerSec =
    o.rate > 0 ? (stats.length ? sum("receivedDuringSend") : receivedAtEnd) / o.durationS : 0;
  const bytesPerConnection =
    before && rssAfterRegister !== null && registered > 0
      ? Math.round((rssAfterRegister - before.rss) / registered)
      : null;
  const { verbose: _v, ...options } = o;
  return {
    label: o.label,
    startedAt,
    options,
    ok:
      allRegistered &&
      errors.length === 0 &&
      lost === 0 &&
      duplicates === 0 &&
      closedEarly === 0 &&
      sum("crossRoom") === 0,
    errors,
    registered,
    registerFailed,
    rampSeconds,
    sent,
    expected,
    received,
    lost,
    lossPct: expected > 0 ? (100 * lost) / expected : 0,
    duplicates,
    reordered: sum("reordered"),
    corrupt: sum("corrupt"),
    crossRoom: sum("crossRoom"),
    echoes: sum("echoes"),
    closedEarly,
    offeredPerSec: (sent * (perRoom(o) - 1)) / o.durationS,
    deliveredPerSec,
    drainSeconds,
    latencyMs: summarize(latency),
    sendLagMs: summarize(sendLag),
    cpu,
    ...(extraCpuSeconds ? { extraCpuSeconds } : {}),
    ...(procCounters ? { procCounters } : {}),
    server: {
      pid: o.serverPid,
      rssBeforeConnectBytes: before?.rss ?? null,
      rssAfterRegisterBytes: rssAfterRegister,
      bytesPerConnection,
      rssAfterRampBytes: rssAfterRamp,
      bytesPerConnectionAfterRamp:
        before && rssAfterRamp !== null && registered > 0
          ? Math.round((rssAfterRamp - before.rss) / registered)
          : null,
      peakRssBytes: rss ? rss.max : null,
      hwmBytes: end?.hwm ?? null,
    },
  };
}

// ---- formatting ---------------------------------------------------------------------------------

const mb = (b: number | null) => (b === null ? "-" : (b / 1048576).toFixed(1));
const pct = (p: number | null | undefined) => (p === null || p === undefined ? "-" : p.toFixed(0));
const fmtMs = (v: number) =>
  v >= 1000 ? `${(v / 1000).toFixed(2)}s` : v >= 10 ? v.toFixed(0) : v.toFixed(2);

export const TABLE_HEADER = [
  "server",
  "N",
  "r",
  "offered/s",
  "delivered/s",
  "loss%",
  "dup",
  "reord",
  "p50 ms",
  "p90",
  "p99",
  "max",
  "srv CPU%",
  "peak MB",
  "gen CPU%",
  "gen thr%",
  "other%",
  "notes",
];

export function tableRow(r: LoadResult): string[] {
  const notes: string[] = [];
  if (r.registerFailed) notes.push(`${r.registerFailed} not registered`);
  if (r.closedEarly) notes.push(`${r.closedEarly} dropped`);
  if (r.options.rooms > 0) notes.push(`${r.options.rooms} rooms, ${r.crossRoom ?? 0} cross-room`);
  if (r.sendLagMs.p99 > 50) notes.push(`gen lag p99 ${fmtMs(r.sendLagMs.p99)}ms`);
  if (r.cpu?.generatorBusiestThreadPct && r.cpu.generatorBusiestThreadPct > 90) notes.push("gen saturated");
  if (r.drainSeconds > 1) notes.push(`drain ${r.drainSeconds.toFixed(1)}s`);
  if (r.options.rate === 0 && r.server.bytesPerConnection !== null)
    notes.push(
      `${r.server.bytesPerConnection} B/conn` +
        (r.server.bytesPerConnectionAfterRamp != null
          ? ` (${r.server.bytesPerConnectionAfterRamp} right after the ramp)`
          : ""),
    );
  return [
    r.label || r.options.protocol,
    String(r.options.clients),
    String(r.options.rate),
    Math.round(r.offeredPerSec).toString(),
    Math.round(r.deliveredPerSec).toString(),
    r.lossPct === 0 ? "0" : r.lossPct.toFixed(2),
    String(r.duplicates),
    String(r.reordered),
    fmtMs(r.latencyMs.p50),
    fmtMs(r.latencyMs.p90),
    fmtMs(r.latencyMs.p99),
    fmtMs(r.latencyMs.max),
    pct(r.cpu?.serverCpuPct),
    mb(r.server.peakRssBytes),
    pct(r.cpu?.generatorCpuPct),
    pct(r.cpu?.generatorBusiestThreadPct),
    pct(r.cpu?.otherCpuPct),
    notes.join("; "),
  ];
}

export function formatTable(rows: string[][]): string {
  const all = [TABLE_HEADER, ...rows];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(TABLE_HEADER), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join(
    "\n",
  );
}

// ---- CLI ----------------------------------------------------------------------------------------

export const LOAD_FLAGS = {
  host: { type: "string" },
  port: { type: "string" },
  ports: { type: "string" },
  protocol: { type: "string" },
  clients: { type: "string", short: "n" },
  rate: { type: "string", short: "r" },
  duration: { type: "string", short: "d" },
  workers: { type: "string", short: "w" },
  batch: { type: "string" },
  jitter: { type: "string" },
  warmup: { type: "string" },
  settle: { type: "string" },
  "drain-timeout": { type: "string" },
  "no-join": { type: "boolean" },
  channel: { type: "string" },
  rooms: { type: "string" },
  pid: { type: "string" },
  "extra-pids": { type: "string" },
  label: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
} as const;

export function loadOptionsFromFlags(v: Record<string, string | boolean | undefined>): Partial<LoadOptions> {
  const num = (k: string) => (typeof v[k] === "string" ? Number(v[k]) : undefined);
  const o: Partial<LoadOptions> = {};
  const set = <K extends keyof LoadOptions>(k: K, x: LoadOptions[K] | undefined) => {
    if (x !== undefined) o[k] = x;
  };
  set("host", v.host as string | undefined);
  set("port", num("port"));
  if (typeof v.ports === "string") o.ports = v.ports.split(",").map(Number);
  set("protocol", v.protocol as ProtocolName | undefined);
  set("clients", num("clients"));
  set("rate", num("rate"));
  set("durationS", num("duration"));
  set("workers", num("workers"));
  set("batch", num("batch"));
  set("jitter", num("jitter"));
  set("warmupS", num("warmup"));
  set("settleS", num("settle"));
  set("drainTimeoutS", num("drain-timeout"));
  set("rooms", num("rooms"));
  set("serverPid", num("pid"));
  if (typeof v["extra-pids"] === "string") o.extraPids = v["extra-pids"].split(",").map(Number);
  set("label", v.label as string | undefined);
  if (v["no-join"]) o.ircJoin = false;
  set("ircChannel", v.channel as string | undefined);
  return o;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: LOAD_FLAGS, strict: true });
  const opts = loadOptionsFromFlags(values);
  opts.verbose = !values.quiet;
  const r = await runLoad(opts);
  if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    process.stdout.write(`${formatTable([tableRow(r)])}\n`);
    if (r.errors.length) process.stdout.write(`errors:\n  ${r.errors.slice(0, 10).join("\n  ")}\n`);
  }
  process.exitCode = r.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`loadgen: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}
