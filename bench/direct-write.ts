/**
 * Issue 14: the CPU one write to a socket costs, as a light-load flush does it: one 100-byte line
 * to each of 100 loopback sockets, a short pause, again. Four ways: Node's `socket.write`; papo's
 * native helper one call per socket (`writeDirect`); one call for the whole flush (`DirectBatch`),
 * with one send(2) per socket; the same through io_uring, one system call for the flush
 * (src/transports/direct-write.ts). The readers are another process (their CPU is not counted).
 * Rounds alternate, so a machine that slows down for a while slows every way alike.
 *
 *   npm run build:native && node --import tsx bench/direct-write.ts [--rounds 6] [--writes 400]
 */
import { fork } from "node:child_process";
import net from "node:net";
import { parseArgs } from "node:util";
import {
  type BatchWriter,
  DirectBatch,
  directFd,
  directWriter,
  ringAvailable,
  writeDirect,
} from "../src/transports/direct-write.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "6" },
    writes: { type: "string", default: "400" },
    sockets: { type: "string", default: "100" },
    reader: { type: "string" },
  },
});

if (values.reader) {
  // The reading side: connects and reads everything, in its own process.
  const [port, n] = values.reader.split(":").map(Number) as [number, number];
  for (let i = 0; i < n; i++) net.connect(port, "127.0.0.1").on("data", () => {});
  process.on("message", () => process.exit(0));
} else {
  if (!directWriter()) throw new Error("the native helper is not built here: npm run build:native");
  const n = Number(values.sockets);
  const rounds = Number(values.rounds);
  const writes = Number(values.writes);
  const sockets: net.Socket[] = [];
  const server = net.createServer({ noDelay: true }, (s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const reader = fork(new URL(import.meta.url).pathname, ["--reader", `${port}:${n}`], {
    execArgv: process.execArgv,
  });
  while (sockets.length < n) await new Promise((r) => setTimeout(r, 10));
  const fds = sockets.map((s) => directFd(s));
  const line = Buffer.from(`${"x".repeat(99)}\n`);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const MODES = ["socket.write", "the native helper", "one call a flush", "one call, io_uring"] as const;
  type Mode = (typeof MODES)[number];
  const batches = {
    "one call a flush": DirectBatch.create(),
    "one call, io_uring": DirectBatch.create(undefined, true),
  };
  const writers: BatchWriter[] = sockets.map((stream) => ({
    stream,
    sentDirect() {},
    writeFailed(err: unknown) {
      throw err;
    },
  }));

  /** µs of CPU (user + system) per write, `writes` flushes to every socket 2 ms apart. */
  const round = async (mode: Mode): Promise<number> => {
    const batch = mode === "one call a flush" || mode === "one call, io_uring" ? batches[mode] : null;
    const c0 = process.cpuUsage();
    for (let w = 0; w < writes; w++) {
      for (let i = 0; i < n; i++) {
        const s = sockets[i] as net.Socket;
        if (batch) batch.add(writers[i] as BatchWriter, fds[i] as number, line, [], line.length);
        else if (mode === "the native helper") writeDirect(s, fds[i] as number, line);
        else s.write(line);
      }
      batch?.send();
      await sleep(2);
    }
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / (writes * n);
  };

  const results = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  for (const m of MODES) await round(m); // warm every path
  for (let i = 0; i < rounds; i++) for (const m of MODES) results.get(m)?.push(await round(m));
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] as number;
  const show = (a: number[]) => a.map((x) => x.toFixed(2)).join(" ");
  console.log(
    `µs CPU per write (${n} sockets, 100-byte lines, ${writes} flushes 2 ms apart, ${rounds} rounds each):`,
  );
  for (const [m, a] of results) console.log(`  ${m.padEnd(20)} ${show(a)}  (median ${median(a).toFixed(2)})`);
  if (!ringAvailable())
    console.log("  (io_uring is not available to this process: its row is one send(2) each)");
  reader.send("bye");
  for (const s of sockets) s.destroy();
  server.close();
}
