/**
 * Flood control delays instead of dropping (issue 10 item 2), over real sockets: a paste arrives
 * complete and in order at the throttled rate, the sender alone is told, TCP pushes back on it,
 * and only a backlog past a cap is disconnected. Rates are scaled up (short intervals) so the
 * tests are quick; the defaults are proven by the unit tests of the same queue (flood.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServerEvent } from "../src/protocol/events.ts";
import { assertCanaryChats, Peer, sleep, startFaultServer } from "./fault-helpers.ts";
import { startWebTestServer, WsClient } from "./web-helpers.ts";

type Msg = Extract<ServerEvent, { type: "message" }>;
const texts = (p: Peer, from: string) =>
  p.events.filter((e): e is Msg => e.type === "message" && e.from === from).map((e) => e.text);

describe("flood control delays instead of dropping (issue 10 item 2)", () => {
  it("24 lines at twice the steady rate from a raw socket all arrive, in order", async () => {
    // The issue's case (nc at 4 lines/s against 2/s), twice as fast: 8 lines/s against 4/s.
    const s = await startFaultServer({ floodBurst: 8, floodIntervalMs: 250 });
    try {
      const rx = await Peer.joinJson(s.port, "rx24");
      const tx = await Peer.joinText(s.port, "nc24");
      await sleep(300); // the name's token is back
      for (let i = 0; i < 24; i++) {
        tx.line(`line ${i}`);
        await sleep(125);
      }
      await rx.waitEvent("message", (e) => e.text === "line 23", { ms: 15_000 });
      assert.deepEqual(
        texts(rx, "nc24"),
        Array.from({ length: 24 }, (_, i) => `line ${i}`),
      );
      // Nothing says a line was lost. (On a loaded machine the writes may come slower than the
      // rate, so whether the sender was throttled at all is not asserted here: the 200-line paste
      // below is throttled whatever the timing.)
      assert.ok(!tx.lines.some((l) => l.includes("was not sent")), tx.tail());
      if (tx.lines.some((l) => l.startsWith("* Sending slowly: ")))
        await tx.waitLine("* All your lines have been sent.");
      assert.ok(!rx.lines.some((l) => l.includes("Sending slowly")));
      rx.close();
      tx.close();
    } finally {
      await s.close();
    }
  });

  it("a 200-line paste in one write arrives complete and in order; others hear the sender at the rate", async () => {
    const s = await startFaultServer({ floodBurst: 8, floodIntervalMs: 20 });
    try {
      const rx = await Peer.joinJson(s.port, "rx200");
      const tx = await Peer.joinText(s.port, "paste200");
      const jx = await Peer.joinJson(s.port, "json200");
      await sleep(300);
      const paste = Array.from({ length: 200 }, (_, i) => `paste ${i} ção 👋`);
      tx.send(`${paste.join("\n")}\n`);
      // A json sender pastes at the same time: its own lines are paced the same way.
      jx.send(
        Array.from({ length: 50 }, (_, i) => `${JSON.stringify({ type: "line", text: `j${i}` })}\n`).join(""),
      );
      const throttled = await jx.waitEvent("throttled", (e) => e.queued > 0);
      assert.ok(throttled.queued >= 40 && throttled.delayMs > 0, JSON.stringify(throttled));
      // While its lines wait, others chat normally.
      await assertCanaryChats(s.port, rx);
      await rx.waitEvent("message", (e) => e.text === paste[199], { ms: 15_000 });
      await rx.waitEvent("message", (e) => e.text === "j49", { ms: 15_000 });
      assert.deepEqual(texts(rx, "paste200"), paste);
      assert.deepEqual(
        texts(rx, "json200"),
        Array.from({ length: 50 }, (_, i) => `j${i}`),
      );
      await jx.waitEvent("throttled", (e) => e.queued === 0);
      // The text-mode sender was told too, from the catalogue, and when it was all out.
      await tx.waitLine("* All your lines have been sent.");
      assert.ok(
        tx.lines.some((l) => /^\* Sending slowly: \d+ of your lines wait their turn/.test(l)),
        tx.tail(),
      );
      // The sender and the room stay as they were: nobody was disconnected.
      assert.equal(tx.closed, false);
      tx.line("after the paste");
      await rx.waitEvent("message", (e) => e.text === "after the paste");
      for (const p of [rx, tx, jx]) p.close();
    } finally {
      await s.close();
    }
  });

  it("while lines wait the connection is not read: TCP pushes back on the sender", async () => {
    // One line every 10 minutes and no caps: everything after the burst waits. The burst covers a
    // json join (hello, name) and the canary's message (hello, name, one line).
    const s = await startFaultServer({
      floodBurst: 4,
      floodIntervalMs: 600_000,
      floodMaxLagMs: 0,
      floodMaxBacklogBytes: 0,
    });
    try {
      const tx = await Peer.joinJson(s.port, "pushback");
      const line = `${JSON.stringify({ type: "line", text: "x".repeat(100) })}\n`;
      const block = line.repeat(Math.floor((1024 * 1024) / line.length));
      // 32 MiB: far more than the kernel buffers of both ends hold.
      for (let i = 0; i < 32; i++) tx.send(block);
      await tx.waitEvent("throttled", (e) => e.queued > 0);
      await sleep(500);
      // Had the server kept reading, all of it would have left the client by now.
      assert.ok(tx.socket.writableLength > 8 * 1024 * 1024, `${tx.socket.writableLength} bytes still unsent`);
      // A json ping waits unread behind the backlog like everything else; the server does not
      // mistake that silence for a dead peer.
      assert.equal(tx.closed, false);
      tx.close();
      await assertCanaryChats(s.port);
    } finally {
      await s.close();
    }
  });

  it("a flooder past the cap is told and disconnected; the others are not", async () => {
    // The default limits: 20 000 lines in one go would wait far past floodMaxLagMs (10 min).
    const s = await startFaultServer({});
    try {
      const rx = await Peer.joinJson(s.port, "rxflood");
      const tx = await Peer.joinText(s.port, "flooder");
      const from = tx.rawLines.length;
      tx.send(Array.from({ length: 20_000 }, (_, i) => `f${i}\n`).join(""));
      await tx.waitClosed();
      assert.ok(
        tx.lines
          .slice(from)
          .includes("*** Disconnected: you sent far more than the server can hold for you (flood)."),
        tx.tail(),
      );
      await rx.waitEvent("left", (e) => e.name === "flooder");
      // The burst went out before the cap was passed; nothing else did.
      assert.ok(texts(rx, "flooder").length <= 8);
      assert.ok(s.logs.some((l) => l.event === "flood" && l.level === "warn"));
      await assertCanaryChats(s.port, rx);
      rx.close();
    } finally {
      await s.close();
    }
  });

  it("a json flooder past the byte cap gets bye flood", async () => {
    const s = await startFaultServer({ floodMaxBacklogBytes: 4096 });
    try {
      const tx = await Peer.joinJson(s.port, "bytes_flooder");
      tx.send(
        Array.from(
          { length: 200 },
          (_, i) => `${JSON.stringify({ type: "line", text: `${i} ${"y".repeat(60)}` })}\n`,
        ).join(""),
      );
      assert.equal((await tx.bye()).reason, "flood");
    } finally {
      await s.close();
    }
  });

  it("WebSocket: 200 quick messages all arrive in order, the sender is told, ws stops reading", async () => {
    const s = await startWebTestServer({ limits: { floodBurst: 8, floodIntervalMs: 10 } });
    try {
      const rx = await Peer.joinJson(s.port, "wsrx");
      const ws = await WsClient.join(s, "browser200");
      for (let i = 0; i < 200; i++) ws.say(`w${i}`);
      // A ping sent during the backlog is answered in its turn, after the lines before it.
      ws.request({ type: "ping", id: 7 });
      await ws.waitEvent("throttled", (e) => e.queued > 0);
      await rx.waitEvent("message", (e) => e.text === "w199", { ms: 15_000 });
      assert.deepEqual(
        texts(rx, "browser200"),
        Array.from({ length: 200 }, (_, i) => `w${i}`),
      );
      await ws.waitEvent("pong", (e) => e.id === 7, { ms: 5000 });
      await ws.waitEvent("throttled", (e) => e.queued === 0);
      assert.equal(ws.closed, undefined);
      ws.close();
      rx.close();
    } finally {
      await s.close();
    }
  });
});
