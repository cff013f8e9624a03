/**
 * Dead-peer timings (issue 9 item 2, docs/operations.md "Dead peers"): how long a vanished user
 * holds their name, for each way in, in a quiet room and in a busy one.
 *
 *   sudo node --import tsx bench/dead-peer.ts [--limit NAME=VALUE ...]
 *   node --import tsx bench/dead-peer.ts --table N     (what one look at the kernel's table costs)
 *
 * Two papo servers (one quiet room, one where a user talks twice a second, within the default
 * flood limits) listen on one end of a veth pair; a "machine" in a network namespace on the other
 * end joins each room three ways: as an `nc` user (text mode), as a json client that answers
 * pings (what `papo connect` does), and as a WebSocket client (the browser's way). Then its cable
 * is pulled (its link set down: every packet dropped, no FIN, no RST) and an observer in each room
 * times the `left` notices from that moment. Needs root (CAP_NET_ADMIN) and iproute2. Bounded:
 * gives up after 150 s (a path still waiting then is reported as such).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";
import { endianness } from "node:os";
import { fileURLToPath } from "node:url";
import { DEFAULT_LIMITS, parseLimitOverrides } from "../src/server/limits.ts";
import { startServer } from "../src/server/server.ts";
import { parseProcNetTcp } from "../src/transports/proc-net-tcp.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GIVE_UP_MS = 150_000;

const tableAt = process.argv.indexOf("--table");
if (tableAt > 0) {
  await tableCost(Math.min(Number(process.argv[tableAt + 1] ?? 5000), 20_000));
  process.exit(0);
}

/**
 * `--table N`: what one look at the kernel's table costs the dead-peer watch with N connections
 * open (2N rows: both ends are on this machine): reading /proc/net/tcp and tcp6, and parsing them.
 * No root needed.
 */
async function tableCost(n: number): Promise<void> {
  const server = net.createServer(() => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i += 200)
    await Promise.all(
      Array.from(
        { length: Math.min(200, n - i) },
        () =>
          new Promise<void>((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => resolve());
            s.on("error", () => resolve());
            sockets.push(s);
          }),
      ),
    );
  const little = endianness() === "LE";
  const times: number[] = [];
  // What the watch parses: the rows of the server's port with bytes unacknowledged (none here:
  // the connections are idle, so this is the cost of judging and skipping every row).
  const ours = new Set([port]);
  const filtered: number[] = [];
  let rows = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const texts = await Promise.all(["/proc/net/tcp", "/proc/net/tcp6"].map((f) => readFile(f, "latin1")));
    const t1 = performance.now();
    rows = texts.reduce((sum, t) => sum + parseProcNetTcp(t, little).length, 0);
    const t2 = performance.now();
    for (const t of texts) parseProcNetTcp(t, little, { localPorts: ours, unacknowledged: true });
    filtered.push(performance.now() - t2);
    times.push(t1 - t0, performance.now() - t1);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const reads = times.filter((_, i) => i % 2 === 0);
  const parses = times.filter((_, i) => i % 2 === 1);
  console.log(
    `${n} connections, ${rows} rows: read ${median(reads).toFixed(1)} ms (asynchronous), ` +
      `parse all ${median(parses).toFixed(1)} ms, filter as the watch does ${median(filtered).toFixed(1)} ms (medians of 20)`,
  );
  for (const s of sockets) s.destroy();
  server.close();
}

const overrides = process.argv.slice(2).flatMap((a, i, all) => (a === "--limit" ? [all[i + 1] ?? ""] : []));
const limits = parseLimitOverrides(overrides, DEFAULT_LIMITS);

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "ignore" });
}

const id = process.pid % 100_000;
const ns = `papo-bench-${id}`;
const hostIf = `pbh${id}`;
const peerIf = `pbc${id}`;
const subnet = `10.214.${id % 250}`;
const hostIp = `${subnet}.1`;

function cleanup(): void {
  for (const args of [
    ["netns", "del", ns],
    ["link", "del", hostIf],
  ])
    try {
      ip(...args);
    } catch {}
}

ip("netns", "add", ns);
process.on("exit", cleanup);
ip("link", "add", hostIf, "type", "veth", "peer", "name", peerIf);
ip("link", "set", peerIf, "netns", ns);
ip("addr", "add", `${subnet}.1/30`, "dev", hostIf);
ip("link", "set", hostIf, "up");
ip("netns", "exec", ns, "ip", "addr", "add", `${subnet}.2/30`, "dev", peerIf);
ip("netns", "exec", ns, "ip", "link", "set", peerIf, "up");

const log = () => {};
const config = (httpPort: number) => ({
  host: hostIp,
  port: 0,
  httpPort,
  lang: "en" as const,
  hideAddresses: false,
  logMessages: false,
  limits,
});
const quiet = await startServer(config(0), log);
const busy = await startServer(config(0), log);

