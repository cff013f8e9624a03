/**
 * papo and ngIRCd under the same load at the same time: CPU in the same window, side by side.
 *
 * At 100 clients × 0.5 msg/s both servers use 5–8 % of a core, and on a shared virtual machine the
 * same build measures 6.5 % in one run and 9.6 % in the next (docs/performance.md, "Fourth
 * session"): the host's load moves both servers alike, so sequential runs (bench/run.ts) need many
 * rounds to tell a 10 % difference. Here each round starts both servers, loads each with its own
 * load generator (a child process each, `bench/loadgen.ts`), and after the warm-up reads both
 * servers' CPU over the same window; the ratio papo / ngIRCd of one round is steadier than either
 * figure (±4 % between rounds where the figures move ±15 %).
 *
 *   node --import tsx bench/paired.ts [--clients 100] [--rate 0.5] [--warmup 20] [--window 30]
 *     [--rounds 3] [--papo-args "--limit ioUring=0"]
 *
 * Four processes share the machine's cores for the whole round (two servers, two generators), so
 * the figures are not those of a quiet run (bench/run.ts gives those); only the ratio is the point.
 * Linux only (/proc), with ngIRCd installed (`apt-get install -y ngircd`).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CLK_TCK, readProcCpu } from "./proc.ts";
import { buildPapo, REPO_ROOT, type RunningServer, serverDefs, startServer } from "./servers.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "100" },
    rate: { type: "string", default: "0.5" },
    warmup: { type: "string", default: "20" },
    window: { type: "string", default: "30" },
    rounds: { type: "string", default: "3" },
    "papo-args": { type: "string", default: "" },
  },
  strict: true,
});
const clients = Number(values.clients);
const rate = Number(values.rate);
const warmupS = Number(values.warmup);
const windowS = Number(values.window);
const rounds = Number(values.rounds);
const papoArgs = (values["papo-args"] ?? "").split(" ").filter(Boolean);

interface Side {
  server: RunningServer;
  /** the generator's last table row, when it ended */
  done: Promise<string>;
}

/** A load generator for `server` as a child process, sending for warm-up + window (+ a margin). */
function load(server: RunningServer, protocol: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "bench/loadgen.ts",
      "--quiet",
      "--port",
      String(server.port),
      "--protocol",
      protocol,
      "--clients",
      String(clients),
      "--rate",
      String(rate),
      "--duration",
      String(warmupS + windowS + 5),
      "--warmup",
      String(warmupS),
      "--pid",
      String(server.pid),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (b: Buffer) => {
    out += b.toString("utf8");
  });
  return new Promise((resolve) => child.on("exit", () => resolve(out.trim().split("\n").at(-1) ?? "")));
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** The p99 (ms) and loss (%) columns of a loadgen table row. */
function p99AndLoss(row: string): { p99: string; loss: string } {
  const cells = row.split("|").map((c) => c.trim());
  return { p99: cells[11] ?? "?", loss: cells[6] ?? "?" };
}

async function main(): Promise<void> {
  buildPapo();
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const data = mkdtempSync(join(tmpdir(), "papo-paired-"));
    const defs = serverDefs([...papoArgs, "--data", data]);
    const sides: Side[] = [];
    try {
      for (const def of [defs.papo!, defs.ngircd!])
        sides.push({ server: await startServer(def), done: Promise.resolve("") });
      for (const side of sides) side.done = load(side.server, side.server.def.protocol);
      await sleep(warmupS + 3); // the generators' ramp (registration, settle) comes first
      const before = sides.map((s) => readProcCpu(s.server.pid));
      await sleep(windowS);
      const after = sides.map((s) => readProcCpu(s.server.pid));
      const cpu = sides.map((_, i) => {
        const a = before[i];
        const b = after[i];
        return a === null || a === undefined || b === null || b === undefined
          ? Number.NaN
          : ((b - a) / CLK_TCK / windowS) * 100;
      });
      const rows = await Promise.all(sides.map((s) => s.done));
      const [papo, ng] = rows.map(p99AndLoss);
      const ratio = (cpu[0] as number) / (cpu[1] as number);
      ratios.push(ratio);
      console.log(
        `round ${round}: papo ${cpu[0]?.toFixed(2)} % (p99 ${papo?.p99} ms, loss ${papo?.loss} %) | ngIRCd ${cpu[1]?.toFixed(2)} % (p99 ${ng?.p99} ms, loss ${ng?.loss} %) | ratio ${ratio.toFixed(3)}`,
      );
    } finally {
      for (const s of sides) await s.server.stop();
      rmSync(data, { recursive: true, force: true });
    }
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  console.log(
    `${clients} clients × ${rate} msg/s, ${rounds} rounds of ${windowS} s: CPU papo / ngIRCd, median ${median.toFixed(3)} (${sorted.map((r) => r.toFixed(3)).join(", ")})`,
  );
}

main().catch((e) => {
  console.error(`paired: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
