/**
 * The SQLite room log (the default: `papo serve --data DIR`), on better-sqlite3, an optional
 * dependency: `loadSqlite()` says whether it can be used here.
 *
 * One table of events keyed by (room, seq), WITHOUT ROWID, so every read the chat makes (the last
 * N, after a seq, before a seq) is a range on the primary key, and start-up reads no event at all
 * (TheLounge#5103: a missing index made a big database block start-up for minutes). A commit is one
 * append to a journal file (papo.journal, next to papo.db), moved into SQLite about once a second:
 * safe from a crash of the process (kill -9) though not from a power cut, like SQLite's own WAL
 * with synchronous=NORMAL, which it uses too; locking_mode=EXCLUSIVE, so a second papo on the same
 * data fails to start instead of sharing it.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { Ban, RoomHead, RoomStore } from "../core/ports.ts";
import type { RoomEvent } from "../protocol/events.ts";

type DatabaseCtor = typeof BetterSqlite3;

/** The better-sqlite3 constructor, or why it cannot be had (not installed, or not built here). */
export function loadSqlite(): { ok: true; Database: DatabaseCtor } | { ok: false; error: string } {
  try {
    const require = createRequire(import.meta.url);
    const Database = require("better-sqlite3") as DatabaseCtor;
    // The native addon loads at the first `new Database()`, not at require: try it here.
    new Database(":memory:").close();
    return { ok: true, Database };
  } catch (err) {
    return { ok: false, error: String((err as Error)?.message ?? err).split("\n")[0] ?? "" };
  }
}

/** An unusable data directory or database, with a one-line reason for the operator. */
export class StoreOpenError extends Error {}

const SCHEMA_VERSION = "1";

