/**
 * One load-generator thread: connects its share of the clients, registers them, sends at the
 * configured rate when told to, and checks every delivery it receives (loss, duplicates,
 * reordering, latency). Started by loadgen.ts; talks to it only through messages and a small
 * SharedArrayBuffer of progress counters.
 */
import net from "node:net";
import { createHistogram } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import {
  C_FAILED,
  C_RECEIVED,
  C_REGISTERED,
  C_SENT,
  COUNTER_SLOTS,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
  type WorkerStats,
} from "./loadgen-messages.ts";
import {
  adapterFor,
  encodePayload,
  LEN_SENDER,
  LEN_SEQ,
  LEN_TIME,
  OFF_SENDER,
  OFF_SEQ,
  OFF_TIME,
  PAYLOAD_BYTES,
  type ProtocolAdapter,
  parseDigits,
} from "./protocols.ts";

const init = workerData as WorkerInit;
const port = parentPort!;
const CHANNEL = init.ircChannel ?? "#bench";
const EPOCH = BigInt(init.epochNs);
const counters = new Float64Array(init.counters, init.workerIndex * COUNTER_SLOTS * 8, COUNTER_SLOTS);
const N = init.totalClients;
const MAX_PENDING = 65536;
const ROOMS = init.rooms ?? 0;
/** The client's room in a rooms run. */
function roomOf(id: number): string | undefined {
  return ROOMS > 0 ? `#r${id % ROOMS}` : undefined;
}

function nowUs(): number {
  return Number(process.hrtime.bigint() - EPOCH) / 1000;
}

interface Client {
  id: number;
  local: number;
  nick: string;
  /** how this client speaks (a mixed run has both kinds) */
  adapter: ProtocolAdapter;
  irc: boolean;
  sock: net.Socket | null;
  registered: boolean;
  done: boolean;
  rest: Buffer | null;
  seq: number;
  nextSendUs: number;
  timer: NodeJS.Timeout | null;
}

const clients: Client[] = [];
const errors: string[] = [];
const stats: WorkerStats = {
  workerIndex: init.workerIndex,
  registered: 0,
  failed: 0,
  sent: 0,
  received: 0,
  receivedDuringSend: 0,
  duplicates: 0,
  reordered: 0,
  corrupt: 0,
  crossRoom: 0,
  echoes: 0,
  otherLines: 0,
  closedEarly: 0,
  errors,
};
const latency = createHistogram({ lowest: 1, highest: 600_000_000, figures: 3 });
const sendLag = createHistogram({ lowest: 1, highest: 600_000_000, figures: 3 });

// Ordering state per (local receiver, global sender): the highest seq seen and a 32-bit window of
// which of the 32 seqs below it were seen (bit k = seq last-1-k), to tell a duplicate from a
// late (reordered) delivery.
const last = init.trackOrder ? new Int32Array(init.count * N).fill(-1) : new Int32Array(0);
const window = init.trackOrder ? new Uint32Array(init.count * N) : new Uint32Array(0);

let phase: "ramp" | "idle" | "send" | "drain" | "closing" = "ramp";
let measureFromUs = Number.POSITIVE_INFINITY;

function note(msg: string): void {
  if (errors.length < 20) errors.push(msg);
}

