/**
 * The room store contract (core/ports.ts), as one suite every implementation runs
 * (aedes-persistence style): memory and SQLite here, Redis in cluster mode. The contract is this
 * suite, not the prose.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RoomStore } from "../src/core/ports.ts";
import type { RoomEvent } from "../src/protocol/events.ts";

export interface StoreFixture {
  /** A fresh, empty store. */
  make(): Promise<RoomStore>;
  /** The same data opened again (a restart); undefined when the store keeps nothing. */
  reopen?(store: RoomStore): Promise<RoomStore>;
}

export function msg(room: string, seq: number, text = `m${seq}`, at = 1_000_000 + seq): RoomEvent {
  return { type: "message", room, seq, from: "ana", text, at };
}

/** Appends `n` messages after the room's head and commits. */
async function fill(
  store: RoomStore,
  key: string,
  room: string,
  from: number,
  n: number,
  at?: (seq: number) => number,
) {
  const events = Array.from({ length: n }, (_, i) => msg(room, from + i, undefined, at?.(from + i)));
  store.append(key, events);
  await store.commit();
  return events;
}

export function storeContract(name: string, fx: StoreFixture): void {
  describe(`room store contract: ${name}`, () => {
    it("a new store is empty and has an epoch and a secret", async () => {
      const s = await fx.make();
      assert.equal(await s.head("#geral"), undefined);
      assert.deepEqual(await s.recent("#geral", 10), []);
      assert.deepEqual(await s.range("#geral", 0, 10), []);
      assert.equal(await s.first("#geral"), 1);
      assert.ok(s.epoch.length >= 6);
      assert.ok(s.secret.length >= 16);
      s.close();
    });

    it("appends keep order; recent, range and before read ascending windows", async () => {
      const s = await fx.make();
      await fill(s, "#geral", "#Geral", 1, 20);
      assert.deepEqual((await s.head("#geral"))?.seq, 20);
      assert.deepEqual((await s.head("#geral"))?.room, "#Geral");
      assert.deepEqual(
        (await s.recent("#geral", 3)).map((e) => e.seq),
        [18, 19, 20],
      );
      assert.deepEqual(
        (await s.range("#geral", 5, 3)).map((e) => e.seq),
        [6, 7, 8],
      );
      assert.deepEqual(
        (await s.range("#geral", 18, 10)).map((e) => e.seq),
        [19, 20],
      );
      assert.deepEqual(
        (await s.range("#geral", 20, 10)).map((e) => e.seq),
        [],
      );
      assert.deepEqual(
        (await s.before("#geral", 10, 3)).map((e) => e.seq),
        [7, 8, 9],
      );
      assert.deepEqual(
        (await s.before("#geral", 3, 10)).map((e) => e.seq),
        [1, 2],
      );
      assert.deepEqual((await s.recent("#geral", 1))[0], msg("#Geral", 20));
      s.close();
    });

    it("reads see what was appended before it is committed (issue 14: a room entered again in the same turn)", async () => {
      const s = await fx.make();
      await fill(s, "#r", "#R", 1, 3);
      s.append("#r", [msg("#R", 4), msg("#R", 5)]);
      assert.equal((await s.head("#r"))?.seq, 5);
      assert.deepEqual(
        (await s.recent("#r", 3)).map((e) => e.seq),
        [3, 4, 5],
      );
      assert.deepEqual(
        (await s.recent("#r", 10)).map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      assert.deepEqual(
        (await s.range("#r", 2, 2)).map((e) => e.seq),
        [3, 4],
      );
      assert.deepEqual(
        (await s.range("#r", 3, 10)).map((e) => e.seq),
        [4, 5],
      );
      assert.deepEqual(
        (await s.before("#r", 6, 3)).map((e) => e.seq),
        [3, 4, 5],
      );
      assert.deepEqual(
        (await s.before("#r", 5, 10)).map((e) => e.seq),
        [1, 2, 3, 4],
      );
      assert.equal(await s.first("#r"), 1);
      // A room that has never been committed at all.
      s.append("#novo", [
        msg("#Novo", 1),
        { type: "topic", room: "#Novo", seq: 2, by: "ana", topic: "t", at: 2 },
      ]);
      assert.deepEqual(await s.head("#novo"), { room: "#Novo", seq: 2, topic: "t" });
      assert.equal(await s.first("#novo"), 1);
      assert.deepEqual(
        (await s.recent("#novo", 5)).map((e) => e.seq),
        [1, 2],
      );
      await s.commit();
      assert.deepEqual(
        (await s.range("#r", 0, 10)).map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      assert.deepEqual(await s.head("#novo"), { room: "#Novo", seq: 2, topic: "t" });
      s.close();
    });

    it("rooms are separate logs", async () => {
      const s = await fx.make();
      await fill(s, "#a", "#a", 1, 3);
      await fill(s, "#b", "#b", 1, 5);
      assert.deepEqual(
        (await s.recent("#a", 10)).map((e) => e.seq),
        [1, 2, 3],
      );
      assert.deepEqual(
        (await s.recent("#b", 10)).map((e) => e.room),
        ["#b", "#b", "#b", "#b", "#b"],
      );
      s.close();
    });

    it("every kind of room event round-trips unchanged", async () => {
      const s = await fx.make();
      const events: RoomEvent[] = [
        { type: "joined", room: "#r", seq: 1, name: "ana", address: "127.0.0.1:5", at: 1 },
        { type: "message", room: "#r", seq: 2, from: "ana", text: "olá 👋 ção", cid: "c1", at: 2 },
        { type: "action", room: "#r", seq: 3, from: "ana", text: "acena", at: 3 },
        { type: "renamed", room: "#r", seq: 4, from: "ana", to: "Ana", at: 4 },
        { type: "topic", room: "#r", seq: 5, by: "Ana", topic: "trabalho", at: 5 },
        { type: "left", room: "#r", seq: 6, name: "Ana", reason: "quit", text: "tchau", at: 6 },
        { type: "joined", room: "#r", seq: 7, name: "bob", address: null, at: 7 },
      ];
      s.append("#r", events);
      await s.commit();
      assert.deepEqual(await s.range("#r", 0, 100), events);
      assert.equal((await s.head("#r"))?.topic, "trabalho");
      s.close();
    });

    it("an append before the head is refused or never reorders the log", async () => {
      const s = await fx.make();
      await fill(s, "#r", "#r", 1, 3);
      let threw = false;
      try {
        s.append("#r", [msg("#r", 2, "again")]);
        await s.commit();
      } catch {
        threw = true;
      }
      const all = await s.range("#r", 0, 10);
      assert.deepEqual(
        all.map((e) => e.seq),
        [1, 2, 3],
      );
      assert.equal(all[1]?.type === "message" && all[1].text === "again" && !threw, false);
      s.close();
    });

    it("pruning removes the oldest beyond the count and the age, in bounded batches; head stays", async () => {
      const s = await fx.make();
      await fill(s, "#r", "#r", 1, 100, (seq) => seq);
      // Keep 40: 60 must go, at most 25 per call.
      let removed = 0;
      for (let i = 0; i < 10; i++) {
        const n = await s.prune(40, 0, 25);
        assert.ok(n <= 25, `batch of ${n}`);
        removed += n;
        if (n === 0) break;
      }
      assert.equal(removed, 60);
      assert.equal(await s.first("#r"), 61);
      assert.equal((await s.head("#r"))?.seq, 100);
      // Age: everything stamped before 81 goes.
      while ((await s.prune(1000, 81, 7)) > 0);
      assert.equal(await s.first("#r"), 81);
      assert.deepEqual((await s.before("#r", 1000, 1000)).length, 20);
      // All pruned: the head does not go back, and the next seq continues after it.
      while ((await s.prune(0, 0, 50)) > 0);
      assert.equal(await s.first("#r"), 101);
      assert.equal((await s.head("#r"))?.seq, 100);
      s.close();
    });

    it("saveRoom remembers a room's name and topic without events", async () => {
      const s = await fx.make();
      s.saveRoom("#vazia", { room: "#Vazia", topic: "nada ainda" });
      await s.commit();
      const head = await s.head("#vazia");
      assert.equal(head?.room, "#Vazia");
      assert.equal(head?.seq, 0);
      assert.equal(head?.topic, "nada ainda");
      s.close();
    });

    // Issue 13: bans are kept with the data.
    it("bans: saved, replaced by key, listed while in force, deleted", async () => {
      const s = await fx.make();
      assert.ok(s.bans && s.saveBan && s.deleteBan, "the store keeps bans");
      const now = 5_000_000;
      assert.deepEqual(await s.bans(now), []);
      await s.saveBan({ key: "addr:10.0.0.0/8", shown: "10.0.0.0/8", at: now, reason: "spam" });
      await s.saveBan({ key: "name:ana", shown: "Ana", at: now, until: now + 1000 });
      await s.saveBan({ key: "addr:10.0.0.0/8", shown: "10.0.0.0/8", at: now + 1, reason: "again" });
      const byKey = (list: { key: string }[]) => [...list].sort((a, b) => a.key.localeCompare(b.key));
      assert.deepEqual(byKey(await s.bans(now)), [
        { key: "addr:10.0.0.0/8", shown: "10.0.0.0/8", at: now + 1, reason: "again" },
        { key: "name:ana", shown: "Ana", at: now, until: now + 1000 },
      ]);
      assert.equal(await s.deleteBan("addr:10.0.0.0/8"), true);
      assert.equal(await s.deleteBan("addr:10.0.0.0/8"), false);
      assert.deepEqual(await s.bans(now), [{ key: "name:ana", shown: "Ana", at: now, until: now + 1000 }]);
      s.close();
    });

    it("bans: an expired ban is not listed (and may be forgotten)", async () => {
      const s = await fx.make();
      const now = 5_000_000;
      await s.saveBan?.({ key: "name:bob", shown: "bob", at: now, until: now + 10 });
      await s.saveBan?.({ key: "name:eva", shown: "eva", at: now });
      assert.deepEqual(
        (await s.bans?.(now + 10))?.map((b) => b.key),
        ["name:eva"],
      );
      assert.deepEqual(
        (await s.bans?.(now))?.map((b) => b.key),
        ["name:eva"],
      );
      s.close();
    });

    if (fx.reopen) {
      const reopen = fx.reopen;
      it("bans survive a reopen", async () => {
        const s = await fx.make();
        await s.saveBan?.({ key: "addr:2001:db8::/32", shown: "2001:db8::/32", at: 1, reason: "r" });
        const t = await reopen(s);
        assert.deepEqual(await t.bans?.(2), [
          { key: "addr:2001:db8::/32", shown: "2001:db8::/32", at: 1, reason: "r" },
        ]);
        t.close();
      });

      it("committed events, heads, topics, the epoch and the secret survive a reopen", async () => {
        const s = await fx.make();
        await fill(s, "#r", "#r", 1, 10);
        s.append("#r", [{ type: "topic", room: "#r", seq: 11, by: "ana", topic: "t", at: 11 }]);
        await s.commit();
        const { epoch, secret } = s;
        const t = await reopen(s);
        assert.equal(t.epoch, epoch);
        assert.equal(t.secret, secret);
        assert.equal((await t.head("#r"))?.seq, 11);
        assert.equal((await t.head("#r"))?.topic, "t");
        assert.deepEqual(
          (await t.range("#r", 0, 100)).map((e) => e.seq),
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        );
        t.close();
      });

      it("a head reached in many small commits survives pruning everything and a reopen", async () => {
        // One commit per message, as at light load: the head must not depend on a write per commit.
        const s = await fx.make();
        for (let seq = 1; seq <= 30; seq++) await fill(s, "#p", "#p", seq, 1, (q) => q);
        assert.equal((await s.head("#p"))?.seq, 30);
        while ((await s.prune(0, 0, 7)) > 0);
        assert.equal((await s.head("#p"))?.seq, 30);
        const t = await reopen(s);
        assert.equal((await t.head("#p"))?.seq, 30);
        assert.equal(await t.first("#p"), 31);
        await fill(t, "#p", "#p", 31, 1);
        const u = await reopen(t);
        assert.equal((await u.head("#p"))?.seq, 31);
        u.close();
      });
    }
  });
}
