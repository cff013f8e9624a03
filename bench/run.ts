/**
 * Benchmark driver: starts each server fresh, runs the load generator against it, stops it, and
 * prints a table. Results are saved as JSON under bench/results/ (git-ignored).
 *
 *   npm run bench                       # --quick: papo at 100×0.5 and 500×1 (under 2 minutes)
 *   node --import tsx bench/run.ts --servers ngircd,inspircd,seed,raw-naive,raw-batched,papo \
 *        --clients 100,1000 --rates 0.5,1 --duration 15
 *   node --import tsx bench/run.ts --full            # every server × N∈{100,500,1000,2000} × r∈{0.5,1}
 *   node --import tsx bench/run.ts --servers ngircd --idle 10000   # idle memory per connection
 *
 * Benchmarks never run inside `npm test`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatTable, type LoadOptions, type LoadResult, runLoad, tableRow } from "./loadgen.ts";
import { waitForQuiet } from "./proc.ts";
import { buildPapo, REPO_ROOT, type RunningServer, serverDefs, startServer } from "./servers.ts";

const ALL_SERVERS = ["ngircd", "inspircd", "seed", "raw-naive", "raw-batched", "raw-batched-nodelay", "papo"];
/** Issue 11: the IRC comparison (the same IRC load for all three) and papo's mixed room. */
const IRC_SERVERS = ["papo-irc", "ngircd", "inspircd", "papo-mixed"];

const HELP = `usage: node --import tsx bench/run.ts [options]
  --quick               papo at 100×0.5 and 500×1 msg/s, 8 s each (what npm run bench does)
  --full                servers × N∈{100,500,1000,2000} × r∈{0.5,1}, 15 s each (about half an hour)
  --irc                 issue 11: ${IRC_SERVERS.join(", ")} at 1000×1 msg/s, 15 s each
                        (papo-irc: papo's IRC port; papo-mixed: half IRC, half text in #lobby)
  --servers LIST        comma-separated: ${ALL_SERVERS.join(", ")}, papo-irc, papo-mixed (or "all")
  --clients LIST        N values, e.g. 100,1000
  --rates LIST          r values in msgs/s per client, e.g. 0.5,1
  --duration S          seconds of sending per run (default 10, at most 60 here)
  --idle N              instead: hold N idle registered clients and report server bytes/connection
  --idle-join           IRC idle clients also JOIN #bench (default: registered only)
  --rooms K             client i talks in room #r<i mod K> (K must divide N); reports cross-room
                        deliveries (must be 0). Default: everyone in one room
  --idle-settle S       idle runs: seconds the fresh server rests before the first connection, so
                        its own start-up garbage is collected before "RSS before" (default 20)
  --idle-hold S         idle runs: seconds the N clients are held after the ramp; bytes/connection
                        is read at the end (default 60), and also right after the ramp
  --workers W           load generator threads (default 2)
  --batch B             connections registering at once per worker (default 50; per server above 2000)
  --papo-args "ARGS"    extra arguments for papo serve, e.g. "--limit maxSendQueueBytes=4194304"
  --papo-dir DIR        build and run papo (dist/cli.js) from another checkout (e.g. a git worktree of HEAD)
  --out FILE            JSON results file (default bench/results/<time>.json)
  --warmup S            first an unmeasured load of S seconds on the same server (steady state: JIT
                        warm-up), then the measured run
  --quiet-below PCT     before each run, wait until the machine's busy time over 1 s is under PCT %
                        of one core (other users' work skews results); 0 = do not wait (default)
  --quiet-wait S        wait at most S seconds for that (default 60), then run anyway
  --quiet               no progress lines`;

function list(v: string | undefined, fallback: string[]): string[] {
  return v
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : fallback;
}

