/**
 * The floor for a Node chat server: a minimal one-room fan-out with no chat logic, speaking the
 * shape of papo's text mode (greeting, `NAME` line, `* Hello, NAME!`, then every line is relayed
 * to everyone else as `NAME: line`). Names are not checked; there are no limits.
 *
 *   --mode naive    one socket.write() per recipient per message (the encoded line is built once)
 *   --mode batched  per-recipient queues flushed once per event-loop turn (setImmediate): one
 *                   write per socket per tick, however many messages arrived in it
 *   --nodelay       set TCP_NODELAY on every socket (default: Nagle left on, like the seeds)
 *
 *   node --import tsx bench/baselines/raw-fanout.ts --mode batched --port 0 --host 127.0.0.1
 *
 * Prints `raw-fanout (MODE) is listening on HOST:PORT` once it listens.
 */
import net from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    mode: { type: "string", default: "naive" },
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    nodelay: { type: "boolean", default: false },
  },
});
const mode = values.mode;
if (mode !== "naive" && mode !== "batched") {
  process.stderr.write("--mode must be naive or batched\n");
  process.exit(2);
}
const noDelay = values.nodelay === true;

interface Peer {
  sock: net.Socket;
  name: string | null;
  pending: Buffer[];
  queued: boolean;
}

const peers = new Set<Peer>();
let dirty: Peer[] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  const list = dirty;
  dirty = [];
  for (const p of list) {
    p.queued = false;
    const chunks = p.pending;
    p.pending = [];
    if (p.sock.destroyed) continue;
    p.sock.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  }
}

function broadcast(from: Peer | null, line: Buffer): void {
  if (mode === "naive") {
    for (const p of peers) if (p !== from && !p.sock.destroyed) p.sock.write(line);
    return;
  }
  for (const p of peers) {
    if (p === from) continue;
    p.pending.push(line);
    if (!p.queued) {
      p.queued = true;
      dirty.push(p);
    }
  }
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

const server = net.createServer({ noDelay }, (sock) => {
  const peer: Peer = { sock, name: null, pending: [], queued: false };
  let rest = "";
  sock.setEncoding("utf8");
  sock.write("* Welcome to raw-fanout!\n* Choose a name:\n");
  sock.on("data", (chunk: string) => {
    const text = rest + chunk;
    const lines = text.split("\n");
    rest = lines.pop() ?? "";
    for (let line of lines) {
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") continue;
      if (peer.name === null) {
        peer.name = line.trim();
        peers.add(peer);
        sock.write(
          `* Hello, ${peer.name}! You are connected from ${sock.remoteAddress}:${sock.remotePort}.\n`,
        );
        broadcast(peer, Buffer.from(`* ${peer.name} joined\n`));
      } else {
        broadcast(peer, Buffer.from(`${peer.name}: ${line}\n`));
      }
    }
  });
  const gone = () => {
    if (!peers.delete(peer)) return;
    broadcast(null, Buffer.from(`* ${peer.name} left\n`));
  };
  sock.on("error", gone);
  sock.on("close", gone);
});

server.on("error", (e) => {
  process.stderr.write(`raw-fanout: ${e.message}\n`);
  process.exit(1);
});
server.listen(Number(values.port), values.host, () => {
  const a = server.address() as net.AddressInfo;
  process.stdout.write(
    `raw-fanout (${mode}${noDelay ? ", nodelay" : ""}) is listening on ${a.address}:${a.port}\n`,
  );
});
for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => process.exit(0));
