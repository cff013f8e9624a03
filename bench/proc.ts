/**
 * Reading CPU time and memory from Linux /proc, for the server under test, the load generator
 * itself and the whole machine. Linux only; every reader returns null when /proc cannot be read
 * (the process has exited, or this is not Linux) rather than throwing.
 */
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

/** Clock ticks per second for /proc/[pid]/stat times. 100 on every Linux build we run on. */
export const CLK_TCK = 100;

export interface ProcCpu {
  /** user + system time in clock ticks (see CLK_TCK) */
  ticks: number;
}

/** utime + stime of a process (all its threads), in clock ticks. */
export function readProcCpu(pid: number | "self"): number | null {
  return statTicks(`/proc/${pid}/stat`);
}

function statTicks(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ")".
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return utime + stime;
}

/** Counters of a process that tell where its CPU went, from /proc/PID/{stat,io,status}. */
export interface ProcCounters {
  /** user and system time, clock ticks (CLK_TCK) */
  utime: number;
  stime: number;
  /** read and write syscalls (/proc/PID/io syscr, syscw) */
  syscr: number;
  syscw: number;
  /** context switches of the main thread: it waited / it was preempted */
  voluntary: number;
  involuntary: number;
}

/** The process's counters now, or null when they cannot be read (gone, not Linux, no permission). */
export function readProcCounters(pid: number): ProcCounters | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const num = (text: string, key: string) => Number(new RegExp(`^${key}:\\s*(\\d+)`, "m").exec(text)?.[1]);
    const c: ProcCounters = {
      utime: Number(fields[11]),
      stime: Number(fields[12]),
      syscr: num(io, "syscr"),
      syscw: num(io, "syscw"),
      voluntary: num(status, "voluntary_ctxt_switches"),
      involuntary: num(status, "nonvoluntary_ctxt_switches"),
    };
    return Object.values(c).every(Number.isFinite) ? c : null;
  } catch {
    return null;
  }
}

/** b - a, field by field (null when either is). */
export function diffCounters(a: ProcCounters | null, b: ProcCounters | null): ProcCounters | null {
  if (!a || !b) return null;
  const d = { ...b };
  for (const k of Object.keys(d) as (keyof ProcCounters)[]) d[k] -= a[k];
  return d;
}

export interface ProcMem {
  /** resident set size now, bytes */
  rss: number;
  /** peak resident set size since the process started (VmHWM), bytes */
  hwm: number;
}

/** VmRSS and VmHWM of a process, in bytes. */
export function readProcMem(pid: number | "self"): ProcMem | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(text);
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(text);
  if (!rss || !hwm) return null;
  return { rss: Number(rss[1]) * 1024, hwm: Number(hwm[1]) * 1024 };
}

/** CPU ticks of each thread of a process, keyed by thread id. */
export function readThreadTicks(pid: number | "self"): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const t = statTicks(`/proc/${pid}/task/${tid}/stat`);
    if (t !== null) out.set(Number(tid), t);
  }
  return out;
}

export interface MachineCpu {
  /** busy ticks summed over all CPUs (everything but idle and iowait) */
  busy: number;
  /** all ticks summed over all CPUs */
  total: number;
  /** ticks stolen by the hypervisor */
  steal: number;
  /** ticks in hard and soft interrupts (loopback packet processing lands here when no process pays) */
  irq: number;
}

/** The aggregate "cpu" line of /proc/stat. */
export function readMachineCpu(): MachineCpu | null {
  let text: string;
  try {
    text = readFileSync("/proc/stat", "utf8");
  } catch {
    return null;
  }
  const line = text.split("\n", 1)[0] ?? "";
  if (!line.startsWith("cpu ")) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice (guest is already in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total, steal, irq: irq + softirq };
}

export function cpuCount(): number {
  return cpus().length;
}

/** A snapshot of everything we compare between the start and the end of a measured window. */
export interface Snapshot {
  atMs: number;
  server: number | null;
  generator: number | null;
  generatorThreads: Map<number, number>;
  machine: MachineCpu | null;
}

export function snapshot(serverPid: number | null): Snapshot {
  return {
    atMs: performance.now(),
    server: serverPid === null ? null : readProcCpu(serverPid),
    generator: readProcCpu("self"),
    generatorThreads: readThreadTicks("self"),
    machine: readMachineCpu(),
  };
}

