/**
 * Issue 14, "proven by": a model-based property test (fast-check commands) of the room log.
 * Random interleavings of register, join, part, say (with and without a client id, and resent),
 * private messages, disconnects, half-open connections (ghosts), resumes, history requests and
 * restarts (clean, crash, lost data) run against an in-process Chat with fake session ports, no
 * sockets. Afterwards, and at every step, every client's view of every room is a contiguous slice
 * of that room's log in log order, with a gap only where the server sent `gap`.
 *
 * The store is a MemoryStore behind a wrapper that keeps what was appended but not committed
 * apart, the way SQLite does: a "crash" restarts from what was committed only. The fake ports
 * commit before they record anything, as TcpConnection.flush and WsConnection.send do, so each
 * event a client records must already be in the committed log, with the same content.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { Chat, type RoomLimits } from "../src/core/chat.ts";
import type { RoomHead, RoomStore } from "../src/core/ports.ts";
import type { Room } from "../src/core/room.ts";
import { checkRoomName } from "../src/core/room.ts";
import type { Session, SessionPort } from "../src/core/session.ts";
import { isRoomEvent, type RoomEvent, type ServerEvent } from "../src/protocol/events.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { loadSqlite, SqliteStore } from "../src/store/sqlite.ts";

/** One committed store operation. */
interface Op {
  key: string;
  events?: RoomEvent[];
  room?: { room: string; topic?: string };
}

/** A store the model can check against and restart. */
interface ModelStore extends RoomStore {
  head(key: string): RoomHead | undefined;
  /** The committed event at `seq` (what a client may have been shown). */
  committedEvent(key: string, seq: number): RoomEvent | undefined;
  /** Every committed event of a room, ascending. */
  committedLog(key: string): RoomEvent[];
  /** The store a restarted server opens: after a kill -9 (`crash`), or on new, empty data (`wipe`). */
  restarted(kind: "clean" | "crash" | "wipe"): ModelStore;
}

let epochs = 0;

/** A room store whose appended events survive a crash only once committed (like SQLite). */
class CrashStore implements ModelStore {
  readonly epoch: string;
  readonly secret = "model-secret-model-secret-model-secret";
  /** Everything appended (what reads see). */
  readonly #all = new MemoryStore();
  /** Committed operations, in order (what a crash keeps). */
  readonly #durable: Op[];
  #pending: Op[] = [];
  /** Committed events by room key and seq (what any client may have been shown). */
  readonly committed: Map<string, Map<number, RoomEvent>>;
  failing = false;

  constructor(epoch: string, durable: Op[] = []) {
    this.epoch = epoch;
    this.#durable = [...durable];
    this.committed = new Map();
    for (const op of durable) this.#replay(op);
  }

  #replay(op: Op): void {
    if (op.events) this.#all.append(op.key, op.events);
    if (op.room) this.#all.saveRoom(op.key, op.room);
    this.#keep(op);
  }

  #keep(op: Op): void {
    if (!op.events) return;
    const m = this.committed.get(op.key) ?? new Map<number, RoomEvent>();
    this.committed.set(op.key, m);
    for (const e of op.events) m.set(e.seq, e);
  }

  append(key: string, events: readonly RoomEvent[]): void {
    this.#all.append(key, events);
    this.#pending.push({ key, events: [...events] });
  }
  commit(): void {
    if (this.failing) throw new Error("disk full");
    for (const op of this.#pending) {
      this.#durable.push(op);
      this.#keep(op);
    }
    this.#pending = [];
  }
  head(key: string): RoomHead | undefined {
    return this.#all.head(key);
  }
  saveRoom(key: string, info: { room: string; topic?: string }): void {
    this.#all.saveRoom(key, info);
    this.#pending.push({ key, room: info });
  }
  recent(key: string, limit: number): RoomEvent[] {
    return this.#all.recent(key, limit);
  }
  range(key: string, after: number, limit: number): RoomEvent[] {
    return this.#all.range(key, after, limit);
  }
  before(key: string, before: number, limit: number): RoomEvent[] {
    return this.#all.before(key, before, limit);
  }
  first(key: string): number {
    return this.#all.first(key);
  }
  prune(): number {
    return 0;
  }
  close(): void {}

  committedEvent(key: string, seq: number): RoomEvent | undefined {
    return this.committed.get(key)?.get(seq);
  }
  committedLog(key: string): RoomEvent[] {
    return [...(this.committed.get(key)?.values() ?? [])];
  }
  /** After a kill -9: what was committed, the same epoch; `wipe`: a new, empty log. */
  restarted(kind: "clean" | "crash" | "wipe"): ModelStore {
    if (kind === "wipe") return new CrashStore(`epoch${++epochs}`);
    return new CrashStore(this.epoch, this.#durable);
  }
}

