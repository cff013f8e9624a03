// Event-loop delay probe (docs/performance.md): preload it into a server process,
//   node --import ./bench/eld-probe.mjs --import tsx src/cli.ts serve ...
// It samples the event loop's delay every 10 ms (perf_hooks.monitorEventLoopDelay) and prints the
// percentiles, in ms, to stderr when the process exits.
import { monitorEventLoopDelay } from "node:perf_hooks";

const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
process.on("exit", () => {
  const ms = (ns) => (ns / 1e6).toFixed(1);
  process.stderr.write(
    `event-loop delay ms: p50 ${ms(h.percentile(50))} p99 ${ms(h.percentile(99))} max ${ms(h.max)} (mean ${ms(h.mean)})\n`,
  );
});