function machineInfo() {
  let cpuModel = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpuModel = m[1]!;
  } catch {}
  return {
    cpuModel,
    cpus: os.cpus().length,
    memTotalBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAvgAtStart: os.loadavg(),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      full: { type: "boolean" },
      irc: { type: "boolean" },
      servers: { type: "string" },
      clients: { type: "string" },
      rates: { type: "string" },
      duration: { type: "string" },
      idle: { type: "string" },
      "idle-join": { type: "boolean" },
      rooms: { type: "string" },
      "idle-settle": { type: "string" },
      "idle-hold": { type: "string" },
      workers: { type: "string" },
      batch: { type: "string" },
      "papo-args": { type: "string" },
      "papo-dir": { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
      "quiet-below": { type: "string" },
      warmup: { type: "string" },
      "quiet-wait": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const defs = serverDefs(
    values["papo-args"] ? values["papo-args"].split(/\s+/).filter(Boolean) : [],
    values["papo-dir"] ? resolve(values["papo-dir"]) : undefined,
  );
  let servers = list(values.servers, values.full ? ALL_SERVERS : values.irc ? IRC_SERVERS : ["papo"]);
  if (servers.length === 1 && servers[0] === "all") servers = ALL_SERVERS;
  for (const s of servers)
    if (!defs[s]) throw new Error(`unknown server ${s} (known: ${Object.keys(defs).join(", ")})`);
  // papo runs from its build (dist/), as users run it: build it now, from the sources being measured.
  if (servers.some((s) => s.startsWith("papo")))
    buildPapo(values["papo-dir"] ? resolve(values["papo-dir"]) : undefined);

  const duration = Number(values.duration ?? (values.quick ? 8 : values.full || values.irc ? 15 : 10));
  if (!(duration > 0 && duration <= 60)) throw new Error("--duration must be in (0, 60] seconds");
  const workers = Number(values.workers ?? 2);
  const idle = values.idle ? Number(values.idle) : 0;
  const idleSettle = Number(values["idle-settle"] ?? 20);
  const idleHold = Number(values["idle-hold"] ?? 60);
  if (!(idleSettle >= 0 && idleSettle <= 120)) throw new Error("--idle-settle must be in [0, 120] seconds");
  if (!(idleHold > 0 && idleHold <= 300)) throw new Error("--idle-hold must be in (0, 300] seconds");

  // The plan: (server, N, r) triples, each run against a freshly started server.
  const plan: { server: string; clients: number; rate: number }[] = [];
  if (idle > 0) {
    for (const s of servers) plan.push({ server: s, clients: idle, rate: 0 });
  } else if (values.quick && !values.clients && !values.rates) {
    for (const s of servers) {
      plan.push({ server: s, clients: 100, rate: 0.5 });
      plan.push({ server: s, clients: 500, rate: 1 });
    }
  } else {
    const ns = list(
      values.clients,
      values.full ? ["100", "500", "1000", "2000"] : values.irc ? ["1000"] : ["100"],
    ).map(Number);
    const rs = list(values.rates, values.full ? ["0.5", "1"] : values.irc ? ["1"] : ["0.5"]).map(Number);
    for (const s of servers)
      for (const n of ns) for (const r of rs) plan.push({ server: s, clients: n, rate: r });
  }

  const verbose = !values.quiet;
  const machine = machineInfo();
  const startedAt = new Date();
  const outFile =
    values.out ??
    join(REPO_ROOT, "bench", "results", `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  const results: (LoadResult & { serverDescription: string; machineBusyBeforePct: number | null })[] = [];
  const failures: string[] = [];
  const save = () => {
    mkdirSync(join(outFile, ".."), { recursive: true });
    writeFileSync(
      outFile,
      `${JSON.stringify({ startedAt: startedAt.toISOString(), argv: process.argv.slice(2), machine, results, failures }, null, 2)}\n`,
    );
  };
  process.stderr.write(
    `bench: ${plan.length} run(s) on ${machine.cpus}× ${machine.cpuModel}, load avg ${machine.loadAvgAtStart
      .map((x) => x.toFixed(2))
      .join(" ")}\n`,
  );

  const warmupS = Number(values.warmup ?? 0);
  const quietPct = Number(values["quiet-below"] ?? 0);
  const quietWaitS = Number(values["quiet-wait"] ?? 60);
  for (const step of plan) {
    const def = defs[step.server]!;
    // Other work on this (shared) machine skews results: optionally wait for it to calm down.
    const busyBefore = await waitForQuiet(quietPct, quietWaitS, verbose);
    const label = def.name;
    let server: RunningServer | null = null;
    try {
      server = await startServer(def);
      if (verbose)
        process.stderr.write(`bench: ${label} pid ${server.pid} on ${server.host}:${server.port}\n`);
      // Idle runs measure memory: a garbage-collected server (papo's V8 heap) is let rest first, as
      // it will be after the ramp, so both readings are taken at rest (docs/performance.md).
      await new Promise((r) => setTimeout(r, step.rate === 0 ? idleSettle * 1000 : 500));
      // papo's IRC runs go to its IRC port; a mixed run sends even clients there, odd ones to text.
      const ircPort = server.ircPort;
      const opts: Partial<LoadOptions> = {
        host: server.host,
        port: def.protocol === "irc" && ircPort ? ircPort : server.port,
        ...(def.protocol === "mixed" && ircPort ? { ports: [ircPort, server.port] } : {}),
        ...(def.ircChannel ? { ircChannel: def.ircChannel } : {}),
        protocol: def.protocol,
        clients: step.clients,
        rate: step.rate,
        durationS: step.rate === 0 ? idleHold : duration,
        workers,
        serverPid: server.pid,
        label,
        verbose,
        ircJoin: step.rate > 0 || values["idle-join"] === true,
        rooms: values.rooms ? Number(values.rooms) : 0,
        // Connections registering at once, per worker (see ServerDef.largeRampBatch).
        batch: values.batch ? Number(values.batch) : step.clients > 2000 ? (def.largeRampBatch ?? 100) : 50,
        registerTimeoutS: step.clients > 2000 ? 90 : 30,
        rampTimeoutS: step.clients > 2000 ? 300 : 120,
      };
      if (warmupS > 0 && step.rate > 0) {
        // Steady state: an unmeasured load first on the same server process (papo's JIT warms up;
        // the C servers get the same), then the measured one with the same clients and names.
        await runLoad({
          ...opts,
          durationS: warmupS,
          serverPid: null,
          label: `${label} warm-up`,
          verbose: false,
        });
        await new Promise((r) => setTimeout(r, 1000));
      }
      const r = await runLoad(opts);
      results.push({ ...r, serverDescription: def.description, machineBusyBeforePct: busyBefore });
      process.stderr.write(`${formatTable([tableRow(r)])}\n`);
      if (r.errors.length) process.stderr.write(`  errors: ${r.errors.slice(0, 5).join("\n          ")}\n`);
      if (r.errors.some((e) => e.includes("not registered") || e.includes("closed by the server")))
        process.stderr.write(
          `  server output:\n    ${server.output().split("\n").slice(-10).join("\n    ")}\n`,
        );
    } catch (e) {
      const msg = `${label} N=${step.clients} r=${step.rate}: ${e instanceof Error ? e.message : String(e)}`;
      failures.push(msg);
      process.stderr.write(`bench: FAILED ${msg}\n`);
    } finally {
      await server?.stop();
    }
    save();
    await new Promise((r) => setTimeout(r, 1000));
  }

  process.stdout.write(`\n${formatTable(results.map(tableRow))}\n`);
  process.stdout.write(
    "\nlatency in ms; CPU in % of one core over the send window (srv = server, gen = load generator,\n" +
      "gen thr = its busiest thread, other = the rest of the machine); peak MB = server peak RSS.\n",
  );
  if (failures.length) process.stdout.write(`\nfailed:\n  ${failures.join("\n  ")}\n`);
  process.stdout.write(`\nresults saved to ${outFile}\n`);
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