function deliver(c: Client, buf: Buffer, p: number, now: number): void {
  const sender = parseDigits(buf, p + OFF_SENDER, LEN_SENDER);
  const seq = parseDigits(buf, p + OFF_SEQ, LEN_SEQ);
  const t = parseDigits(buf, p + OFF_TIME, LEN_TIME);
  if (sender < 0 || seq < 0 || t < 0 || sender >= N) {
    stats.corrupt++;
    return;
  }
  if (sender === c.id) {
    stats.echoes++;
    return;
  }
  if (ROOMS > 0 && sender % ROOMS !== c.id % ROOMS) {
    stats.crossRoom++;
    return;
  }
  if (init.trackOrder) {
    const idx = c.local * N + sender;
    const l = last[idx]!;
    if (seq > l) {
      const d = seq - l;
      if (l < 0 || d > 32) window[idx] = 0;
      else window[idx] = ((d === 32 ? 0 : window[idx]! << d) | (1 << (d - 1))) >>> 0;
      last[idx] = seq;
    } else if (seq === l) {
      stats.duplicates++;
      return;
    } else {
      const k = l - seq - 1;
      if (k < 32) {
        const bit = (1 << k) >>> 0;
        if ((window[idx]! & bit) !== 0) {
          stats.duplicates++;
          return;
        }
        window[idx] = (window[idx]! | bit) >>> 0;
      }
      stats.reordered++;
    }
  }
  stats.received++;
  if (t >= measureFromUs) {
    const lat = Math.round(now - t);
    latency.record(lat < 1 ? 1 : lat);
  }
}

function onControl(c: Client, line: string): void {
  const r = c.adapter.onLine(line, c.nick, c.registered, roomOf(c.id));
  if (r.reply && c.sock && !c.sock.destroyed) c.sock.write(r.reply);
  if (r.error) {
    fail(c, r.error);
    return;
  }
  if (r.registered && !c.registered) {
    c.registered = true;
    if (c.timer) clearTimeout(c.timer);
    c.timer = null;
    stats.registered++;
    counters[C_REGISTERED] = stats.registered;
    settle();
  }
}

function onData(c: Client, chunk: Buffer): void {
  const now = nowUs();
  let buf = chunk;
  if (c.rest) {
    buf = Buffer.concat([c.rest, chunk]);
    c.rest = null;
  }
  const len = buf.length;
  let pos = 0;
  while (pos < len) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) {
      if (len - pos > MAX_PENDING) {
        fail(c, `a line longer than ${MAX_PENDING} bytes from the server`);
        return;
      }
      c.rest = Buffer.from(buf.subarray(pos));
      break;
    }
    let end = nl;
    if (end > pos && buf[end - 1] === 13) end--;
    const p = end - PAYLOAD_BYTES;
    if (p >= pos && buf[p] === 0x4d && buf[p + 1] === 0x7c && buf[p + 8] === 0x7c) {
      deliver(c, buf, p, now);
    } else if (end > pos) {
      // Registered text-mode clients see many notices (joins, leaves): decode only those that can
      // matter: anything before registration, IRC PING/ERROR, and "***" disconnect notices.
      const b0 = buf[pos];
      if (
        !c.registered ||
        (c.irc && (b0 === 0x50 || b0 === 0x45)) ||
        (b0 === 0x2a && buf[pos + 1] === 0x2a && buf[pos + 2] === 0x2a)
      ) {
        const line = buf.toString("utf8", pos, end);
        if (c.registered && line.startsWith("***")) note(`${c.nick}: ${line}`);
        else onControl(c, line);
        if (c.done) return;
      } else {
        stats.otherLines++;
      }
    }
    pos = nl + 1;
  }
}

let inflight = 0;
let nextToStart = 0;
let rampReported = false;

function startNext(): void {
  while (inflight < init.batch && nextToStart < clients.length) {
    connect(clients[nextToStart++]!);
  }
  if (!rampReported && nextToStart >= clients.length && inflight === 0) {
    rampReported = true;
    phase = "idle";
    post({ type: "registered", registered: stats.registered, failed: stats.failed, errors: errors.slice() });
  }
}

function settle(): void {
  inflight--;
  startNext();
}

function fail(c: Client, why: string): void {
  if (c.done) return;
  c.done = true;
  if (c.timer) clearTimeout(c.timer);
  c.timer = null;
  note(`${c.nick}: ${why}`);
  if (c.registered) {
    stats.closedEarly++;
  } else {
    stats.failed++;
    counters[C_FAILED] = stats.failed;
    inflight--;
    startNext();
  }
  c.sock?.destroy();
}