/** The machine on the LAN: joins `room` three ways, says "joined NAME" for each. */
function victims(room: { port: number; http: number; tag: string }): string {
  return `
const net = require("node:net");
const { WebSocket } = require("ws");
const host = ${JSON.stringify(hostIp)};
function text(name) {
  const s = net.connect(${room.port}, host);
  let buf = "";
  s.on("data", (d) => {
    buf += d;
    if (buf.includes("Choose a name")) { s.write(name + "\\n"); buf = ""; }
    if (buf.includes("Hello, ")) { console.log("joined " + name); buf = ""; }
    if (buf.length > 1e5) buf = "";
  });
  s.on("error", () => {});
}
function json(name) {
  const s = net.connect(${room.port}, host);
  let buf = "";
  s.write(JSON.stringify({ type: "hello", protocol: 1 }) + "\\n" + JSON.stringify({ type: "name", name }) + "\\n");
  s.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\\n")) >= 0) {
      const e = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (e.type === "welcome") console.log("joined " + name);
      if (e.type === "ping") s.write(JSON.stringify({ type: "pong" }) + "\\n");
    }
  });
  s.on("error", () => {});
}
function web(name) {
  const ws = new WebSocket("ws://" + host + ":${room.http}/ws");
  ws.on("message", (d) => {
    const e = JSON.parse(String(d));
    if (e.type === "prompt") ws.send(JSON.stringify({ type: "name", name }));
    if (e.type === "welcome") console.log("joined " + name);
  });
  ws.on("error", () => {});
}
text("${room.tag}_text"); json("${room.tag}_json"); web("${room.tag}_ws");
`;
}

function runInNs(script: string): ChildProcess {
  return spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/** A json observer in a room: the time each `left` arrives, by name. */
function observe(port: number, name: string): Map<string, number> {
  const left = new Map<string, number>();
  const s = net.connect(port, hostIp);
  let buf = "";
  s.write(`${JSON.stringify({ type: "hello", protocol: 1 })}\n${JSON.stringify({ type: "name", name })}\n`);
  s.on("data", (d) => {
    buf += d;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const e = JSON.parse(buf.slice(0, i)) as { type: string; name?: string };
      buf = buf.slice(i + 1);
      if (e.type === "left" && e.name) left.set(e.name, Date.now());
      if (e.type === "ping") s.write(`${JSON.stringify({ type: "pong" })}\n`);
    }
  });
  return left;
}

const rooms = [
  { tag: "quiet", server: quiet },
  { tag: "busy", server: busy },
];
const children = rooms.map((r) =>
  runInNs(victims({ port: r.server.address.port, http: r.server.httpAddress?.port ?? 0, tag: r.tag })),
);
const names = rooms.flatMap((r) => ["text", "json", "ws"].map((k) => `${r.tag}_${k}`));
const joined = new Set<string>();
await new Promise<void>((resolve, reject) => {
  setTimeout(() => reject(new Error(`joined only ${[...joined].join(", ")}`)), 15_000).unref();
  for (const c of children)
    c.stdout?.on("data", (d: Buffer) => {
      for (const m of d.toString().matchAll(/joined (\S+)/g)) joined.add(m[1] as string);
      if (joined.size === names.length) resolve();
    });
});
const seen = rooms.map((r) => observe(r.server.address.port, `${r.tag}_observer`));
// The busy room: a local user talks twice a second (the default flood limit's steady rate).
const talker = net.connect(busy.address.port, hostIp);
talker.write("talker\n");
let n = 0;
const talk = setInterval(() => talker.write(`message ${n++}: the room goes on\n`), 500);
await new Promise((r) => setTimeout(r, 1000));

const pulled = Date.now();
ip("netns", "exec", ns, "ip", "link", "set", peerIf, "down");
console.error(`cable pulled; waiting up to ${GIVE_UP_MS / 1000} s`);
const all = () =>
  rooms.every((_, i) => names.filter((x) => x.startsWith(rooms[i]?.tag ?? "")).every((x) => seen[i]?.has(x)));
while (!all() && Date.now() - pulled < GIVE_UP_MS) await new Promise((r) => setTimeout(r, 200));

console.log(
  `limits: keepAliveMs=${limits.keepAliveMs} deadPeerTimeoutMs=${limits.deadPeerTimeoutMs} ` +
    `pingIntervalMs=${limits.pingIntervalMs} pingTimeoutMs=${limits.pingTimeoutMs} (WebSocket heartbeat = pingTimeoutMs)`,
);
console.log("| path | quiet room | busy room |");
console.log("|---|---|---|");
for (const kind of ["text", "json", "ws"]) {
  const cell = (i: number) => {
    const t = seen[i]?.get(`${rooms[i]?.tag}_${kind}`);
    return t === undefined
      ? `still online after ${GIVE_UP_MS / 1000} s`
      : `${((t - pulled) / 1000).toFixed(1)} s`;
  };
  console.log(`| ${kind} | ${cell(0)} | ${cell(1)} |`);
}
clearInterval(talk);
for (const c of children) c.kill("SIGKILL");
talker.destroy();
await Promise.all([quiet.close(), busy.close()]);
process.exit(0);
