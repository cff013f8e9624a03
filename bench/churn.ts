/**
 * Connect churn against the accept queue (issue 9 item 7): N clients connect at once, register,
 * say nothing and quit, R rounds; a client counts as stalled when its TCP connect took more than
 * 900 ms (a SYN the kernel dropped because the accept queue was full is only sent again after
 * 1 s; how long the server then takes to greet is CPU, not the queue) and as failed when it was
 * reset or did not get through within 10 s.
 *
 *   node --import tsx bench/churn.ts PORT [N=2000] [ROUNDS=3]
 *
 * Start the server with the backlog to compare, e.g.
 *   node --import tsx src/cli.ts serve --port 7777 --no-http --no-irc --no-store --log-level warn --limit listenBacklog=511
 * Loopback only (exempt from the per-address limits by default); bounded by N ≤ 5000 and 90 s.
 */
import net from "node:net";

const port = Number(process.argv[2]);
const n = Math.min(Number(process.argv[3] ?? 2000), 5000);
const rounds = Math.min(Number(process.argv[4] ?? 3), 10);
if (!Number.isInteger(port) || port <= 0) throw new Error("usage: bench/churn.ts PORT [N] [ROUNDS]");
setTimeout(() => {
  console.error("churn: 90 s deadline reached");
  process.exit(1);
}, 90_000).unref();

type Outcome = "ok" | "stalled" | "failed";

function client(i: number, round: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const name = `c${round}_${i}`;
    const s = net.connect(port, "127.0.0.1");
    let connectedAfter = -1;
    let seen = "";
    const done = (o: Outcome) => {
      clearTimeout(timer);
      s.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done("failed"), 10_000);
    s.on("error", () => done("failed"));
    s.on("connect", () => {
      connectedAfter = performance.now() - started;
    });
    s.on("data", (d: Buffer) => {
      seen += d.toString("latin1");
      if (seen.includes("Choose a name")) {
        seen = "";
        s.write(`${name}\n`);
      } else if (seen.includes(`Hello, ${name}!`)) {
        seen = "";
        s.write("/quit\n");
      } else if (seen.includes("Goodbye")) done(connectedAfter > 900 ? "stalled" : "ok");
    });
  });
}

const totals = { ok: 0, stalled: 0, failed: 0 };
for (let r = 0; r < rounds; r++) {
  const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => client(i, r)));
  for (const o of outcomes) totals[o]++;
}
const all = n * rounds;
const pct = (x: number) => `${((100 * x) / all).toFixed(2)} %`;
console.log(
  `${all} clients (${n} at once × ${rounds}): ok ${totals.ok}, stalled ${totals.stalled} (${pct(totals.stalled)}), failed ${totals.failed} (${pct(totals.failed)})`,
);
process.exit(0);
