// Idle memory probe (docs/performance.md): registers N clients (default 5000) with a papo server
// started in a child process with --expose-gc (test/fault-server-child.ts), then prints its memory
// per connection after two forced collections. Loopback only; N is the bound.
//   node bench/idle-memory.mjs 5000      (SEMI=2 adds --max-semi-space-size=2 to the server)
// Environment: WAIT=S holds S seconds and reads memory without forcing a collection; HOLD=S keeps
// the clients S seconds more after printing (to inspect the server, e.g. with gdb);
// SNAPSHOT=FILE writes a heap snapshot of the server at the end.
import { fork } from "node:child_process";
import net from "node:net";

const n = Math.min(Number(process.argv[2] ?? 5000), 20_000);
const child = fork("test/fault-server-child.ts", [JSON.stringify({ maxConnections: 20000 })], {
  execArgv: [
    "--expose-gc",
    ...(process.env.SEMI ? [`--max-semi-space-size=${process.env.SEMI}`] : []),
    "--import",
    "tsx",
  ],
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const msg = (pred) =>
  new Promise((r) => {
    const f = (m) => {
      if (pred(m)) {
        child.off("message", f);
        r(m);
      }
    };
    child.on("message", f);
  });
const stats = async (gc = true) => {
  child.send({ cmd: "stats", gc });
  return (await msg((m) => m.stats)).stats;
};
const port = (await msg((m) => m.ready)).ready;
const before = await stats();
const socks = [];
const join = (i) =>
  new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const name = `m${i}`;
    let seen = "";
    s.on("error", reject);
    s.on("data", function f(d) {
      seen += d.toString("latin1");
      if (seen.includes(`Hello, ${name}!`)) {
        s.off("data", f);
        s.on("data", () => {});
        resolve();
      }
    });
    s.write(`${name}\n`);
    socks.push(s);
  });
for (let i = 0; i < n; i += 100)
  await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => join(i + k)));
// WAIT=S: hold S seconds first and read memory as it is (no forced collection), as bench/run.ts does.
const wait = Number(process.env.WAIT ?? 0);
await new Promise((r) => setTimeout(r, wait > 0 ? wait * 1000 : 3000));
const after = await stats(!(wait > 0));
const per = (k) => ((after[k] - before[k]) / n).toFixed(0);
console.log(
  JSON.stringify({
    n,
    online: after.online,
    rssPerConn: per("rss"),
    heapUsedPerConn: per("heapUsed"),
    heapTotalPerConn: per("heapTotal"),
    externalPerConn: per("external"),
    arrayBuffersPerConn: per("arrayBuffers"),
  }),
);
for (const k of Object.keys(after.spaces))
  if (after.spaces[k].size || before.spaces[k].size)
    console.log(
      `${k}: size ${(before.spaces[k].size / 2 ** 20).toFixed(1)} -> ${(after.spaces[k].size / 2 ** 20).toFixed(1)} MiB, used ${(before.spaces[k].used / 2 ** 20).toFixed(1)} -> ${(after.spaces[k].used / 2 ** 20).toFixed(1)} MiB`,
    );
if (process.env.SNAPSHOT) {
  child.send({ cmd: "snapshot", path: process.env.SNAPSHOT });
  console.log("snapshot", await msg((m) => m.snapshot));
}
if (process.env.HOLD) {
  console.log(`holding ${process.env.HOLD} s; server pid ${child.pid}`);
  await new Promise((r) => setTimeout(r, Number(process.env.HOLD) * 1000));
}
for (const s of socks) s.destroy();
child.disconnect();
