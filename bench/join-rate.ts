/**
 * Join-rate probe: registers N text-mode clients with a papo server, 50 at a time, and prints the
 * rate of the last 1000 registrations as the room grows. Every join is announced to everyone, so
 * this measures the fan-out of join notices (docs/performance.md, "What the profile showed").
 *
 *   node --import tsx bench/join-rate.ts PORT [N=5000]
 *
 * Loopback only; bounded by N and by a 240 s deadline.
 */
import net from "node:net";

const port = Number(process.argv[2]);
const total = Math.min(Number(process.argv[3] ?? 5000), 20_000);
if (!Number.isInteger(port) || port <= 0) throw new Error("usage: bench/join-rate.ts PORT [N]");
const deadline = setTimeout(() => {
  console.error("join-rate: 240 s deadline reached");
  process.exit(1);
}, 240_000);

const sockets: net.Socket[] = [];

function join(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const name = `j${i}`;
    let seen = "";
    s.on("error", reject);
    s.on("data", function onData(d: Buffer) {
      seen += d.toString("latin1");
      if (seen.includes(`Hello, ${name}!`)) {
        s.off("data", onData);
        s.on("data", () => {}); // keep reading the notices, as a real client would
        resolve();
      }
    });
    s.write(`${name}\n`);
    sockets.push(s);
  });
}

let last = performance.now();
for (let i = 0; i < total; i += 50) {
  await Promise.all(Array.from({ length: Math.min(50, total - i) }, (_, k) => join(i + k)));
  const joined = Math.min(i + 50, total);
  if (joined % 1000 === 0) {
    const now = performance.now();
    console.log(`${joined} joined; the last 1000 at ${(1000 / ((now - last) / 1000)).toFixed(0)}/s`);
    last = now;
  }
}
for (const s of sockets) s.destroy();
clearTimeout(deadline);