/**
 * The real SQLite store, in a temporary directory. A "crash" cannot be had in-process: it reopens
 * the data (what close() commits nobody saw, which the property allows); `wipe` opens new data,
 * where old tokens no longer verify (the secret lives with the data).
 */
class SqliteModelStore extends SqliteStore implements ModelStore {
  readonly dir: string;
  constructor(dir: string) {
    if (!sqlite.ok) throw new Error("no sqlite");
    super(sqlite.Database, dir);
    this.dir = dir;
  }
  committedEvent(key: string, seq: number): RoomEvent | undefined {
    // Reads see pending events too: only with nothing pending is what they see committed.
    return this.pending === 0 ? this.range(key, seq - 1, 1)[0] : undefined;
  }
  committedLog(key: string): RoomEvent[] {
    return this.range(key, 0, 1_000_000);
  }
  restarted(kind: "clean" | "crash" | "wipe"): ModelStore {
    this.close();
    return new SqliteModelStore(kind === "wipe" ? tempDir() : this.dir);
  }
}

const sqlite = loadSqlite();
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "papo-model-"));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NAMES = ["ana", "bia", "caio", "duda"] as const;
const ROOMS = ["#a", "#b", "#c", "#A"] as const;
const key = (room: string) => {
  const c = checkRoomName(room, 32);
  if (!c.ok) throw new Error(`bad room ${room}`);
  return c.key;
};

const LIMITS: Partial<RoomLimits> = {
  // Small, so runs go past the ring (resumes read the store) and past the replay cap (gaps).
  historyOnJoin: 2,
  roomRingSize: 2,
  resumeMaxEvents: 7,
  maxRoomsPerUser: 3,
  historyMaxPerRequest: 5,
};

/** One connection of a client: what it received, and whether the client still reads it. */
interface Conn {
  session: Session;
  /** Everything the transport was handed (a ghost keeps receiving; nobody reads it). */
  raw: ServerEvent[];
  /** False once the client stopped reading it (disconnected, or its connection went half-open). */
  reading: boolean;
  /** Resume points this connection was opened with, by room key. */
  points: Map<string, { epoch: string; seq: number }>;
  /** Per room: the `room` event's seq, until its history came. */
  entering: Map<string, number>;
  /** Per room: the next live seq expected. */
  expect: Map<string, number>;
  /** Rooms with a `gap` announced and not yet followed by its history. */
  gapped: Set<string>;
  bye: boolean;
}

/** A client program across its connections (json mode: echo on, keeps its token and resume points). */
class Client {
  readonly name: string;
  conn: Conn | undefined;
  /** Every connection it opened on the current server. */
  conns: Conn[] = [];
  token: string | undefined;
  /** Where this client is in each room it is in: the store epoch and the last seq it saw. */
  readonly seen = new Map<string, { room: string; epoch: string; seq: number }>();
  cids = 0;
  /** The last line sent with a cid, and the room (in memory) it went to. */
  lastCid: { cid: string; room?: string; held: Room<Session> } | undefined;
  constructor(name: string) {
    this.name = name;
  }
}

