/**
 * Issue 14, durability with SQLite (a real file in a temp dir): history and the epoch survive a
 * restart (and resume works across it); a kill -9 during a burst loses nothing anyone received
 * ("what anyone has seen is stored": the commit comes before any byte is written); unusable data
 * stops the start with one line; a store that fails at run time pauses history, not the chat.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { RoomEvent, ServerEvent } from "../src/protocol/events.ts";
import { isRoomEvent } from "../src/protocol/events.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { loadSqlite, SqliteStore } from "../src/store/sqlite.ts";
import { JsonClient, sleep, startTestServer, TextClient } from "./helpers.ts";
import { FailingStore } from "./store-wrappers.ts";
import { type WebTestServer, WsClient } from "./web-helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const sqlite = loadSqlite();
// Under CI better-sqlite3 must be there (store.test.ts fails without it); elsewhere skip loudly.
const skip = sqlite.ok ? false : `better-sqlite3 does not load here: ${sqlite.ok ? "" : sqlite.error}`;

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), "papo-rooms-"));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function openStore(dir: string): SqliteStore {
  if (!sqlite.ok) throw new Error("no sqlite");
  return new SqliteStore(sqlite.Database, dir);
}

async function until(check: () => boolean, what: string, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Every event of `room` in the log, read back with json `history` requests (paging with before). */
async function readLog(c: JsonClient, room: string, limit = 500): Promise<RoomEvent[]> {
  const out: RoomEvent[] = [];
  let before: number | undefined;
  for (;;) {
    const from = c.events.length;
    c.request({ type: "history", room, limit, ...(before !== undefined ? { before } : {}) });
    const page = await c.waitEvent("history", (e) => e.kind === "request" && e.room === room, {
      from,
      ms: 10000,
    });
    out.unshift(...page.events);
    if (!page.more || page.events.length === 0) return out;
    before = page.events[0]?.seq;
  }
}

