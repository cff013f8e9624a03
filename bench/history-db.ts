/**
 * Issue 14: history from a large database. Fills an SQLite data directory with 1 000 000 messages
 * (ROOMS rooms × MESSAGES/ROOMS each), then starts `papo serve --data DIR` (the built dist/cli.js,
 * as an operator runs it) and measures:
 * - start-up: from spawn to the "listening" line, with that database and with an empty one (the
 *   difference is what the database costs; start-up must not scan the messages);
 * - join with history: json clients each register and `join` a room; the time from the request to
 *   the room's `history` event, for a room's first join (cold: read from SQLite) and later ones
 *   (from the in-memory ring).
 *
 *   npm run build && node --import tsx bench/history-db.ts [--messages 1000000] [--rooms 100] [--joins 400]
 *
 * Loopback only; bounded in count and time. Never part of `npm test`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { RoomEvent } from "../src/protocol/events.ts";
import { loadSqlite, SqliteStore } from "../src/store/sqlite.ts";
import { REPO_ROOT } from "./servers.ts";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "1000000" },
    rooms: { type: "string", default: "100" },
    joins: { type: "string", default: "400" },
    keep: { type: "boolean", default: false },
  },
});
const MESSAGES = Number(values.messages);
const ROOMS = Number(values.rooms);
const JOINS = Math.min(2000, Number(values.joins));

function fill(dir: string): number {
  const sqlite = loadSqlite();
  if (!sqlite.ok) throw new Error(`SQLite: ${sqlite.error}`);
  const store = new SqliteStore(sqlite.Database, dir);
  const t0 = performance.now();
  const perRoom = Math.ceil(MESSAGES / ROOMS);
  const text = "uma mensagem de tamanho comum numa conversa de turma, com acentuação e tudo 👋";
  let at = Date.now() - MESSAGES * 10;
  for (let r = 0; r < ROOMS; r++) {
    const room = `#sala${r}`;
    for (let from = 1; from <= perRoom; from += 10_000) {
      const batch: RoomEvent[] = [];
      for (let seq = from; seq < from + 10_000 && seq <= perRoom; seq++) {
        at += 10;
        batch.push({ type: "message", room, seq, from: `user${seq % 50}`, text, at });
      }
      store.append(room, batch);
      store.commit();
    }
  }
  store.close();
  return performance.now() - t0;
}

interface Server {
  child: ChildProcess;
  port: number;
  startupMs: number;
}

function start(dir: string): Promise<Server> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, "dist/cli.js"),
      "serve",
      "--no-irc",
      "--data",
      dir,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--no-http",
      "--log-level",
      "warn",
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /listening on .*:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        resolve({ child, port: Number(m[1]), startupMs: performance.now() - t0 });
      }
    });
    child.on("exit", (code) => reject(new Error(`papo exited ${code}: ${out}`)));
  });
}

async function stop(s: Server): Promise<void> {
  s.child.removeAllListeners("exit");
  const done = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await done;
}

/** One json client: registers as `name`, joins `room`, resolves with ms from join to history. */
function joinOnce(port: number, name: string, room: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let buf = "";
    let sentAt = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${name}: no history for ${room}`));
    }, 20_000);
    sock.on("connect", () => {
      sock.write(
        `${JSON.stringify({ type: "hello", protocol: 1 })}\n${JSON.stringify({ type: "name", name })}\n`,
      );
    });
    sock.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
        if (!line.startsWith("{")) continue;
        const e = JSON.parse(line) as { type: string; room?: string; kind?: string };
        if (e.type === "history" && e.room === "#lobby" && sentAt === 0) {
          sentAt = performance.now();
          sock.write(`${JSON.stringify({ type: "join", room })}\n`);
        } else if (e.type === "history" && e.room === room && sentAt > 0) {
          const ms = performance.now() - sentAt;
          clearTimeout(timer);
          sock.end(`${JSON.stringify({ type: "line", text: "/quit" })}\n`);
          resolve(ms);
        }
      }
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `n=${s.length} p50 ${pct(s, 50).toFixed(2)} ms, p90 ${pct(s, 90).toFixed(2)}, p99 ${pct(s, 99).toFixed(2)}, max ${(s.at(-1) ?? 0).toFixed(2)}`;
}

async function main(): Promise<void> {
  const empty = mkdtempSync(join(tmpdir(), "papo-hist-empty-"));
  const full = mkdtempSync(join(tmpdir(), "papo-hist-full-"));
  try {
    process.stderr.write(`filling ${MESSAGES} messages in ${ROOMS} rooms...\n`);
    const fillMs = fill(full);
    process.stderr.write(`filled in ${(fillMs / 1000).toFixed(1)} s\n`);
    const startEmpty: number[] = [];
    const startFull: number[] = [];
    for (let i = 0; i < 3; i++) {
      const e = await start(empty);
      startEmpty.push(e.startupMs);
      await stop(e);
      const f = await start(full);
      startFull.push(f.startupMs);
      await stop(f);
    }
    const server = await start(full);
    const cold: number[] = [];
    const warm: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < JOINS; i += 10) {
      const batch = Array.from({ length: Math.min(10, JOINS - i) }, (_, k) => i + k);
      const rooms = batch.map((n) => `#sala${(n * 7) % ROOMS}`);
      const first = rooms.map((r) => {
        const cold = !seen.has(r);
        seen.add(r);
        return cold;
      });
      const times = await Promise.all(
        batch.map((n, k) => joinOnce(server.port, `j${n}`, rooms[k] as string)),
      );
      for (const [k, t] of times.entries()) (first[k] ? cold : warm).push(t);
    }
    await stop(server);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]?.toFixed(0);
    process.stdout.write(
      [
        `database: ${MESSAGES} messages in ${ROOMS} rooms (filled in ${(fillMs / 1000).toFixed(1)} s)`,
        `start-up to "listening" (node dist/cli.js, 3 runs): empty ${startEmpty.map((x) => x.toFixed(0)).join("/")} ms (median ${med(startEmpty)}), with the database ${startFull.map((x) => x.toFixed(0)).join("/")} ms (median ${med(startFull)})`,
        `join -> history, first join of a room (SQLite): ${summary(cold)}`,
        `join -> history, later joins (ring):          ${summary(warm)}`,
        `join -> history, all:                         ${summary([...cold, ...warm])}`,
      ].join("\n") + "\n",
    );
  } finally {
    if (!values.keep) {
      rmSync(empty, { recursive: true, force: true });
      rmSync(full, { recursive: true, force: true });
    }
  }
}

main().catch((e) => {
  process.stderr.write(`history-db: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