class World {
  store: ModelStore;
  chat: Chat;
  readonly clients = NAMES.map((n) => new Client(n));
  said = 0;
  readonly trace: string[] = [];

  constructor(store: ModelStore) {
    this.store = store;
    this.chat = this.#newChat();
  }

  #newChat(): Chat {
    return new Chat({
      server: "papo/model",
      hideAddresses: false,
      maxNameLength: 32,
      registrationTimeoutMs: 0,
      logMessages: false,
      store: this.store,
      rooms: LIMITS,
    });
  }

  restart(kind: "clean" | "crash" | "wipe"): void {
    for (const c of this.clients) if (c.conn) c.conn.reading = false;
    if (kind === "clean") this.chat.shutdown();
    this.store = this.store.restarted(kind);
    for (const c of this.clients) {
      c.conn = undefined;
      c.conns = [];
      c.lastCid = undefined;
    }
    this.chat = this.#newChat();
  }

  connect(client: Client, points: Map<string, { epoch: string; seq: number }>): Conn {
    const chat = this.chat;
    const store = this.store;
    const conn = {} as Conn;
    const port: SessionPort = {
      remote: "127.0.0.1:9",
      echo: true,
      send: (e) => {
        // Commit before anything is written (TcpConnection.flush, WsConnection.send).
        chat.commit();
        conn.raw.push(e);
        count(e);
        if (conn.reading) this.observe(client, conn, store, e);
      },
      close() {},
    };
    Object.assign(conn, {
      session: chat.open(port),
      raw: [],
      reading: true,
      points,
      entering: new Map(),
      expect: new Map(),
      gapped: new Set(),
      bye: false,
    });
    client.conn = conn;
    client.conns.push(conn);
    conn.session.start();
    return conn;
  }

  /** The checks, on every event a reading client receives. */
  observe(client: Client, conn: Conn, store: ModelStore, e: ServerEvent): void {
    const where = `${client.name}: ${JSON.stringify(e)}`;
    assert.ok(!conn.bye, `event after bye: ${where}`);
    const durable = (ev: RoomEvent) => {
      const stored = store.committedEvent(key(ev.room), ev.seq);
      assert.deepEqual(stored, ev, `shown but not committed, or not as committed: ${where}`);
    };
    const saw = (ev: RoomEvent) => {
      durable(ev);
      client.seen.set(key(ev.room), { room: ev.room, epoch: store.epoch, seq: ev.seq });
    };
    const contiguous = (events: RoomEvent[]) => {
      for (let i = 1; i < events.length; i++)
        assert.equal(events[i]?.seq, (events[i - 1]?.seq ?? 0) + 1, `history not contiguous: ${where}`);
    };
    switch (e.type) {
      case "welcome":
        if (e.token) client.token = e.token;
        assert.equal(e.epoch, store.epoch);
        return;
      case "bye":
        conn.bye = true;
        return;
      case "room": {
        const k = key(e.room);
        assert.equal(e.epoch, store.epoch);
        assert.ok(!conn.expect.has(k) && !conn.entering.has(k), `room twice without a part: ${where}`);
        conn.entering.set(k, e.seq);
        return;
      }
      case "gap": {
        const k = key(e.room);
        const point = conn.points.get(k);
        assert.ok(point, `a gap where the client gave no resume point: ${where}`);
        assert.ok(conn.entering.has(k), `gap outside a room entry: ${where}`);
        if (e.reason === "epoch")
          assert.notEqual(point.epoch, store.epoch, `gap epoch, same epoch: ${where}`);
        else {
          assert.equal(point.epoch, store.epoch, `gap pruned across epochs: ${where}`);
          // Nothing is pruned in this model: only a long absence may be refused.
          assert.ok(e.seq - point.seq > (LIMITS.resumeMaxEvents ?? 0), `unjustified gap: ${where}`);
        }
        conn.gapped.add(k);
        return;
      }
      case "history": {
        const k = key(e.room);
        contiguous(e.events);
        for (const ev of e.events) assert.equal(key(ev.room), k, `history of another room: ${where}`);
        if (e.kind === "request") {
          for (const ev of e.events) durable(ev);
          return;
        }
        const head = conn.entering.get(k);
        assert.ok(head !== undefined, `history without a room event: ${where}`);
        conn.entering.delete(k);
        const last = e.events.at(-1);
        if (last) assert.equal(last.seq, head, `history does not end where live begins: ${where}`);
        if (e.kind === "resume") {
          const point = conn.points.get(k);
          assert.ok(point && point.epoch === store.epoch && !conn.gapped.has(k), `resume replay: ${where}`);
          const first = e.events[0];
          if (first) assert.equal(first.seq, point.seq + 1, `resume replay does not continue: ${where}`);
          else assert.equal(point.seq, head, `empty replay, but missed events: ${where}`);
        } else {
          assert.ok(
            e.events.length === Math.min(head, LIMITS.historyOnJoin ?? 0),
            `history on join: ${e.events.length} of ${head}: ${where}`,
          );
          // A join after a gap, or a fresh join: the client's view of the room starts again here.
          conn.gapped.delete(k);
          client.seen.delete(k);
        }
        for (const ev of e.events) saw(ev);
        if (!last) client.seen.set(k, { room: e.room, epoch: store.epoch, seq: head });
        conn.expect.set(k, head + 1);
        return;
      }
      case "parted": {
        const k = key(e.room);
        conn.expect.delete(k);
        client.seen.delete(k);
        return;
      }
      default:
        if (!isRoomEvent(e)) return;
        {
          const k = key(e.room);
          const next = conn.expect.get(k);
          assert.ok(next !== undefined, `live event of a room not entered: ${where}`);
          assert.equal(e.seq, next, `live event out of sequence: ${where}`);
          conn.expect.set(k, next + 1);
          saw(e);
        }
    }
  }

  /** The client's connection, when it reads it and is registered (a client talks only then). */
  live(i: number): Conn | undefined {
    const c = this.clients[i];
    return c?.conn?.reading && c.conn.session.registered ? c.conn : undefined;
  }
}