describe("issue 14: durability with SQLite", { skip }, () => {
  it("a restart on the same data keeps history and the epoch; resume works across it", async () => {
    const dir = tmp();
    let store = openStore(dir);
    let server = await startTestServer({ store, limits: { historyOnJoin: 50 } });
    const a = await JsonClient.join(server.port, "dur_ana");
    a.request({ type: "join", room: "#dur" });
    await a.waitEvent("history", (e) => e.room === "#dur");
    for (let i = 0; i < 5; i++) a.request({ type: "line", text: `guardada ${i}`, room: "#dur" });
    a.request({ type: "line", text: "/topic persistente", room: "#dur" });
    const last = await a.waitEvent("topic");
    const welcome = a.events.find(
      (e): e is Extract<ServerEvent, { type: "welcome" }> => e.type === "welcome",
    );
    const epoch = store.epoch;
    const places = [
      {
        room: "#lobby",
        epoch,
        seq: Math.max(
          ...a.events
            .filter(isRoomEvent)
            .filter((e) => e.room === "#lobby")
            .map((e) => e.seq),
        ),
      },
      { room: "#dur", epoch, seq: last.seq },
    ];
    await server.close();
    await a.text.waitClosed();

    store = openStore(dir);
    assert.equal(store.epoch, epoch);
    server = await startTestServer({ store, limits: { historyOnJoin: 50 } });
    try {
      // A newcomer sees the history of before the restart, and the topic.
      const b = await JsonClient.join(server.port, "dur_bia");
      b.request({ type: "join", room: "#dur" });
      const room = await b.waitEvent("room", (e) => e.room === "#dur");
      assert.equal(room.epoch, epoch);
      assert.equal(room.topic, "persistente");
      const h = await b.waitEvent("history", (e) => e.room === "#dur");
      assert.deepEqual(
        h.events.filter((e) => e.type === "message").map((e) => (e as { text: string }).text),
        ["guardada 0", "guardada 1", "guardada 2", "guardada 3", "guardada 4"],
      );
      b.request({ type: "line", text: "depois do reinício", room: "#dur" });
      await b.waitEvent("message", (e) => e.text === "depois do reinício");
      // The old token still works (the secret is kept with the data): same name, replay from the place.
      const c = new JsonClient(server.port);
      await c.waitEvent("prompt");
      c.request({ type: "resume", token: welcome?.token, rooms: places });
      const w = await c.waitEvent("welcome");
      assert.equal(w.name, "dur_ana");
      assert.equal(w.epoch, epoch);
      const replay = await c.waitEvent("history", (e) => e.room === "#dur");
      assert.equal(replay.kind, "resume");
      assert.equal(replay.events[0]?.seq, last.seq + 1);
      assert.ok(replay.events.some((e) => e.type === "message" && e.text === "depois do reinício"));
      assert.ok(!c.events.some((e) => e.type === "gap"));
      b.close();
      c.close();
    } finally {
      await server.close();
    }
  });

  it("a room left empty and entered again before the next commit keeps its sequence (pipelined lines)", async () => {
    const server = await startTestServer({ store: openStore(tmp()), limits: { historyOnJoin: 5 } });
    try {
      const j = new JsonClient(server.port);
      await j.waitEvent("prompt");
      // One write: the room is made, left (dropped from memory, its events not yet committed) and
      // made again in the same turn of the event loop.
      j.text.send(
        `${[
          { type: "name", name: "pipe" },
          { type: "line", text: "/join #pipe" },
          { type: "line", text: "um", room: "#pipe" },
          { type: "line", text: "/part #pipe" },
          { type: "line", text: "/join #pipe" },
          { type: "line", text: "dois", room: "#pipe" },
        ]
          .map((r) => JSON.stringify(r))
          .join("\n")}\n`,
      );
      const dois = await j.waitEvent("message", (e) => e.text === "dois");
      assert.ok(!j.events.some((e) => e.type === "error"), JSON.stringify(j.events));
      const log = await readLog(j, "#pipe");
      assert.deepEqual(
        log.map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      assert.equal(dois.seq, 5);
      j.close();
    } finally {
      await server.close();
    }
  });
});

describe("issue 14: a room read back from the store", () => {
  it("history on join shows historyOnJoin events after a restart, even above roomRingSize", async () => {
    const store = new MemoryStore();
    const limits = { historyOnJoin: 10, roomRingSize: 3 };
    let server = await startTestServer({ store, limits });
    const a = await JsonClient.join(server.port, "ring_a");
    for (let i = 0; i < 20; i++) a.say(`r${i}`);
    await a.waitEvent("message", (e) => e.text === "r19");
    const b = await JsonClient.join(server.port, "ring_b");
    assert.equal((await b.waitEvent("history")).events.length, 10);
    await server.close();
    server = await startTestServer({ store, limits });
    try {
      const c = await JsonClient.join(server.port, "ring_c");
      const h = await c.waitEvent("history");
      assert.equal(h.events.length, 10);
      assert.equal(h.more, true);
      c.close();
    } finally {
      await server.close();
    }
  });
});

// ---- a real papo process ------------------------------------------------------------------------

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function papo(args: string[]): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, LANG: "en_US.UTF-8", LC_ALL: "" },
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (d) => {
    out += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function serve(
  dir: string,
  extra: string[] = [],
  web = false,
): Promise<Proc & { port: number; httpPort: number }> {
  const p = papo([
    "serve",
    "--no-irc",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...(web ? ["--http-port", "0"] : ["--no-http"]),
    "--data",
    dir,
    "--limit",
    "floodBurst=1000000",
    "--limit",
    "historyOnJoin=0",
    ...extra,
  ]);
  await until(
    () => /listening on 127\.0\.0\.1:\d+/.test(p.out()) || p.child.exitCode !== null,
    `startup; stderr: ${p.err()}`,
  );
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(p.out())?.[1]);
  assert.ok(port > 0, p.err());
  if (web) await until(() => /http:\/\/127\.0\.0\.1:\d+\//.test(p.out()), "the web listener");
  const httpPort = web ? Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(p.out())?.[1]) : 0;
  return { ...p, port, httpPort };
}

