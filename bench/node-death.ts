/**
 * Issue 12: what a node's death costs its users, measured from outside.
 *
 *   node --import tsx bench/node-death.ts --clients 50 --repeat 3
 *
 * A fresh `redis-server` and two `papo serve --redis` nodes, A and B. `--clients` json users join
 * the lobby on A, an observer on B talks all along (a line every 50 ms). Then A is killed with
 * SIGKILL. Half of A's users (the "resumers") reconnect at once to B and `resume` with their
 * welcome token and last lobby seq (docs/protocol.md §8); the other half stay away. Measured from
 * the kill:
 * - departure: when B's observer gets each absent user's `left` (bounded by the name lease,
 *   `nameLeaseMs`), and whether each is announced exactly once;
 * - resume: when each resumer has its `welcome` and its replay (`history` kind resume) on B, and
 *   whether it lost or got twice any of the observer's lines (replay plus live against what the
 *   observer posted after the resumer's last seq), and that nobody announced a resumer as gone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startRedis } from "./redis.ts";
import { REPO_ROOT } from "./servers.ts";

type Event = Record<string, unknown> & { type: string };

class Json {
  readonly events: { at: number; e: Event }[] = [];
  readonly sock: net.Socket;
  #buf = "";
  #waiters: (() => void)[] = [];
  closed = false;
  constructor(port: number) {
    this.sock = net.connect(port, "127.0.0.1");
    this.sock.setEncoding("utf8");
    this.sock.on("data", (d: string) => {
      this.#buf += d;
      let i = this.#buf.indexOf("\n");
      while (i >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        if (line.startsWith("{")) this.events.push({ at: performance.now(), e: JSON.parse(line) as Event });
        i = this.#buf.indexOf("\n");
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    const end = () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w();
    };
    this.sock.on("close", end);
    this.sock.on("error", () => {});
    this.send({ type: "hello", protocol: 1 });
  }
  send(obj: unknown): void {
    if (!this.sock.destroyed) this.sock.write(`${JSON.stringify(obj)}\n`);
  }
  async wait(pred: (e: Event) => boolean, ms = 30_000): Promise<Event> {
    const deadline = performance.now() + ms;
    for (let from = 0; ; ) {
      for (; from < this.events.length; from++) {
        const x = this.events[from] as { e: Event };
        if (pred(x.e)) return x.e;
      }
      if (performance.now() > deadline) throw new Error("timed out waiting for an event");
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  close(): void {
    this.sock.destroy();
  }
}

function spawnNode(args: string[]): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(REPO_ROOT, "src/cli.ts"),
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--no-http",
      "--no-irc",
      ...args,
    ],
    {
      cwd: REPO_ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, LANG: "en_US.UTF-8", NO_COLOR: "1" },
    },
  );
  let out = "";
  const port = new Promise<number>((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", () => reject(new Error(`papo exited before listening: ${out}`)));
  });
  port.catch(() => {});
  return { child, port };
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1))] as number;
};
const summary = (xs: number[]) =>
  `min ${pct(xs, 0).toFixed(0)}, p50 ${pct(xs, 50).toFixed(0)}, p99 ${pct(xs, 99).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} ms (${xs.length})`;

async function round(clients: number, lease: number): Promise<string[]> {
  const kids: ChildProcess[] = [];
  const socks: Json[] = [];
  let stopRedis: (() => Promise<void>) | undefined;
  try {
    const redis = await startRedis();
    stopRedis = redis.stop;
    const limit = ["--redis", redis.url, "--limit", `nameLeaseMs=${lease}`];
    const a = spawnNode(limit);
    const b = spawnNode(limit);
    kids.push(a.child, b.child);
    const [portA, portB] = [await a.port, await b.port];
    const observer = new Json(portB);
    socks.push(observer);
    await observer.wait((e) => e.type === "prompt");
    observer.send({ type: "name", name: "observer" });
    await observer.wait((e) => e.type === "welcome");
    const users: { name: string; c: Json; token: string; epoch: string }[] = [];
    for (let i = 0; i < clients; i++) {
      const c = new Json(portA);
      socks.push(c);
      await c.wait((e) => e.type === "prompt");
      const name = `gone${i}`;
      c.send({ type: "name", name });
      const w = await c.wait((e) => e.type === "welcome");
      users.push({ name, c, token: String(w.token), epoch: "" });
    }
    for (const u of users) {
      const room = await u.c.wait((e) => e.type === "room" && e.room === "#lobby");
      u.epoch = String(room.epoch);
    }
    await observer.wait((e) => e.type === "joined" && e.name === `gone${clients - 1}`);
    // The observer talks all along; the users' last seq is what they had when A died.
    let n = 0;
    const talk = setInterval(() => observer.send({ type: "line", text: `linha ${n++}`, cid: `o${n}` }), 50);
    await new Promise((r) => setTimeout(r, 500));
    const lastSeq = (c: Json) =>
      Math.max(
        0,
        ...c.events.map((x) => (typeof x.e.seq === "number" && x.e.room === "#lobby" ? x.e.seq : 0)),
      );
    const killedAt = performance.now();
    a.child.kill("SIGKILL");
    const seqs = users.map((u) => lastSeq(u.c));
    const resumers = users.filter((_, i) => i % 2 === 0);
    const absent = users.filter((_, i) => i % 2 === 1);
    const resumeMs: number[] = [];
    let lost = 0;
    let doubled = 0;
    const resumed = await Promise.all(
      resumers.map(async (u) => {
        const i = users.indexOf(u);
        // The kernel closes the dead process's sockets: the client sees the close at once.
        if (!u.c.closed) await new Promise((r) => u.c.sock.once("close", r));
        const c = new Json(portB);
        socks.push(c);
        await c.wait((e) => e.type === "prompt");
        c.send({ type: "resume", token: u.token, rooms: [{ room: "#lobby", epoch: u.epoch, seq: seqs[i] }] });
        await c.wait((e) => e.type === "welcome");
        await c.wait((e) => e.type === "history" && e.kind === "resume");
        resumeMs.push(performance.now() - killedAt);
        return { u, c, after: seqs[i] as number };
      }),
    );
    // Departures: every absent user, once; no resumer.
    const departure: number[] = [];
    for (const u of absent) {
      await observer.wait((e) => e.type === "left" && e.name === u.name, lease * 4 + 10_000);
    }
    for (const u of absent) {
      const seen = observer.events.filter((x) => x.e.type === "left" && x.e.name === u.name);
      departure.push((seen[0]?.at ?? Number.NaN) - killedAt);
      if (seen.length !== 1) doubled++;
    }
    clearInterval(talk);
    await new Promise((r) => setTimeout(r, 500));
    const wrongly = resumers.filter((u) =>
      observer.events.some((x) => x.e.type === "left" && x.e.name === u.name),
    ).length;
    // Nothing lost, nothing twice: each resumer's messages after its seq = the observer's.
    const said = observer.events
      .filter((x) => x.e.type === "message" && x.e.from === "observer")
      .map((x) => ({ seq: x.e.seq as number, text: x.e.text as string }));
    for (const { c, after } of resumed) {
      const got: number[] = [];
      for (const { e } of c.events) {
        if (e.type === "history")
          for (const h of e.events as Event[]) if (h.type === "message") got.push(h.seq as number);
        if (e.type === "message" && e.room === "#lobby") got.push(e.seq as number);
      }
      const want = said.filter((m) => m.seq > after).map((m) => m.seq);
      const gotSet = new Set(got);
      lost += want.filter((s) => !gotSet.has(s)).length;
      doubled += got.length - gotSet.size;
    }
    return [
      `departure notices (absent users, from the kill): ${summary(departure)}; announced other than once: ${doubled}`,
      `resumed on B (from the kill to welcome + replay): ${summary(resumeMs)}`,
      `resumers announced as gone: ${wrongly}; observer lines lost by resumers: ${lost}`,
    ];
  } finally {
    for (const s of socks) s.close();
    for (const k of kids) if (k.exitCode === null) k.kill("SIGKILL");
    await stopRedis?.();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { clients: { type: "string" }, lease: { type: "string" }, repeat: { type: "string" } },
    strict: true,
  });
  const clients = Number(values.clients ?? 50);
  const lease = Number(values.lease ?? 15_000);
  const repeat = Number(values.repeat ?? 1);
  for (let k = 1; k <= repeat; k++) {
    const lines = await round(clients, lease);
    process.stdout.write(`round ${k} (${clients} users on the killed node, lease ${lease} ms)\n`);
    for (const l of lines) process.stdout.write(`  ${l}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`node-death bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
