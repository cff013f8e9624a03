/**
 * Issue 10 item 2: does a flooder cost the others anything? Starts papo (a child process, default
 * flood limits), joins QUIET json clients that each send one message a second (under the flood rate) and measure
 * how long it takes to reach a watcher, first with no flood, then while FLOODERS text-mode
 * clients each write pastes of 200 lines as fast as TCP lets them (they are throttled, never
 * disconnected: a paste is under the caps). Prints p50/p99/max of the quiet clients' latency in
 * both phases, and how many of the flooders' lines the watcher saw.
 *
 *   node --import tsx bench/flood-latency.ts [SECONDS_PER_PHASE=15] [QUIET=20] [FLOODERS=5]
 *
 * Loopback only; at most 2 × 60 s.
 */
import net from "node:net";
import { buildPapo, serverDefs, startServer } from "./servers.ts";

const phaseMs = Math.min(Number(process.argv[2] ?? 15), 60) * 1000;
const quietN = Math.min(Number(process.argv[3] ?? 20), 200);
const flooderN = Math.min(Number(process.argv[4] ?? 5), 50);

buildPapo();
const server = await startServer(serverDefs().papo as never);
const { port } = server;

/** A json client; `onEvent` gets every event. */
function jsonClient(name: string, onEvent: (e: Record<string, unknown>) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    s.setNoDelay(true);
    let buf = "";
    s.on("error", reject);
    s.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      for (let i = buf.indexOf("\n"); i !== -1; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith("{")) continue;
        const e = JSON.parse(line) as Record<string, unknown>;
        if (e.type === "welcome") resolve(s);
        onEvent(e);
      }
    });
    s.write(`${JSON.stringify({ type: "hello", protocol: 1 })}\n${JSON.stringify({ type: "name", name })}\n`);
  });
}

const sentAt = new Map<string, number>();
type Phase = "quiet" | "flood";
let phase = "quiet" as Phase;
const latencies: Record<Phase, number[]> = { quiet: [], flood: [] };
let floodSeen = 0;
await jsonClient("watcher", (e) => {
  if (e.type !== "message") return;
  const text = String(e.text);
  const t0 = sentAt.get(text);
  if (t0 !== undefined) {
    latencies[phase].push(performance.now() - t0);
    sentAt.delete(text);
  } else if (String(e.from).startsWith("flooder")) floodSeen++;
});
const quiet = await Promise.all(Array.from({ length: quietN }, (_, i) => jsonClient(`quiet${i}`, () => {})));
// One message a second each (under the 2 lines/s flood rate), spread over the second.
let seq = 0;
let turn = 0;
const ticker = setInterval(() => {
  const s = quiet[turn++ % quiet.length] as net.Socket;
  const text = `q${seq++}`;
  sentAt.set(text, performance.now());
  s.write(`${JSON.stringify({ type: "line", text })}\n`);
}, 1000 / quietN);

await new Promise((r) => setTimeout(r, phaseMs));
phase = "flood";
const paste = `${Array.from({ length: 200 }, (_, i) => `paste line ${i} ${"x".repeat(40)}`).join("\n")}\n`;
const flooders: net.Socket[] = [];
for (let i = 0; i < flooderN; i++) {
  const s = net.connect(port, "127.0.0.1");
  s.on("error", () => {});
  s.write(`flooder${i}\n`);
  // Write pastes whenever the socket drains: as fast as TCP (and flood control) lets it.
  const more = () => {
    while (s.write(paste)) if (s.writableLength > 4 * 1024 * 1024) break;
  };
  s.on("drain", more);
  setTimeout(more, 200);
  flooders.push(s);
}
await new Promise((r) => setTimeout(r, phaseMs));
clearInterval(ticker);
await new Promise((r) => setTimeout(r, 500));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : Number.NaN;
};
for (const k of ["quiet", "flood"] as const) {
  const xs = latencies[k];
  console.log(
    `${k === "quiet" ? "no flood  " : `${flooderN} flooders`}: ${xs.length} messages, p50 ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`,
  );
}
console.log(
  `flooders' lines relayed in ${phaseMs / 1000} s: ${floodSeen} (${(floodSeen / flooderN / (phaseMs / 1000)).toFixed(2)}/s each); unsent quiet messages: ${sentAt.size}; flooders still connected: ${flooders.filter((s) => !s.destroyed && !s.readableEnded).length}/${flooderN}`,
);
for (const s of [...quiet, ...flooders]) s.destroy();
await server.stop();
process.exit(0);