describe("issue 14: crash test (papo serve --data, kill -9 during a burst)", { skip }, () => {
  it("every message any client received is in /history and in the json history range after a restart", async (t) => {
    const dir = tmp();
    const first = await serve(dir, [], true);
    const rooms = ["#lobby", "#crash"];
    const senders = await Promise.all([0, 1, 2].map((i) => JsonClient.join(first.port, `crash_${i}`)));
    const watcher = await JsonClient.join(first.port, "crash_w");
    // Browsers too: WsConnection.send commits before each message it writes.
    const web = {
      wsUrl: `ws://127.0.0.1:${first.httpPort}/ws`,
      origin: `http://127.0.0.1:${first.httpPort}`,
    };
    const browsers = await Promise.all([0, 1].map((i) => WsClient.join(web as WebTestServer, `crash_b${i}`)));
    for (const c of [...senders, watcher, ...browsers]) {
      c.request({ type: "join", room: "#crash" });
      await c.waitEvent("room", (e) => e.room === "#crash");
    }
    // Bursts from every sender into both rooms, until the server dies.
    let sending = true;
    const bursts = [...senders, ...browsers].map(async (c, i) => {
      let n = 0;
      while (sending && !(c instanceof JsonClient ? c.text.closed : c.closed)) {
        for (let k = 0; k < 20; k++) {
          const room = rooms[(n + k) % 2] as string;
          c.request({ type: "line", text: `s${i}-${n + k}`, room, cid: `s${i}-${n + k}` });
        }
        n += 20;
        await new Promise((r) => setImmediate(r));
      }
    });
    const received = () => watcher.events.filter((e) => e.type === "message").length;
    await until(() => received() >= 1500, "a good part of the burst");
    first.child.kill("SIGKILL");
    await first.exited;
    sending = false;
    await Promise.all(bursts);
    await Promise.all([...senders, watcher].map((c) => c.text.waitClosed()));
    await Promise.all(browsers.map((c) => c.waitClosed()));

    // What anyone received: every room event of every client, by room and seq.
    const seen = new Map<string, RoomEvent>();
    for (const c of [...senders, watcher, ...browsers])
      for (const e of c.events) if (isRoomEvent(e)) seen.set(`${e.room}/${e.seq}`, e);
    assert.ok(seen.size >= 1500);

    const second = await serve(dir);
    try {
      const r = await JsonClient.join(second.port, "crash_r");
      r.request({ type: "join", room: "#crash" });
      await r.waitEvent("room", (e) => e.room === "#crash");
      const log = new Map<string, RoomEvent>();
      for (const room of rooms) for (const e of await readLog(r, room)) log.set(`${e.room}/${e.seq}`, e);
      let missing = 0;
      for (const [k, e] of seen) {
        const stored = log.get(k);
        if (!stored) missing++;
        else assert.deepEqual(stored, e, `${k}: received, but the log holds another event there`);
      }
      assert.equal(missing, 0, `${missing} of ${seen.size} received events are not in the history`);
      t.diagnostic(`${seen.size} distinct events received before the kill; all in the history`);
      // Each room's log is contiguous from 1.
      for (const room of rooms) {
        const seqs = [...log.values()].filter((e) => e.room === room).map((e) => e.seq);
        assert.deepEqual(
          seqs,
          seqs.map((_, i) => i + 1),
        );
      }
      // Text /history: the newest messages of the lobby that anyone received are there.
      const text = await TextClient.join(second.port, "crash_t");
      text.line("/history 500");
      await text.waitFor("* --- end of history ---", { ms: 10000 });
      const lobbySeen = [...seen.values()]
        .filter(
          (e): e is Extract<RoomEvent, { type: "message" }> => e.type === "message" && e.room === "#lobby",
        )
        .sort((x, y) => x.seq - y.seq)
        .slice(-100);
      for (const m of lobbySeen)
        assert.ok(
          text.lines.some((l) => l.endsWith(`] ${m.from}: ${m.text}`)),
          `/history lacks ${m.from}: ${m.text}`,
        );
      r.close();
      text.close();
    } finally {
      second.child.kill("SIGTERM");
      assert.equal(await second.exited, 0);
    }
  });
});

