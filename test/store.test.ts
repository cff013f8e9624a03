/**
 * The store contract against the memory and SQLite stores, and what only SQLite does: a data
 * directory that cannot be used stops the start with a reason.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { MemoryStore } from "../src/store/memory.ts";
import { loadSqlite, SqliteStore, StoreOpenError } from "../src/store/sqlite.ts";
import { storeContract } from "./store-contract.ts";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), "papo-store-"));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

storeContract("memory", { make: async () => new MemoryStore() });

const sqlite = loadSqlite();
// Under CI better-sqlite3 must be there: its absence fails here instead of skipping.
if (process.env.CI && !sqlite.ok) throw new Error(`better-sqlite3 does not load: ${sqlite.error}`);
if (sqlite.ok) {
  const { Database } = sqlite;
  const where = new WeakMap<object, string>();
  storeContract("sqlite", {
    make: async () => {
      const dir = tmp();
      const s = new SqliteStore(Database, dir);
      where.set(s, dir);
      return s;
    },
    reopen: async (s) => {
      const dir = where.get(s) as string;
      s.close();
      const t = new SqliteStore(Database, dir);
      where.set(t, dir);
      return t;
    },
  });

  describe("sqlite store: unusable data", () => {
    it("a data path that is a file is refused with a reason", () => {
      const file = path.join(tmp(), "not-a-dir");
      writeFileSync(file, "x");
      assert.throws(() => new SqliteStore(Database, file), StoreOpenError);
    });
    it("a file that is not a database is refused with a reason", () => {
      const dir = tmp();
      writeFileSync(path.join(dir, "papo.db"), Buffer.alloc(8192, 0x41));
      assert.throws(() => new SqliteStore(Database, dir), /not a papo database|damaged/);
    });
    it("a database another papo holds is refused (locked)", () => {
      const dir = tmp();
      const first = new SqliteStore(Database, dir);
      try {
        assert.throws(() => new SqliteStore(Database, dir), /locked/);
      } finally {
        first.close();
      }
    });
  });

  // Issue 14: a commit is an append to papo.journal; SQLite gets the events about once a second.
  describe("sqlite store: the journal", () => {
    /** The event lines in a data directory's journal (the first line names the epoch). */
    const eventLines = (dir: string) =>
      readFileSync(path.join(dir, "papo.journal"), "utf8")
        .split("\n")
        .filter((l) => l.startsWith('{"k":')).length;
    const msgs = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        type: "message" as const,
        room: "#j",
        from: "ana",
        text: `m${from + i}`,
        at: 1000 + from + i,
        seq: from + i,
      }));

    it("what a killed process committed is in the journal only, and in SQLite after the next open", () => {
      const dir = tmp();
      // A child commits 20 events (into the journal: no drain for an hour) and is killed (SIGKILL).
      const child = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          `import { createRequire } from "node:module";
           const { SqliteStore } = await import(${JSON.stringify(new URL("../src/store/sqlite.ts", import.meta.url).href)});
           const Database = createRequire(import.meta.url)("better-sqlite3");
           const s = new SqliteStore(Database, ${JSON.stringify(dir)}, { drainMs: 3_600_000 });
           s.append("#j", ${JSON.stringify(msgs(1, 10))});
           s.commit();
           s.append("#j", ${JSON.stringify(msgs(11, 10))});
           s.commit();
           process.kill(process.pid, "SIGKILL");`,
        ],
        { cwd: path.join(import.meta.dirname, ".."), encoding: "utf8" },
      );
      assert.equal(child.signal, "SIGKILL", child.stderr);
      assert.equal(eventLines(dir), 20);
      const s = new SqliteStore(Database, dir);
      try {
        assert.equal(s.head("#j")?.seq, 20);
        assert.deepEqual(
          s.range("#j", 0, 100).map((e) => (e.type === "message" ? e.text : "")),
          msgs(1, 20).map((m) => m.text),
        );
        assert.equal(readFileSync(path.join(dir, "papo.journal"), "utf8"), "", "emptied once in SQLite");
      } finally {
        s.close();
      }
    });

    it("a last line cut short is dropped; lines SQLite already has are not put in twice", () => {
      const dir = tmp();
      const s = new SqliteStore(Database, dir, { drainMs: 0 });
      s.append("#j", msgs(1, 5));
      s.commit(); // drained at once: 1..5 in SQLite, the journal empty
      s.close();
      // As if the process died after a drain and before emptying the journal, then appended 6..7,
      // then died in the middle of appending 8.
      const line = (m: ReturnType<typeof msgs>[number]) => `${JSON.stringify({ k: "#j", e: m })}\n`;
      writeFileSync(
        path.join(dir, "papo.journal"),
        `${msgs(1, 7).map(line).join("")}${line(msgs(8, 1)[0] as ReturnType<typeof msgs>[number]).slice(0, 25)}`,
      );
      const t = new SqliteStore(Database, dir);
      try {
        assert.equal(t.head("#j")?.seq, 7);
        assert.deepEqual(
          t.range("#j", 0, 100).map((e) => e.seq),
          [1, 2, 3, 4, 5, 6, 7],
        );
        // The next event continues after 7.
        t.append("#j", msgs(8, 1));
        t.commit();
      } finally {
        t.close();
      }
      const u = new SqliteStore(Database, dir);
      assert.equal(u.head("#j")?.seq, 8);
      u.close();
    });

    it("events wait in the journal between drains and are read from there", () => {
      const dir = tmp();
      const s = new SqliteStore(Database, dir, { drainMs: 3_600_000 });
      try {
        s.append("#j", msgs(1, 3));
        s.commit();
        assert.equal(s.pending, 0, "nothing unsaved");
        assert.equal(eventLines(dir), 3);
        assert.deepEqual(
          s.recent("#j", 10).map((e) => e.seq),
          [1, 2, 3],
        );
      } finally {
        s.close();
      }
      assert.equal(readFileSync(path.join(dir, "papo.journal"), "utf8"), "", "close drains");
    });

    it("a journal written for another database (another epoch) is set aside, not put into this one", () => {
      const dir = tmp();
      new SqliteStore(Database, dir).close();
      const line = (m: ReturnType<typeof msgs>[number]) => `${JSON.stringify({ k: "#j", e: m })}\n`;
      const foreign = `{"epoch":"another"}\n${msgs(1, 3).map(line).join("")}`;
      writeFileSync(path.join(dir, "papo.journal"), foreign);
      const s = new SqliteStore(Database, dir);
      try {
        assert.equal(s.head("#j"), undefined, "none of its events came in");
        const aside = readdirSync(dir).filter((f) => f.startsWith("papo.journal.set-aside-"));
        assert.equal(aside.length, 1);
        assert.equal(readFileSync(path.join(dir, aside[0] as string), "utf8"), foreign, "kept whole");
        // This database's own journal starts with its epoch.
        s.append("#k", msgs(1, 1).map((m) => ({ ...m, room: "#k" })));
        s.commit();
        const first = readFileSync(path.join(dir, "papo.journal"), "utf8").split("\n")[0] as string;
        assert.deepEqual(JSON.parse(first), { epoch: s.epoch });
      } finally {
        s.close();
      }
    });

    it("each drain writes the room's head into its row (an older papo reading the file trusts it)", () => {
      const dir = tmp();
      const s = new SqliteStore(Database, dir, { drainMs: 0 });
      for (let seq = 1; seq <= 12; seq++) {
        s.append("#j", msgs(seq, 1));
        s.commit();
      }
      s.close();
      const db = new Database(path.join(dir, "papo.db"), { readonly: true });
      try {
        assert.deepEqual(db.prepare("SELECT head FROM rooms WHERE key = ?").get("#j"), { head: 12 });
      } finally {
        db.close();
      }
    });

    it("after close: a second close does nothing, a commit with something to save throws", () => {
      const s = new SqliteStore(Database, tmp(), { drainMs: 3_600_000 });
      s.append("#j", msgs(1, 1));
      s.commit();
      s.close();
      s.close();
      // A room it knows is appended to without reading the database; the journal is closed.
      s.append("#j", msgs(2, 1));
      assert.throws(() => s.commit(), /closed/);
    });
  });
}
