/**
 * Issue 14: the CPU one commit costs at light load, where a commit is one message and the process
 * does other work between two of them: an SQLite transaction per commit (the store with
 * `drainMs: 0`, as every commit was before the journal) against an append to the journal (the
 * default: SQLite gets the events about once a second). Rounds alternate, so a machine that
 * slows down for a while slows both alike.
 *
 *   node --import tsx bench/commit-cost.ts [--rounds 8] [--commits 200] [--gap-ms 20]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { RoomEvent } from "../src/protocol/events.ts";
import { loadSqlite, SqliteStore } from "../src/store/sqlite.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "8" },
    commits: { type: "string", default: "200" },
    "gap-ms": { type: "string", default: "20" },
  },
});
const rounds = Number(values.rounds);
const commits = Number(values.commits);
const gapMs = Number(values["gap-ms"]);
const sqlite = loadSqlite();
if (!sqlite.ok) throw new Error(`better-sqlite3 does not load: ${sqlite.error}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = "x".repeat(100);

/** µs of CPU (user + system) per commit of one message, over `commits` commits `gapMs` apart. */
async function round(drainMs: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "papo-commit-"));
  const store = new SqliteStore(sqlite.ok ? sqlite.Database : (undefined as never), dir, { drainMs });
  let cpu = 0;
  for (let seq = 1; seq <= commits; seq++) {
    const e: RoomEvent = { type: "message", room: "#lobby", from: "ana", text, at: Date.now(), seq };
    const c0 = process.cpuUsage();
    store.append("#lobby", [e]);
    store.commit();
    const c = process.cpuUsage(c0);
    cpu += c.user + c.system;
    await sleep(gapMs);
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return cpu / commits;
}

await round(0);
await round(1000); // warm both paths
const sqliteEach: number[] = [];
const journal: number[] = [];
for (let i = 0; i < rounds; i++) {
  sqliteEach.push(await round(0));
  journal.push(await round(1000));
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] as number;
const show = (a: number[]) => a.map((x) => x.toFixed(0)).join(" ");
console.log(`µs CPU per commit of one message, ${commits} commits ${gapMs} ms apart, ${rounds} rounds each:`);
console.log(`  an SQLite transaction each: ${show(sqliteEach)}  (median ${median(sqliteEach).toFixed(0)})`);
console.log(`  a journal append each:      ${show(journal)}  (median ${median(journal).toFixed(0)}; drains included)`);