export class SqliteStore implements RoomStore {
  readonly epoch: string;
  readonly secret: string;
  readonly file: string;
  readonly #db: BetterSqlite3.Database;
  #pending: { key: string; e: RoomEvent }[] = [];
  readonly #rooms = new Map<string, { room: string; topic?: string }>();
  readonly #stmt: {
    insert: BetterSqlite3.Statement;
    upsertRoom: BetterSqlite3.Statement;
    head: BetterSqlite3.Statement;
    recent: BetterSqlite3.Statement;
    range: BetterSqlite3.Statement;
    before: BetterSqlite3.Statement;
    first: BetterSqlite3.Statement;
    last: BetterSqlite3.Statement;
    keepHead: BetterSqlite3.Statement;
    roomKeys: BetterSqlite3.Statement;
    tooOld: BetterSqlite3.Statement;
    deleteUpTo: BetterSqlite3.Statement;
    bans: BetterSqlite3.Statement;
    expireBans: BetterSqlite3.Statement;
    saveBan: BetterSqlite3.Statement;
    deleteBan: BetterSqlite3.Statement;
  };
  readonly #commitTx: (rows: { key: string; e: RoomEvent }[]) => unknown;

  /**
   * The journal (issue 14): `dir/papo.journal`, one JSON line per event. A commit appends the new
   * events to it in one write(2), which is all a message needs before anyone is sent it (it then
   * survives a kill -9, like a WAL commit with synchronous=NORMAL); about once a second
   * (`drainMs`), or at `drainAt` events, they go into SQLite in one transaction and the journal is
   * emptied. At light load a commit is one message: an SQLite transaction each time cost about
   * 160 µs of CPU, the append costs a tenth. Opening the store puts what a crash left in the
   * journal into SQLite first.
   */
  readonly #journalFd: number;
  readonly #journalFile: string;
  /** Bytes in the journal (its end: a failed append is cut back to it). */
  #journalSize = 0;
  /** How many of `#pending` (from the front) are in the journal. */
  #journaled = 0;
  #lastDrain = Date.now();
  /** The last drain failed (a full disk): commits fail until one succeeds. */
  #drainFailed = false;
  /** Journaled events were let go from memory (`maxUnsaved`): the next drain reads the journal. */
  #journalHoldsMore = false;
  /** A cut-back after a failed append failed too: the next append starts on a new line. */
  #torn = false;
  #closed = false;
  readonly #drainMs: number;
  readonly #drainAt: number;

  /** Events waiting while commits fail; past it the oldest are let go (`unsavedDropped`). */
  readonly #maxUnsaved: number;
  /** Events let go unsaved while the store could not write (a hole in the log). */
  unsavedDropped = 0;

  /**
   * Opens (creating when missing) `dir/papo.db`; throws StoreOpenError with a reason.
   * `maxUnsaved`: see the `maxUnsavedEvents` limit.
   */
  constructor(
    Database: DatabaseCtor,
    dir: string,
    opts: { maxUnsaved?: number; drainMs?: number; drainAt?: number } = {},
  ) {
    this.#maxUnsaved = opts.maxUnsaved ?? 100_000;
    this.#drainMs = opts.drainMs ?? 1000;
    this.#drainAt = opts.drainAt ?? 1000;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new StoreOpenError(`cannot create the data directory ${dir}: ${errText(err)}`);
    }
    try {
      if (!statSync(dir).isDirectory()) throw new Error("not a directory");
    } catch (err) {
      throw new StoreOpenError(`the data directory ${dir} is unusable: ${errText(err)}`);
    }
    this.file = path.join(dir, "papo.db");
    let db: BetterSqlite3.Database;
    try {
      db = new Database(this.file, { timeout: 1000 });
    } catch (err) {
      throw new StoreOpenError(`cannot open ${this.file}: ${errText(err)}`);
    }
    this.#db = db;
    try {
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS rooms(
          key TEXT PRIMARY KEY, room TEXT NOT NULL, head INTEGER NOT NULL DEFAULT 0, topic TEXT);
        CREATE TABLE IF NOT EXISTS events(
          key TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL,
          PRIMARY KEY(key, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS bans(key TEXT PRIMARY KEY, until INTEGER, body TEXT NOT NULL);
      `);
      const meta = (k: string, make: () => string): string => {
        const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(k) as
          | { value: string }
          | undefined;
        if (row) return row.value;
        const v = make();
        db.prepare("INSERT INTO meta(key, value) VALUES (?, ?)").run(k, v);
        return v;
      };
      const version = meta("schema", () => SCHEMA_VERSION);
      if (version !== SCHEMA_VERSION)
        throw new Error(`schema version ${version}, this papo knows ${SCHEMA_VERSION}`);
      this.epoch = meta("epoch", () => randomBytes(6).toString("base64url"));
      this.secret = meta("secret", () => randomBytes(32).toString("base64url"));
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code;
      const why =
        code === "SQLITE_BUSY"
          ? "the database is locked (is another papo using this data directory?)"
          : code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT"
            ? "the file is not a papo database or is damaged"
            : errText(err);
      throw new StoreOpenError(`cannot use ${this.file}: ${why}`);
    }
    this.#stmt = {
      insert: db.prepare("INSERT INTO events(key, seq, at, body) VALUES (?, ?, ?, ?)"),
      upsertRoom: db.prepare(
        `INSERT INTO rooms(key, room, head, topic) VALUES (@key, @room, @head, @topic)
         ON CONFLICT(key) DO UPDATE SET head = max(head, @head), topic = coalesce(@topic, topic)`,
      ),
      head: db.prepare("SELECT room, head, topic FROM rooms WHERE key = ?"),
      recent: db.prepare("SELECT body FROM events WHERE key = ? ORDER BY seq DESC LIMIT ?"),
      range: db.prepare("SELECT body FROM events WHERE key = ? AND seq > ? ORDER BY seq LIMIT ?"),
      before: db.prepare("SELECT body FROM events WHERE key = ? AND seq < ? ORDER BY seq DESC LIMIT ?"),
      first: db.prepare("SELECT min(seq) AS s FROM events WHERE key = ?"),
      last: db.prepare("SELECT max(seq) AS s FROM events WHERE key = ?"),
      keepHead: db.prepare("UPDATE rooms SET head = max(head, ?) WHERE key = ?"),
      roomKeys: db.prepare("SELECT key, head FROM rooms"),
      tooOld: db.prepare("SELECT seq, at FROM events WHERE key = ? ORDER BY seq LIMIT ?"),
      deleteUpTo: db.prepare("DELETE FROM events WHERE key = ? AND seq <= ?"),
      // Issue 13: bans are written at once (not with the next commit of events): rare, and an
      // operator's ban must hold even if the process dies right after.
      bans: db.prepare("SELECT body FROM bans"),
      expireBans: db.prepare("DELETE FROM bans WHERE until IS NOT NULL AND until <= ?"),
      saveBan: db.prepare("INSERT OR REPLACE INTO bans(key, until, body) VALUES (?, ?, ?)"),
      deleteBan: db.prepare("DELETE FROM bans WHERE key = ?"),
    };
    this.#commitTx = db.transaction((rows: { key: string; e: RoomEvent }[]) => {
      // Each room's row gets its head at every drain (about once a second, not per message).
      const heads = new Map<string, { room: string; head: number; topic: string | null }>();
      for (const { key, e } of rows) {
        this.#stmt.insert.run(key, e.seq, e.at, JSON.stringify(e));
        const h = heads.get(key) ?? { room: e.room, head: 0, topic: null };
        h.head = e.seq;
        if (e.type === "topic") h.topic = e.topic;
        heads.set(key, h);
      }
      for (const [key, info] of this.#rooms) {
        if (!heads.has(key)) heads.set(key, { room: info.room, head: 0, topic: info.topic ?? null });
      }
      for (const [key, h] of heads) this.#stmt.upsertRoom.run({ key, ...h });
      return heads;
    });
    this.#journalFile = path.join(dir, "papo.journal");
    try {
      this.#journalFd = openSync(this.#journalFile, "a+");
      this.#recover();
    } catch (err) {
      db.close();
      throw new StoreOpenError(`cannot use ${this.#journalFile}: ${errText(err)}`);
    }
  }

  /**
   * Puts into SQLite what the journal holds and SQLite does not (the process stopped between two
   * drains, or between a drain and emptying the journal), then empties the journal. A last line
   * cut short is dropped: its append failed or never finished, so its commit never returned and
   * nobody was sent those events.
   */
  #recover(): void {
    const rows = this.#journalRows();
    if (rows === "another") {
      // The journal was written for another database (papo.db replaced, say, by a backup): its
      // events do not belong in this one. It is set aside, not deleted.
      writeFileSync(`${this.#journalFile}.set-aside-${Date.now()}`, readFileSync(this.#journalFile));
      ftruncateSync(this.#journalFd, 0);
      return;
    }
    if (rows.length > 0) {
      try {
        this.#commitTx(rows);
      } catch {
        // A full disk, say: the events stay pending (and in the journal), and every commit tries
        // to drain them until SQLite takes them. The chat starts; history is paused meanwhile.
        this.#pending = rows;
        this.#journaled = rows.length;
        this.#journalSize = fstatSync(this.#journalFd).size;
        this.#drainFailed = true;
        return;
      }
    }
    try {
      ftruncateSync(this.#journalFd, 0);
      this.#journalSize = 0;
    } catch {
      this.#journalSize = fstatSync(this.#journalFd).size;
    }
  }

  /**
   * The journal's events that SQLite does not have yet, in order (a line cut short is dropped);
   * "another" when its first line names another database's epoch.
   */
  #journalRows(): { key: string; e: RoomEvent }[] | "another" {
    const text = readFileSync(this.#journalFile, "utf8");
    const heads = new Map<string, number>();
    const rows: { key: string; e: RoomEvent }[] = [];
    if (text.length > 0) {
      for (const line of text.split("\n")) {
        if (!line) continue;
        let row: { k?: unknown; e?: { seq?: unknown }; epoch?: unknown } | undefined;
        try {
          row = JSON.parse(line);
        } catch {
          continue;
        }
        if (typeof row?.epoch === "string" && row.epoch !== this.epoch) return "another";
        if (typeof row?.k !== "string" || typeof row.e?.seq !== "number") continue;
        const key = row.k;
        const e = row.e as RoomEvent;
        const head = heads.get(key) ?? this.#storedHead(key);
        if (e.seq <= head) continue;
        heads.set(key, e.seq);
        rows.push({ key, e });
      }
    }
    return rows;
  }

  /** The last seq SQLite has of `key`: its row's head or its last event, whichever is larger. */
  #storedHead(key: string): number {
    const row = this.#stmt.head.get(key) as { head: number } | undefined;
    return Math.max(row?.head ?? 0, this.#lastStored(key));
  }

  /** Heads as appended (committed or pending), so an out-of-order append fails at once. */
  readonly #heads = new Map<string, number>();

  append(key: string, events: readonly RoomEvent[]): void {
    let head = this.#heads.get(key) ?? this.head(key)?.seq ?? 0;
    for (const e of events) {
      if (e.seq <= head) throw new Error(`store: seq ${e.seq} is not after ${head} in ${key}`);
      head = e.seq;
    }
    this.#heads.set(key, head);
    for (const e of events) this.#pending.push({ key, e });
  }

  /** Events appended and not yet in the journal or SQLite (what a crash now would lose). */
  get pending(): number {
    return this.#pending.length - this.#journaled;
  }

  /**
   * Makes what was appended safe from a crash of the process: into the journal, and into SQLite
   * at the next drain. Throws when it cannot (a full disk): the events stay and the next commit
   * tries again; past `maxUnsaved` the oldest are let go, so a long outage does not fill the
   * memory too.
   */
  commit(): void {
    // The transports call this once per flush per connection: after the first, nothing is new.
    // (A drain comes with a commit that appends: a quiet room's last events wait in the journal.)
    if (this.#journaled === this.#pending.length && this.#rooms.size === 0 && !this.#drainFailed) return;
    try {
      if (this.#journaled < this.#pending.length) {
        try {
          this.#appendJournal();
        } catch {
          // The journal cannot grow (a full disk gives its blocks back at every drain), but SQLite
          // may still have room in its own pages: a transaction is as safe. If it fails too, the
          // commit fails.
          this.#drain();
          return;
        }
      }
      // After a failed drain every commit tries again, and fails until SQLite takes the events:
      // the journal alone does not make a full disk a saving one.
      if (
        this.#drainFailed ||
        this.#rooms.size > 0 ||
        this.#pending.length >= this.#drainAt ||
        Date.now() - this.#lastDrain >= this.#drainMs
      )
        this.#drain();
    } catch (err) {
      const over = this.#pending.length - this.#maxUnsaved;
      if (over > 0) {
        // Events already in the journal are only let go from memory: the next drain reads them
        // back from the journal (their commit returned: someone may have seen them). Those that
        // never reached it are lost (a hole in the log, as the limit says).
        const journaled = Math.min(over, this.#journaled);
        if (journaled > 0) this.#journalHoldsMore = true;
        this.#pending.splice(0, over);
        this.#journaled -= journaled;
        this.unsavedDropped += over - journaled;
      }
      throw err;
    }
  }

  /** Appends the events not in the journal yet, in one write; on failure cuts the journal back. */
  #appendJournal(): void {
    if (this.#closed) throw new Error("the store is closed");
    let text = this.#torn ? "\n" : "";
    // An empty journal starts with the epoch of the database it belongs to (`#journalRows`).
    if (this.#journalSize === 0) text += `{"epoch":${JSON.stringify(this.epoch)}}\n`;
    for (let i = this.#journaled; i < this.#pending.length; i++) {
      const { key, e } = this.#pending[i] as { key: string; e: RoomEvent };
      text += `{"k":${JSON.stringify(key)},"e":${JSON.stringify(e)}}\n`;
    }
    const bytes = Buffer.from(text);
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(this.#journalFd, bytes, off);
    } catch (err) {
      // No half line stays behind to be read as the start of the next one.
      try {
        ftruncateSync(this.#journalFd, this.#journalSize);
      } catch {
        this.#torn = true;
      }
      throw err;
    }
    this.#torn = false;
    this.#journalSize += bytes.length;
    this.#journaled = this.#pending.length;
  }

  /** Every pending event (all in the journal) into SQLite in one transaction; empties the journal. */
  #drain(): void {
    if (this.#closed) throw new Error("the store is closed");
    // Events let go from memory while drains failed are read back from the journal.
    const journal = this.#journalHoldsMore ? this.#journalRows() : [];
    const rows = this.#journalHoldsMore
      ? [...(journal === "another" ? [] : journal), ...this.#pending.slice(this.#journaled)]
      : this.#pending;
    try {
      this.#commitTx(rows);
    } catch (err) {
      this.#drainFailed = true;
      throw err;
    }
    this.#drainFailed = false;
    this.#journalHoldsMore = false;
    this.#rooms.clear();
    this.#pending = [];
    this.#journaled = 0;
    this.#lastDrain = Date.now();
    try {
      ftruncateSync(this.#journalFd, 0);
      this.#journalSize = 0;
      this.#torn = false;
    } catch {
      // What stays in the journal is in SQLite too: opening the store again skips it.
      this.#journalSize = fstatSync(this.#journalFd).size;
    }
  }

  /**
   * Reads see every appended event, committed or not: the chat may read a room again before the
   * next commit (a room left empty is dropped from memory and entered again in the same turn of
   * the event loop), and a stale head would give the next event a seq already taken.
   */
  head(key: string): RoomHead | undefined {
    const row = this.#stmt.head.get(key) as { room: string; head: number; topic: string | null } | undefined;
    const pending = this.#pendingOf(key);
    const saved = this.#rooms.get(key);
    const room = row?.room ?? saved?.room ?? pending[0]?.room;
    if (room === undefined) return undefined;
    let topic = saved?.topic ?? row?.topic ?? undefined;
    for (const e of pending) if (e.type === "topic") topic = e.topic;
    const seq = Math.max(row?.head ?? 0, this.#lastStored(key), pending.at(-1)?.seq ?? 0);
    return { room, seq, ...(topic !== undefined && topic !== null ? { topic } : {}) };
  }

  /** The last seq of `key` in the events table (0: none). */
  #lastStored(key: string): number {
    return (this.#stmt.last.get(key) as { s: number | null }).s ?? 0;
  }

  /** Appended events of `key` not committed yet, ascending (all after the committed ones). */
  #pendingOf(key: string): RoomEvent[] {
    const out: RoomEvent[] = [];
    for (const p of this.#pending) if (p.key === key) out.push(p.e);
    return out;
  }

  saveRoom(key: string, info: { room: string; topic?: string }): void {
    this.#rooms.set(key, info);
  }

  recent(key: string, limit: number): RoomEvent[] {
    if (limit <= 0) return [];
    const pending = this.#pendingOf(key);
    if (pending.length >= limit) return pending.slice(-limit);
    return [...parseRows(this.#stmt.recent.all(key, limit - pending.length)).reverse(), ...pending];
  }

  range(key: string, after: number, limit: number): RoomEvent[] {
    if (limit <= 0) return [];
    const stored = parseRows(this.#stmt.range.all(key, after, limit));
    if (stored.length >= limit) return stored;
    const pending = this.#pendingOf(key).filter((e) => e.seq > after);
    return [...stored, ...pending.slice(0, limit - stored.length)];
  }

  before(key: string, before: number, limit: number): RoomEvent[] {
    if (limit <= 0) return [];
    const pending = this.#pendingOf(key).filter((e) => e.seq < before);
    if (pending.length >= limit) return pending.slice(-limit);
    return [...parseRows(this.#stmt.before.all(key, before, limit - pending.length)).reverse(), ...pending];
  }

  first(key: string): number {
    const row = this.#stmt.first.get(key) as { s: number | null };
    if (row.s !== null) return row.s;
    return this.#pendingOf(key)[0]?.seq ?? (this.head(key)?.seq ?? 0) + 1;
  }

  /**
   * Deletes, room by room, what retention no longer keeps, at most `batch` rows per call; each
   * delete is a range on the primary key, so a call stays short however large the database.
   */
  prune(keep: number, olderThan: number, batch: number): number {
    // Retention applies to what the journal holds too: into SQLite first (rounds are a minute apart).
    if (this.#pending.length > 0) this.#drain();
    let removed = 0;
    for (const row of this.#stmt.roomKeys.all() as { key: string; head: number }[]) {
      if (removed >= batch) break;
      const { key } = row;
      const head = Math.max(row.head, this.#lastStored(key));
      const room = batch - removed;
      // Stored seqs are contiguous up to the head (only the oldest are ever removed).
      const upTo = head - keep;
      const oldest = this.#stmt.tooOld.all(key, room) as { seq: number; at: number }[];
      // At most `room` rows: the cut is the last of the oldest `room` rows that must go.
      let cut = 0;
      for (const r of oldest) {
        if (r.seq <= upTo || r.at < olderThan) cut = r.seq;
        else break;
      }
      if (cut === 0) continue;
      // The row keeps the head before its events go: it may be the last place it is written.
      if (head > row.head) this.#stmt.keepHead.run(head, key);
      removed += this.#stmt.deleteUpTo.run(key, cut).changes;
    }
    return removed;
  }

  bans(now: number): Ban[] {
    this.#stmt.expireBans.run(now);
    return (this.#stmt.bans.all() as { body: string }[]).map((r) => JSON.parse(r.body) as Ban);
  }

  saveBan(ban: Ban): void {
    this.#stmt.saveBan.run(ban.key, ban.until ?? null, JSON.stringify(ban));
  }

  deleteBan(key: string): boolean {
    return this.#stmt.deleteBan.run(key).changes > 0;
  }

  close(): void {
    if (this.#closed) return;
    try {
      this.commit();
      if (this.#pending.length > 0 || this.#rooms.size > 0) this.#drain();
    } finally {
      this.#closed = true;
      closeSync(this.#journalFd);
      this.#db.close();
    }
  }
}

function parseRows(rows: unknown[]): RoomEvent[] {
  return (rows as { body: string }[]).map((r) => JSON.parse(r.body) as RoomEvent);
}

function errText(err: unknown): string {
  return String((err as Error)?.message ?? err).split("\n")[0] ?? "";
}