function connect(c: Client): void {
  inflight++;
  const port = init.ports?.length ? (init.ports[c.id % init.ports.length] as number) : init.port;
  const sock = net.connect({ host: init.host, port, noDelay: true });
  c.sock = sock;
  c.timer = setTimeout(
    () => fail(c, `not registered after ${init.registerTimeoutMs} ms (phase ${phase})`),
    init.registerTimeoutMs,
  );
  sock.on("connect", () => {
    const first = c.adapter.onConnect(c.nick);
    if (first) sock.write(first);
  });
  let greeted = false;
  sock.on("data", (chunk: Buffer) => {
    if (!greeted && !c.irc) {
      // text protocols: answer the greeting with our name as soon as the server says anything
      greeted = true;
      sock.write(`${c.nick}\n`);
    }
    onData(c, chunk);
  });
  sock.on("error", (err) => {
    if (phase !== "closing") fail(c, `socket error: ${err.message}`);
  });
  sock.on("close", () => {
    if (phase !== "closing" && !c.done) fail(c, "connection closed by the server");
  });
}

// ---- sending -------------------------------------------------------------------------------

let tick: NodeJS.Timeout | null = null;

function startSending(startUs: number, endUs: number, rate: number, jitter: number): void {
  phase = "send";
  const interval = 1e6 / rate;
  // Spread the first messages uniformly over one interval so the clients are not in phase.
  for (const c of clients) c.nextSendUs = startUs + Math.random() * interval;
  const send = () => {
    const now = nowUs();
    if (now >= endUs) {
      if (tick) clearInterval(tick);
      tick = null;
      phase = "drain";
      stats.receivedDuringSend = stats.received;
      counters[C_SENT] = stats.sent;
      post({ type: "sent", sent: stats.sent });
      return;
    }
    for (const c of clients) {
      if (!c.registered || c.done || !c.sock) continue;
      while (c.nextSendUs <= now) {
        const t = nowUs();
        sendLag.record(Math.max(1, Math.round(t - c.nextSendUs)));
        c.sock.write(c.adapter.encodeMessage(encodePayload(c.id, c.seq++, t), roomOf(c.id)));
        stats.sent++;
        // uniform jitter of +-jitter around the mean interval
        c.nextSendUs += interval * (1 + jitter * (2 * Math.random() - 1));
      }
    }
    counters[C_SENT] = stats.sent;
    counters[C_RECEIVED] = stats.received;
  };
  tick = setInterval(send, 2);
}

// received counter for the main thread's drain loop, cheap enough at 20 Hz
setInterval(() => {
  counters[C_RECEIVED] = stats.received;
}, 50).unref();

function post(m: FromWorker): void {
  port.postMessage(m);
}

port.on("message", (m: ToWorker) => {
  if (m.type === "start") {
    measureFromUs = m.measureFromUs;
    if (m.rate > 0) startSending(m.startUs, m.endUs, m.rate, m.jitter);
  } else if (m.type === "report") {
    counters[C_RECEIVED] = stats.received;
    if (phase === "send") stats.receivedDuringSend = stats.received;
    post({ type: "report", stats, latency, sendLag });
  } else if (m.type === "close") {
    phase = "closing";
    if (tick) clearInterval(tick);
    for (const c of clients) {
      if (c.timer) clearTimeout(c.timer);
      c.sock?.destroy();
    }
    port.close();
  }
});

for (let i = 0; i < init.count; i++) {
  const adapter = adapterFor(init.protocol, init.ircJoin, CHANNEL, init.firstId + i);
  clients.push({
    id: init.firstId + i,
    local: i,
    nick: `b${init.workerIndex}_${i}`,
    adapter,
    irc: adapter.name === "irc",
    sock: null,
    registered: false,
    done: false,
    rest: null,
    seq: 0,
    nextSendUs: 0,
    timer: null,
  });
}
startNext();