/** What the runs reached, over all of them. */
const seen: Record<string, number> = {};
function count(e: ServerEvent): void {
  const k =
    e.type === "history"
      ? `history:${e.kind}:${e.events.length > 0 ? "some" : "none"}`
      : e.type === "gap"
        ? `gap:${e.reason}`
        : e.type === "welcome" && e.resumed
          ? "welcome:resumed"
          : e.type;
  seen[k] = (seen[k] ?? 0) + 1;
}

type Cmd = fc.Command<object, World>;

const cmd = (label: string, run: (w: World) => void): Cmd => ({
  check: () => true,
  run: (_m, w) => {
    w.trace.push(label);
    run(w);
  },
  toString: () => label,
});

const who = fc.integer({ min: 0, max: NAMES.length - 1 });
const room = fc.constantFrom(...ROOMS);

const [register, join, part, say, whisper, history, disconnect, halfOpen, resume, restart] = [
  who.map((i) =>
    cmd(`register(${NAMES[i]})`, (w) => {
      const c = w.clients[i] as Client;
      // Still asked for a name (it was taken): ask again.
      if (c.conn?.reading && !c.conn.session.registered) return c.conn.session.nameRequest(c.name);
      if (c.conn?.reading) return;
      c.seen.clear();
      const conn = w.connect(c, new Map());
      conn.session.nameRequest(c.name);
    }),
  ),
  fc.tuple(who, room).map(([i, r]) =>
    cmd(`join(${NAMES[i]}, ${r})`, (w) => {
      w.live(i)?.session.line(`/join ${r}`);
    }),
  ),
  fc.tuple(who, fc.option(room, { nil: undefined })).map(([i, r]) =>
    cmd(`part(${NAMES[i]}, ${r ?? "current"})`, (w) => {
      w.live(i)?.session.line(r ? `/part ${r}` : "/part");
    }),
  ),
  fc
    .tuple(who, fc.option(room, { nil: undefined }), fc.constantFrom("none", "new", "again"))
    .map(([i, r, cidMode]) =>
      cmd(`say(${NAMES[i]}, ${r ?? "current"}, cid ${cidMode})`, (w) => {
        const conn = w.live(i);
        const c = w.clients[i] as Client;
        if (!conn) return;
        // A resend is recognised by any number of others' events in between while the room stays
        // in memory; once it was dropped (nobody in it) or after a restart, only within the ring
        // read back from the store (roomRingSize events): that window is not modelled here.
        if (cidMode === "again" && c.lastCid && w.chat.room(c.lastCid.held.key) !== c.lastCid.held) return;
        if (cidMode === "again" && c.lastCid) {
          conn.session.line(`again ${c.lastCid.cid}`, c.lastCid.room, c.lastCid.cid);
          return;
        }
        const cid = cidMode === "new" ? `${c.name}-${++c.cids}` : undefined;
        const held = r ? w.chat.room(key(r)) : conn.session.current;
        if (cid && held) c.lastCid = { cid, ...(r ? { room: r } : {}), held };
        conn.session.line(cid ? `again ${cid}` : `m${++w.said}`, r, cid);
      }),
    ),
  fc.tuple(who, who).map(([i, j]) =>
    cmd(`private(${NAMES[i]} -> ${NAMES[j]})`, (w) => {
      w.live(i)?.session.line(`@${NAMES[j]} psst ${++w.said}`);
    }),
  ),
  fc.tuple(who, fc.integer({ min: 0, max: 20 })).map(([i, back]) =>
    cmd(`history(${NAMES[i]}, before head-${back})`, (w) => {
      const conn = w.live(i);
      if (!conn) return;
      const r = conn.session.current;
      conn.session.showHistory(4, r.name, Math.max(1, r.head + 1 - back));
    }),
  ),
  who.map((i) =>
    cmd(`disconnect(${NAMES[i]})`, (w) => {
      const conn = w.clients[i]?.conn;
      if (!conn?.reading) return;
      conn.reading = false;
      conn.session.lost();
    }),
  ),
  who.map((i) =>
    cmd(`half-open(${NAMES[i]})`, (w) => {
      const conn = w.clients[i]?.conn;
      // The network is gone; the server does not know yet: the session stays (a ghost).
      if (conn?.reading) conn.reading = false;
    }),
  ),
  who.map((i) =>
    cmd(`resume(${NAMES[i]})`, (w) => {
      const c = w.clients[i] as Client;
      if ((c.conn?.reading && c.conn.session.registered) || !c.token) return;
      // The ghost: this client's earlier connection that still holds the name.
      const holder = w.chat.find(c.name);
      const ghost = c.conns.find((x) => x.session === holder);
      const before = new Map(
        ROOMS.map((r) => [key(r), w.chat.room(key(r))?.head ?? w.store.head(key(r))?.seq ?? 0]),
      );
      const points = new Map([...c.seen].map(([k, p]) => [k, { epoch: p.epoch, seq: p.seq }]));
      const rooms = [...c.seen.values()].map((p) => ({ room: p.room, epoch: p.epoch, seq: p.seq }));
      const conn = w.connect(c, points);
      conn.session.resumeRequest(c.token, rooms);
      if (ghost) {
        // The ghost is replaced silently: it gets `bye replaced`, nobody sees a leave or a join.
        assert.equal(ghost.raw.at(-1)?.type, "bye");
        assert.equal((ghost.raw.at(-1) as { reason?: string }).reason, "replaced");
        assert.ok(ghost.session.closed);
        assert.ok(conn.raw.some((e) => e.type === "welcome" && e.resumed === true));
        for (const r of ROOMS) {
          const k = key(r);
          const now = w.chat.room(k)?.head ?? w.store.head(k)?.seq ?? 0;
          assert.equal(now, before.get(k), `a replaced ghost changed the log of ${r}`);
        }
      }
    }),
  ),
  fc.constantFrom("clean", "crash", "wipe").map((kind) =>
    cmd(`restart(${kind})`, (w) => {
      w.restart(kind as "clean" | "crash" | "wipe");
    }),
  ),
];
/** Weighted: talking and moving between rooms often, connections failing and restarts less. */
const commands = [
  ...[say, say, say, say, join, join, join, part, part, register, register, resume, resume],
  ...[whisper, history, disconnect, halfOpen, restart],
];

