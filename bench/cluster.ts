/**
 * Issue 12: one papo node against two nodes sharing one Redis, same load, same session.
 *
 *   nice -n -10 node --import tsx bench/cluster.ts --clients 1000 --rates 1 --duration 15 --repeat 3 \
 *     --quiet-below 25
 *
 * Each repeat runs, in turn:
 * - `one`: one `papo serve --no-store` (the log in memory: a cluster node keeps no SQLite either,
 *   its log is in Redis), every client on it;
 * - `two`: a fresh `redis-server` (no persistence, `noeviction`) on a free port and two
 *   `papo serve --redis` nodes, client i on node i mod 2 (loadgen `--ports`).
 * Reported per run: loss, p50/p99, and the CPU (utime+stime) of each node and of Redis over the
 * send window, and each node's CPU per delivery it wrote, in µs: with clients split evenly a node
 * writes half of all deliveries, so µs/delivery = CPU seconds / (deliveries / nodes); and each
 * node's deliveries per write syscall (`syscw` of /proc/PID/io: a node's writes to Redis count).
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type LoadResult, runLoad } from "./loadgen.ts";
import { waitForQuiet } from "./proc.ts";
import { type Redis, startRedis } from "./redis.ts";
import { REPO_ROOT, type RunningServer, type ServerDef, startServer } from "./servers.ts";

const HELP = `usage: node --import tsx bench/cluster.ts [options]
  --clients LIST       N values (default 1000)
  --rates LIST         r values in msgs/s per client (default 1)
  --duration S         seconds of sending per run (default 15)
  --repeat K           K rounds of (one node, two nodes) (default 1)
  --papo-args "ARGS"   extra arguments for every papo serve
  --setups LIST        which setups to run, in order (default one,two)
  --warmup S           first an unmeasured load of S seconds on the same processes (JIT warm-up),
                       then the measured one (default 0)
  --perf DIR           record each papo node with \`perf record -g\` into DIR (add --node-args=--perf-basic-prof)
  --node-args "ARGS"   extra node options for every papo serve (e.g. "--cpu-prof --cpu-prof-dir=DIR")
  --quiet-below PCT    before each run, wait until the machine is under PCT % of one core busy
  --quiet-wait S       wait at most S seconds for that (default 60)
  --out FILE           JSON results (default bench/results/cluster-<time>.json)`;

/** Extra node options for every papo serve (--node-args). */
let nodeArgs: string[] = [];
/** Where `perf record` writes each node's profile (--perf), or undefined. */
let perfDir: string | undefined;
let perfRun = 0;
/** Seconds of unmeasured load before the measured run (--warmup). */
let warmupS = 0;

function papo(name: string, args: string[]): ServerDef {
  return {
    name,
    protocol: "text",
    description: `papo serve ${args.join(" ")}`,
    command: [
      "node",
      ...nodeArgs,
      "--import",
      "tsx",
      join(REPO_ROOT, "src/cli.ts"),
      "serve",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--log-level",
      "warn",
      "--no-http",
      "--no-irc",
      ...args,
    ],
    port: "stdout",
  };
}

interface Row {
  setup: "one" | "two";
  clients: number;
  rate: number;
  result: LoadResult;
  nodeCpuSeconds: (number | null)[];
  redisCpuSeconds: number | null;
  usPerDeliveryPerNode: (number | null)[];
  /** each node's deliveries per write syscall over the send window (/proc/PID/io syscw) */
  deliveriesPerWritePerNode: (number | null)[];
}