describe("issue 14: unusable data stops the start with one line and a non-zero exit", { skip }, () => {
  async function failsWithOneLine(args: string[], pattern: RegExp): Promise<void> {
    const p = papo(["serve", "--no-irc", "--host", "127.0.0.1", "--port", "0", "--no-http", ...args]);
    const code = await p.exited;
    assert.notEqual(code, 0);
    const lines = p.err().trim().split("\n");
    assert.equal(lines.length, 1, p.err());
    assert.match(lines[0] ?? "", pattern);
    assert.doesNotMatch(p.err(), /\bat \S+:\d+:\d+/);
  }

  it("the data path is a file", async () => {
    const file = path.join(tmp(), "a-file");
    writeFileSync(file, "not a directory");
    await failsWithOneLine(["--data", file], /^papo could not start: .*a-file/);
  });

  it("papo.db is not a database", async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "papo.db"), Buffer.alloc(8192, 0x41));
    await failsWithOneLine(["--data", dir], /^papo could not start: .*not a papo database or is damaged/);
  });

  it("another papo holds the data (locked)", async () => {
    const dir = tmp();
    const first = await serve(dir);
    try {
      await failsWithOneLine(["--data", dir], /^papo could not start: .*locked/);
    } finally {
      first.child.kill("SIGTERM");
      assert.equal(await first.exited, 0);
    }
  });
});

// ---- a store that fails at run time ---------------------------------------------------------------

describe("issue 14: a store that fails at run time (disk full)", () => {
  it("chat goes on, one log line, users told history is paused, then that it resumed", async () => {
    const dir = tmp();
    const store = new FailingStore(sqlite.ok ? openStore(dir) : new MemoryStore());
    const server = await startTestServer({ store, limits: { storeRetryMs: 50, historyOnJoin: 0 } });
    try {
      const a = await JsonClient.join(server.port, "full_a");
      const t = await TextClient.join(server.port, "full_t");
      store.failing = true;
      for (let i = 0; i < 20; i++) a.say(`durante ${i}`);
      // Chat goes on.
      await t.waitFor("full_a: durante 19");
      const paused = await a.waitEvent("notice", (e) => e.code === "history_paused");
      assert.deepEqual(paused.params, {});
      await t.waitFor("*** History is paused: the server cannot save messages right now. Chat goes on.");
      await sleep(200);
      // One error line for the operator, however many commits failed.
      assert.ok(store.commits > 2, `${store.commits} commits tried`);
      assert.equal(server.logs.filter((l) => l.includes("history_paused")).length, 1, server.logs.join("\n"));
      assert.equal(a.events.filter((e) => e.type === "notice").length, 1);
      store.failing = false;
      await a.waitEvent("notice", (e) => e.code === "history_resumed");
      await t.waitFor("*** History is being saved again.");
      a.say("depois");
      await t.waitFor("full_a: depois");
      assert.equal(server.logs.filter((l) => l.includes("history_resumed")).length, 1);
      assert.equal(t.lines.filter((l) => l.includes("History is paused")).length, 1);
      a.close();
      t.close();
    } finally {
      await server.close();
    }
    if (!sqlite.ok) return;
    // What was said while the disk was full was kept pending and written once it could be.
    const again = openStore(dir);
    const texts = again
      .range("#lobby", 0, 1000)
      .filter((e) => e.type === "message")
      .map((e) => (e as { text: string }).text);
    assert.deepEqual(texts, [...Array.from({ length: 20 }, (_, i) => `durante ${i}`), "depois"]);
    again.close();
  });
});

