/**
 * Turns saved results (bench/results/*.json) into the Markdown table used in docs/performance.md.
 *
 *   node --import tsx bench/report.ts bench/results/a.json [b.json ...]
 */
import { readFileSync } from "node:fs";
import type { LoadResult } from "./loadgen.ts";

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write("usage: node --import tsx bench/report.ts RESULTS.json...\n");
  process.exit(2);
}

const ms = (v: number) =>
  v >= 1000 ? `${(v / 1000).toFixed(1)} s` : v >= 10 ? `${v.toFixed(0)}` : v.toFixed(1);
const pct = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(0));
const mb = (b: number | null) => (b === null ? "-" : (b / 1048576).toFixed(0));

const rows: string[] = [];
rows.push(
  "| server | N × r | offered/s | delivered/s (during send) | loss | dup / reord | p50 ms | p99 ms | max ms | server CPU % | peak RSS MB | generator CPU % (busiest thread) | other load % (irq / steal) | file |",
);
rows.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const f of files) {
  const data = JSON.parse(readFileSync(f, "utf8")) as { results: LoadResult[] };
  for (const r of data.results) {
    const o = r.options;
    if (o.rate === 0) {
      rows.push(
        `| ${r.label} | ${o.clients} idle | - | - | - | - | - | - | - | ${pct(r.cpu?.serverCpuPct)} | ${mb(
          r.server.rssAfterRegisterBytes,
        )} (${r.server.bytesPerConnection ?? "-"} B/conn${
          r.server.bytesPerConnectionAfterRamp != null
            ? `; ${r.server.bytesPerConnectionAfterRamp} right after the ramp`
            : ""
        }) | ${pct(r.cpu?.generatorCpuPct)} | ${pct(r.cpu?.otherCpuPct)} | ${f.split("/").pop()} |`,
      );
      continue;
    }
    const loss =
      r.registered < o.clients
        ? `${r.registerFailed} not registered`
        : `${r.lossPct.toFixed(r.lossPct ? 1 : 0)} %`;
    rows.push(
      `| ${r.label} | ${o.clients} × ${o.rate} | ${Math.round(r.offeredPerSec / 1000)}k | ${Math.round(
        r.deliveredPerSec / 1000,
      )}k | ${loss} | ${r.duplicates} / ${r.reordered} | ${ms(r.latencyMs.p50)} | ${ms(r.latencyMs.p99)} | ${ms(
        r.latencyMs.max,
      )} | ${pct(r.cpu?.serverCpuPct)} | ${mb(r.server.peakRssBytes)} | ${pct(r.cpu?.generatorCpuPct)} (${pct(
        r.cpu?.generatorBusiestThreadPct,
      )}) | ${pct(r.cpu?.otherCpuPct)} (${pct(r.cpu?.irqPct)} / ${pct(r.cpu?.stealPct)}) | ${f.split("/").pop()} |`,
    );
  }
}
process.stdout.write(`${rows.join("\n")}\n`);
