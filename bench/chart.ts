/**
 * Draws p99 latency and server CPU against N, one line per server, from saved results, as a
 * dependency-free SVG (two panels side by side). Only runs at the given rate are drawn.
 *
 *   node --import tsx bench/chart.ts --rate 1 --out docs/perf-chart.svg bench/results/*.json
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { LoadResult } from "./loadgen.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rate: { type: "string", default: "1" }, out: { type: "string", default: "perf-chart.svg" } },
});
const rate = Number(values.rate);
const series = new Map<string, { n: number; p99: number; cpu: number }[]>();
for (const f of positionals) {
  const data = JSON.parse(readFileSync(f, "utf8")) as { results: LoadResult[] };
  for (const r of data.results) {
    if (r.options.rate !== rate || r.registered < r.options.clients) continue;
    const points = series.get(r.label) ?? [];
    // a later file's run at the same N replaces an earlier one
    const i = points.findIndex((p) => p.n === r.options.clients);
    const point = {
      n: r.options.clients,
      p99: Math.max(0.1, r.latencyMs.p99),
      cpu: r.cpu?.serverCpuPct ?? 0,
    };
    if (i >= 0) points[i] = point;
    else points.push(point);
    series.set(r.label, points);
  }
}
if (series.size === 0) {
  process.stderr.write(`no runs at rate ${rate} in the given files\n`);
  process.exit(1);
}
for (const pts of series.values()) pts.sort((a, b) => a.n - b.n);

const W = 420;
const H = 300;
const M = { l: 55, r: 10, t: 30, b: 40 };
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
const ns = [...new Set([...series.values()].flat().map((p) => p.n))].sort((a, b) => a - b);
const xOf = (n: number) => M.l + ((W - M.l - M.r) * ns.indexOf(n)) / Math.max(1, ns.length - 1);

function panel(
  dx: number,
  title: string,
  pick: (p: { p99: number; cpu: number }) => number,
  log: boolean,
): string {
  const vals = [...series.values()].flat().map(pick);
  const lo = log ? 10 ** Math.floor(Math.log10(Math.min(...vals))) : 0;
  const hi = log
    ? 10 ** Math.ceil(Math.log10(Math.max(...vals)))
    : Math.max(100, Math.ceil(Math.max(...vals) / 50) * 50);
  const yOf = (v: number) =>
    H - M.b - (H - M.t - M.b) * (log ? Math.log10(v / lo) / Math.log10(hi / lo) : v / hi);
  const out: string[] = [`<g transform="translate(${dx},0)">`];
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">${title}</text>`);
  const ticks: number[] = [];
  if (log) for (let v = lo; v <= hi; v *= 10) ticks.push(v);
  else for (let v = 0; v <= hi; v += hi / 4) ticks.push(v);
  for (const v of ticks) {
    const y = yOf(v);
    out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${M.l - 4}" y="${y + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000}k` : v}</text>`);
  }
  for (const n of ns) {
    out.push(`<text x="${xOf(n)}" y="${H - M.b + 16}" text-anchor="middle">${n}</text>`);
  }
  out.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle">clients (N)</text>`);
  let i = 0;
  for (const [name, pts] of series) {
    const c = COLORS[i++ % COLORS.length];
    const d = pts
      .map((p, k) => `${k ? "L" : "M"}${xOf(p.n).toFixed(1)},${yOf(pick(p)).toFixed(1)}`)
      .join(" ");
    out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"/>`);
    for (const p of pts) out.push(`<circle cx="${xOf(p.n)}" cy="${yOf(pick(p))}" r="3" fill="${c}"/>`);
  }
  out.push("</g>");
  return out.join("\n");
}

const legend = [...series.keys()]
  .map(
    (name, i) =>
      `<g transform="translate(${M.l + i * 120},${H + 10})"><rect width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="16" y="11">${name}</text></g>`,
  )
  .join("\n");
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 35}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${panel(0, `p99 latency, ms (log), r = ${rate} msg/s`, (p) => p.p99, true)}
${panel(W, `server CPU, % of one core, r = ${rate} msg/s`, (p) => p.cpu, false)}
${legend}
</svg>
`;
writeFileSync(values.out, svg);
process.stderr.write(`wrote ${values.out}\n`);