// ---- a real full disk ------------------------------------------------------------------------------

/** Mounts a tmpfs of `size` on a new directory (root only); undefined when that is not allowed. */
function smallDisk(size: string): string | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), "papo-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

const probe = smallDisk("1m");
if (probe) {
  execFileSync("umount", [probe]);
  rmSync(probe, { recursive: true, force: true });
}
const noMount = probe
  ? false
  : "mounting a tmpfs needs root (mount -t tmpfs): the real full-disk test is skipped";

describe("issue 14: a real full disk (SQLite on a 2 MB tmpfs)", { skip: skip || noMount }, () => {
  it("chat goes on, unsaved events stay bounded, history resumes when there is room, a resume across the hole is a gap", async () => {
    const dir = smallDisk("2m") as string;
    const store = new SqliteStore(sqlite.ok ? sqlite.Database : (undefined as never), dir, {
      maxUnsaved: 300,
    });
    const server = await startTestServer({
      store,
      limits: {
        storeRetryMs: 50,
        historyOnJoin: 0,
        floodBurst: 1_000_000,
        floodIntervalMs: 1,
        roomRingSize: 50,
      },
    });
    try {
      const a = await JsonClient.join(server.port, "disco_a");
      const welcome = await a.waitEvent("welcome");
      const t = await TextClient.join(server.port, "disco_t");
      const big = "x".repeat(1500);
      let n = 0;
      const say = async (count: number) => {
        for (let i = 0; i < count; i++) a.request({ type: "line", text: `${n++} ${big}` });
        const last = n - 1;
        return a.waitEvent("message", (e) => e.text.startsWith(`${last} `), { ms: 20_000 });
      };
      // Fill the disk: SQLite's commit fails with SQLITE_FULL, for real.
      let beforeFull: RoomEvent | undefined;
      for (
        let round = 0;
        !a.events.some((e) => e.type === "notice" && e.code === "history_paused");
        round++
      ) {
        assert.ok(round < 40, "the disk never filled");
        const m = await say(50);
        if (!a.events.some((e) => e.type === "notice" && e.code === "history_paused")) beforeFull = m;
      }
      assert.ok(beforeFull, "some messages were saved before the disk filled");
      await t.waitFor("*** History is paused: the server cannot save messages right now. Chat goes on.");
      // Chat goes on for everyone, and what waits to be saved stays bounded.
      const last = await say(600);
      await t.waitFor(`disco_a: ${n - 1} `);
      assert.ok(store.pending <= 300 + 50, `${store.pending} events wait in memory`);
      assert.ok(store.unsavedDropped > 0, "the oldest unsaved events were let go");
      assert.equal(server.logs.filter((l) => l.includes("history_paused")).length, 1, server.logs.join("\n"));
      // Room on the disk again: saving resumes by itself.
      execFileSync("mount", ["-o", "remount,size=64m", dir]);
      await a.waitEvent("notice", (e) => e.code === "history_resumed", { ms: 20_000 });
      await t.waitFor("*** History is being saved again.");
      // A resume from before the hole is told there is a gap (never a silent skip).
      const back = new JsonClient(server.port);
      await back.waitEvent("prompt");
      back.request({
        type: "resume",
        token: welcome.token,
        rooms: [{ room: "#lobby", epoch: welcome.epoch, seq: (beforeFull as RoomEvent).seq }],
      });
      const gap = await back.waitEvent("gap", (e) => e.room === "#lobby", { ms: 20_000 });
      assert.equal(gap.reason, "pruned");
      // The newest messages, kept in memory while the disk was full, are on the disk now.
      const saved = store.range("#lobby", last.seq - 5, 10).map((e) => e.seq);
      assert.deepEqual(saved, [last.seq - 4, last.seq - 3, last.seq - 2, last.seq - 1, last.seq]);
      for (const c of [a, back]) c.close();
      t.close();
    } finally {
      await server.close();
      execFileSync("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