export interface CpuWindow {
  seconds: number;
  /** server CPU in % of one core over the window (null without a pid) */
  serverCpuPct: number | null;
  /** load generator process CPU, % of one core (all its threads) */
  generatorCpuPct: number | null;
  /** the generator's busiest thread, % of one core (near 100 means the generator is the bottleneck) */
  generatorBusiestThreadPct: number | null;
  /** the whole machine's busy time, % of one core (200 = both cores of a 2-core machine) */
  machineBusyPct: number | null;
  /** machine busy time not explained by the server or the generator, % of one core */
  otherCpuPct: number | null;
  /** hypervisor steal, % of one core */
  stealPct: number | null;
  /** interrupt and softirq time (part of otherCpuPct), % of one core */
  irqPct: number | null;
}

export function cpuWindow(a: Snapshot, b: Snapshot): CpuWindow {
  const seconds = (b.atMs - a.atMs) / 1000;
  const pct = (ticks: number) => (seconds > 0 ? (100 * ticks) / CLK_TCK / seconds : 0);
  const serverCpuPct = a.server !== null && b.server !== null ? pct(b.server - a.server) : null;
  const generatorCpuPct =
    a.generator !== null && b.generator !== null ? pct(b.generator - a.generator) : null;
  let busiest: number | null = null;
  for (const [tid, t1] of b.generatorThreads) {
    const t0 = a.generatorThreads.get(tid) ?? 0;
    const p = pct(t1 - t0);
    if (busiest === null || p > busiest) busiest = p;
  }
  let machineBusyPct: number | null = null;
  let stealPct: number | null = null;
  let irqPct: number | null = null;
  let otherCpuPct: number | null = null;
  if (a.machine && b.machine && b.machine.total > a.machine.total) {
    const n = cpuCount();
    // /proc/stat ticks are summed over all CPUs; scale to "% of one core" over the wall window.
    const frac = (x: number) => (100 * n * x) / (b.machine!.total - a.machine!.total);
    machineBusyPct = frac(b.machine.busy - a.machine.busy);
    stealPct = frac(b.machine.steal - a.machine.steal);
    irqPct = frac(b.machine.irq - a.machine.irq);
    otherCpuPct = machineBusyPct - (serverCpuPct ?? 0) - (generatorCpuPct ?? 0);
  }
  return {
    seconds,
    serverCpuPct,
    generatorCpuPct,
    generatorBusiestThreadPct: busiest,
    machineBusyPct,
    otherCpuPct,
    stealPct,
    irqPct,
  };
}

/** Samples a process's RSS periodically and keeps the maximum; VmHWM covers the whole life. */
export class RssSampler {
  max = 0;
  last = 0;
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly pid: number) {}
  start(everyMs = 250): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    return this;
  }
  sample(): ProcMem | null {
    const m = readProcMem(this.pid);
    if (m) {
      this.last = m.rss;
      if (m.rss > this.max) this.max = m.rss;
    }
    return m;
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }
}

/** Machine busy % (of one core) over one second, from /proc/stat. */
export async function machineBusyPct(): Promise<number | null> {
  const a = readMachineCpu();
  await new Promise((r) => setTimeout(r, 1000));
  const b = readMachineCpu();
  if (!a || !b || b.total <= a.total) return null;
  return (100 * cpuCount() * (b.busy - a.busy)) / (b.total - a.total);
}

/** Waits (at most maxWaitS) until the machine is less than belowPct busy; returns the last reading. */
export async function waitForQuiet(
  belowPct: number,
  maxWaitS: number,
  verbose: boolean,
): Promise<number | null> {
  const end = performance.now() + maxWaitS * 1000;
  for (;;) {
    const busy = await machineBusyPct();
    if (busy === null || belowPct <= 0 || busy < belowPct) return busy;
    if (performance.now() >= end) {
      process.stderr.write(
        `bench: machine still ${busy.toFixed(0)} % busy after ${maxWaitS} s; running anyway\n`,
      );
      return busy;
    }
    if (verbose)
      process.stderr.write(`bench: machine ${busy.toFixed(0)} % busy, waiting for it to calm down\n`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