/** After a run: every live session's rooms are the rooms its client entered, and names are unique. */
function finalChecks(w: World): void {
  for (const c of w.clients) {
    const conn = c.conn;
    if (!conn?.reading || conn.session.closed) continue;
    assert.ok(conn.session.registered || conn.raw.every((e) => e.type !== "welcome"));
    if (!conn.session.registered) continue;
    for (const r of conn.session.rooms) {
      assert.ok(conn.expect.has(r.key), `${c.name} is in ${r.name} but never saw it entered`);
      // Caught up: the next seq it expects is the room's head + 1.
      assert.equal(conn.expect.get(r.key), r.head + 1, `${c.name} is behind in ${r.name}`);
    }
    assert.ok(conn.session.rooms.has(w.chat.lobby));
  }
  // Every message with a client id is in each room's log once per sender.
  for (const k of new Set(ROOMS.map(key).concat("#lobby"))) {
    const cids = new Set<string>();
    for (const e of w.store.committedLog(k))
      if (e.type === "message" && e.cid !== undefined) {
        const id = `${e.from}/${e.cid}`;
        assert.ok(!cids.has(id), `message ${id} posted twice in ${k}`);
        cids.add(id);
      }
  }
}

function run(make: () => ModelStore, numRuns: number): void {
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 120, size: "+1" }), (cmds) => {
      const w = new World(make());
      try {
        // Everyone starts registered; the commands take it from there.
        for (const c of w.clients) w.connect(c, new Map()).session.nameRequest(c.name);
        fc.modelRun(() => ({ model: {}, real: w }), cmds);
        finalChecks(w);
      } finally {
        w.chat.shutdown();
        w.store.close();
      }
    }),
    { numRuns },
  );
}