async function runOnce(
  setup: "one" | "two",
  clients: number,
  rate: number,
  durationS: number,
  extra: string[],
) {
  const stops: (() => Promise<void>)[] = [];
  try {
    let redis: Redis | undefined;
    let nodes: RunningServer[];
    if (setup === "one") {
      nodes = [await startServer(papo("papo-one", ["--no-store", ...extra]))];
    } else {
      redis = await startRedis();
      stops.push(redis.stop);
      nodes = [];
      for (const n of ["a", "b"])
        nodes.push(await startServer(papo(`papo-${n}`, ["--redis", redis.url, ...extra])));
    }
    for (const n of nodes) stops.unshift(n.stop);
    const first = nodes[0] as RunningServer;
    if (warmupS > 0) {
      // Same clients and names as the measured run: they leave first, and their names are free
      // again once the leaves went through (Redis, in a cluster).
      await runLoad({
        host: "127.0.0.1",
        port: first.port,
        ...(nodes.length > 1 ? { ports: nodes.map((n) => n.port) } : {}),
        protocol: "text",
        clients,
        rate,
        durationS: warmupS,
        serverPid: null,
        label: "warm-up",
        verbose: false,
      });
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Recorded after the warm-up, if any.
    if (perfDir) {
      perfRun++;
      for (const [i, n] of nodes.entries()) {
        const rec = spawn(
          "perf",
          [
            "record",
            "-F",
            "999",
            "-g",
            "-p",
            String(n.pid),
            "-o",
            join(perfDir, `${perfRun}-${setup}-${i}.data`),
          ],
          { stdio: "ignore" },
        );
        rec.once("error", () => {});
        stops.unshift(async () => {
          const gone = new Promise((r) => rec.once("exit", r));
          rec.kill("SIGINT");
          await gone;
        });
      }
    }
    const result = await runLoad({
      host: "127.0.0.1",
      port: first.port,
      ...(nodes.length > 1 ? { ports: nodes.map((n) => n.port) } : {}),
      protocol: "text",
      clients,
      rate,
      durationS,
      serverPid: first.pid,
      extraPids: [...nodes.slice(1).map((n) => n.pid), ...(redis ? [redis.pid] : [])],
      label: `${setup}-node${setup === "two" ? "s" : ""}`,
      verbose: false,
    });
    const secs = result.cpu?.seconds ?? durationS;
    const firstCpu = result.cpu?.serverCpuPct != null ? (result.cpu.serverCpuPct / 100) * secs : null;
    const extraCpu = result.extraCpuSeconds ?? [];
    const nodeCpuSeconds = [firstCpu, ...extraCpu.slice(0, nodes.length - 1)];
    const redisCpuSeconds = redis ? (extraCpu[nodes.length - 1] ?? null) : null;
    // Deliveries during the send window, as each node wrote its share.
    const delivered = result.deliveredPerSec * secs;
    const usPerDeliveryPerNode = nodeCpuSeconds.map((c) =>
      c === null || delivered === 0 ? null : (c * 1e6) / (delivered / nodes.length),
    );
    const counters = result.procCounters ?? [];
    const deliveriesPerWritePerNode = nodes.map((_, i) => {
      const w = counters[i]?.syscw;
      return w === undefined || w === 0 ? null : delivered / nodes.length / w;
    });
    return {
      setup,
      clients,
      rate,
      result,
      nodeCpuSeconds,
      redisCpuSeconds,
      usPerDeliveryPerNode,
      deliveriesPerWritePerNode,
    } satisfies Row;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
  }
}

const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? "–" : x.toFixed(d));

function table(rows: Row[]): string {
  const head =
    "| setup | N × r | delivered/s | loss | dup | reord | p50 ms | p99 ms | CPU s per node (send window) | µs CPU per delivery, per node | deliveries per write syscall, per node | Redis CPU s | other % |";
  const lines = [head, head.replace(/[^|]+/g, "---")];
  for (const r of rows) {
    const x = r.result;
    lines.push(
      `| ${r.setup} | ${r.clients} × ${r.rate} | ${Math.round(x.deliveredPerSec)} | ${x.lost} | ${x.duplicates} | ${x.reordered} | ${f(x.latencyMs.p50)} | ${f(x.latencyMs.p99)} | ${r.nodeCpuSeconds.map((c) => f(c)).join(", ")} | ${r.usPerDeliveryPerNode.map((c) => f(c, 2)).join(", ")} | ${r.deliveriesPerWritePerNode.map((c) => f(c, 2)).join(", ")} | ${f(r.redisCpuSeconds)} | ${f(x.cpu?.otherCpuPct, 0)} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: "string" },
      rates: { type: "string" },
      duration: { type: "string" },
      repeat: { type: "string" },
      "papo-args": { type: "string" },
      "node-args": { type: "string" },
      perf: { type: "string" },
      warmup: { type: "string" },
      setups: { type: "string" },
      "quiet-below": { type: "string" },
      "quiet-wait": { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const list = (v: string | undefined, d: number[]) => (v ? v.split(",").map(Number) : d);
  const clientsList = list(values.clients, [1000]);
  const rates = list(values.rates, [1]);
  const durationS = Number(values.duration ?? 15);
  const repeat = Number(values.repeat ?? 1);
  const extra = (values["papo-args"] ?? "").split(/\s+/).filter(Boolean);
  nodeArgs = (values["node-args"] ?? "").split(/\s+/).filter(Boolean);
  perfDir = values.perf;
  warmupS = Number(values.warmup ?? 0);
  const setups = (values.setups ?? "one,two").split(",").map((x) => {
    if (x !== "one" && x !== "two") throw new Error(`--setups: ${x} is neither one nor two`);
    return x;
  });
  const quietPct = Number(values["quiet-below"] ?? 0);
  const quietWaitS = Number(values["quiet-wait"] ?? 60);
  const rows: Row[] = [];
  for (let k = 0; k < repeat; k++) {
    for (const clients of clientsList) {
      for (const rate of rates) {
        for (const setup of setups) {
          await waitForQuiet(quietPct, quietWaitS, true);
          process.stderr.write(
            `cluster bench: ${setup} node(s), ${clients} × ${rate}, round ${k + 1}/${repeat}\n`,
          );
          rows.push(await runOnce(setup, clients, rate, durationS, extra));
        }
      }
    }
  }
  const out =
    values.out ??
    join(REPO_ROOT, "bench/results", `cluster-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  mkdirSync(join(out, ".."), { recursive: true });
  writeFileSync(out, JSON.stringify(rows, null, 2));
  process.stdout.write(`${table(rows)}\n\nresults: ${out}\n`);
}

main().catch((err) => {
  process.stderr.write(`cluster bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
