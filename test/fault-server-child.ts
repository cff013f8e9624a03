/**
 * A papo server in its own process for the heap checks of the fault suite (ROBUSTNESS A2, D24,
 * E25): started by `startChildServer` with `--expose-gc`; answers `{cmd:"stats"}` over IPC.
 */
import { readdirSync } from "node:fs";
import v8 from "node:v8";
import type { Limits } from "../src/server/limits.ts";
import { type ServeConfig, startServer } from "../src/server/server.ts";
import { testConfig } from "./config.ts";

const overrides = JSON.parse(process.argv[2] ?? "{}") as Partial<Limits>;
/** Server options besides the limits (httpPort, webRoot, ...). */
const extra = JSON.parse(process.argv[3] ?? "{}") as Partial<Omit<ServeConfig, "limits">>;
const gc = (globalThis as { gc?: () => void }).gc;

// The room log is bounded by retention, not by connections: a small one here, so the heap checks
// measure what a connection costs, not how much history the memory store keeps.
const server = await startServer(
  testConfig(extra, { retentionMessages: 100, ...overrides }),
  (level, event, fields) => {
    // Only what a test asserts on; info lines would flood the IPC channel under churn.
    if (level === "warn" || level === "error")
      process.send?.({ log: { level, event, fields: fields ?? {} } });
  },
);

process.on("message", async (m: { cmd?: string; path?: string; gc?: boolean }) => {
  if (m.cmd === "snapshot" && m.path) {
    gc?.();
    process.send?.({ snapshot: v8.writeHeapSnapshot(m.path) });
    return;
  }
  if (m.cmd !== "stats") return;
  // Let closing sockets finish, then collect twice (weak caches and finalisers need a second pass).
  await new Promise((r) => setTimeout(r, 50));
  if (m.gc !== false) {
    gc?.();
    await new Promise((r) => setImmediate(r));
    gc?.();
  }
  const mem = process.memoryUsage();
  process.send?.({
    stats: {
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      rss: mem.rss,
      connections: server.chat.connections,
      online: server.chat.online,
      trackedAddresses: server.chat.trackedAddresses,
      // Open file descriptors (issue 9 item 1): Linux only, -1 elsewhere.
      fds: openDescriptors(),
      spaces: Object.fromEntries(
        v8
          .getHeapSpaceStatistics()
          .map((x) => [x.space_name, { size: x.space_size, used: x.space_used_size }]),
      ),
    },
  });
});
process.on("disconnect", () => process.exit(0));
process.send?.({ ready: server.address.port, http: server.httpAddress?.port });

function openDescriptors(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}