describe("model: every client's view of every room is a contiguous slice of the room's log", () => {
  it("random interleavings of join, part, say, private, disconnect, resume and restart (issue 14)", () => {
    for (const k of Object.keys(seen)) delete seen[k];
    // The runs must reach what matters (a property that never met a resume proves nothing about
    // it). Some cases are rare in random interleavings (a long absence: gap pruned), so batches
    // of 300 runs go on, up to 5, until every case was met: random, yet not flaky.
    const cases = [
      "history:resume:some",
      "history:resume:none",
      "gap:epoch",
      "gap:pruned",
      "welcome:resumed",
      "message",
      "parted",
      "current",
      "history:request:some",
    ];
    for (let batch = 0; batch < 5 && !cases.every((k) => (seen[k] ?? 0) > 0); batch++)
      run(() => new CrashStore(`epoch${++epochs}`), 300);
    for (const k of cases) assert.ok((seen[k] ?? 0) > 0, `no run reached ${k}: ${JSON.stringify(seen)}`);
  });

  it("the same over the SQLite store (reads of appended, uncommitted events; reopened data)", {
    skip: sqlite.ok ? false : "better-sqlite3 does not load here",
  }, () => {
    for (const k of Object.keys(seen)) delete seen[k];
    run(() => new SqliteModelStore(tempDir()), 60);
    for (const k of ["history:resume:some", "welcome:resumed", "message", "parted"])
      assert.ok((seen[k] ?? 0) > 0, `no run reached ${k}: ${JSON.stringify(seen)}`);
  });
});
