/**
 * The store contract against the memory and SQLite stores, and what only SQLite does: a data
 * directory that cannot be used stops the start with a reason.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
}
