/**
 * Text mode for clients that send no line ends (issue 10; docs/protocol.md §2), over real sockets:
 * which connections get a fragment followed by quiet taken as a line, and that everyone else keeps
 * the slow-line protections (ROBUSTNESS A3, A4). The seeds' real clients are in seeds-e2e.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalName } from "../src/core/nickname.ts";
import { Peer, sleep, startFaultServer } from "./fault-helpers.ts";

const GAP = 100;

describe("quiet-gap lines (issue 10: the seeds' clients send no newline)", () => {
  it("a first message sent whole with no line end: it and later fragments are lines after the gap", async () => {
    const s = await startFaultServer({ fragmentGapMs: GAP });
    try {
      const rx = await Peer.joinJson(s.port, "gap_rx");
      const tx = new Peer(s.port);
      await tx.waitLine("Choose a name");
      tx.send("Notebook_Mãe");
      await tx.waitLine("Hello, Notebook_Mãe!");
      tx.send("Olá a todos!");
      await rx.waitEvent("message", (e) => e.from === "Notebook_Mãe" && e.text === "Olá a todos!");
      // Line ends still work on such a connection, and a fragment after them is a line too.
      tx.send("um\ndois\ntrês");
      await rx.waitEvent("message", (e) => e.text === "três");
      assert.deepEqual(
        rx.events.flatMap((e) => (e.type === "message" && e.from === "Notebook_Mãe" ? [e.text] : [])),
        ["Olá a todos!", "um", "dois", "três"],
      );
      // A short name that could be the start of an HTTP request ("Pedro" / "POST") is text too.
      const pedro = new Peer(s.port);
      await pedro.waitLine("Choose a name");
      pedro.send("Pedro");
      await pedro.waitLine("Hello, Pedro!");
      for (const p of [rx, tx, pedro]) p.close();
    } finally {
      await s.close();
    }
  });

  it("an nc user (line ends) keeps waiting for the line end, and the line deadline (A4) still applies", async () => {
    const s = await startFaultServer({ fragmentGapMs: GAP, lineTimeoutMs: 600 });
    try {
      const rx = await Peer.joinJson(s.port, "nc_rx");
      const tx = await Peer.joinText(s.port, "nc_tx");
      tx.send("half a line");
      await sleep(GAP * 3);
      tx.send(" and the rest\n");
      await rx.waitEvent("message", (e) => e.text === "half a line and the rest");
      tx.send("never finished");
      await tx.waitLine("*** Disconnected: a line was started but never finished.");
      assert.ok(!rx.events.some((e) => e.type === "message" && e.text === "never finished"));
      rx.close();
    } finally {
      await s.close();
    }
  });

  it("not for typing one byte per packet, not for telnet (IAC), not for a json client, not while a seed-000 header may be coming", async () => {
    const s = await startFaultServer({ fragmentGapMs: GAP, registrationTimeoutMs: 60_000 });
    try {
      const typist = new Peer(s.port);
      await typist.waitLine("Choose a name");
      for (const c of "ana") {
        typist.send(c);
        await sleep(GAP / 4);
      }
      await sleep(GAP * 3);
      assert.ok(!typist.lines.some((l) => l.includes("Hello")), typist.tail());
      typist.send("\n");
      await typist.waitLine("Hello, ana!");

      const telnet = new Peer(s.port);
      telnet.send(Buffer.from([0xff, 0xfb, 0x18]));
      await telnet.waitLine("Choose a name");
      telnet.send("bob");
      await sleep(GAP * 3);
      assert.ok(!telnet.lines.some((l) => l.includes("Hello")), telnet.tail());

      const json = new Peer(s.port);
      json.send('{"type":"hello","protocol":1}');
      await sleep(GAP * 3);
      assert.equal(json.lines.filter((l) => l.startsWith("{")).length, 0, json.tail());
      json.send("\n");
      await json.waitEvent("hello");

      const digits = new Peer(s.port);
      digits.send("12345");
      await sleep(GAP * 3);
      assert.ok(!digits.lines.some((l) => l.includes("Hello")), digits.tail());
      for (const p of [typist, telnet, json, digits]) p.close();
    } finally {
      await s.close();
    }
  });

  it("SERVIDOR_ENCERRADO alone on kick and shutdown for such connections; the usual bye for others", async () => {
    const s = await startFaultServer({ fragmentGapMs: GAP });
    try {
      const seed = new Peer(s.port);
      await seed.waitLine("Choose a name");
      seed.send("s004");
      await seed.waitLine("Hello, s004!");
      const nc = await Peer.joinText(s.port, "plain_nc");
      const seed2 = new Peer(s.port);
      await seed2.waitLine("Choose a name");
      seed2.send("s004b");
      await seed2.waitLine("Hello, s004b!");
      await seed.waitLine("* s004b joined");
      const before = seed.chunks.length;
      assert.ok(s.chat.kick(canonicalName("s004"), "bye"));
      await seed.waitClosed();
      // After what it already had, exactly one read: the word alone.
      assert.deepEqual(
        seed.chunks.slice(before).map((c) => c.toString()),
        ["SERVIDOR_ENCERRADO\n"],
      );
      await nc.waitLine("* s004 was removed by the operator: bye");
      await seed2.waitLine("* s004 was removed by the operator: bye");
      const n2 = seed2.chunks.length;
      const ncFrom = nc.rawLines.length;
      await s.close("manutenção");
      await seed2.waitClosed();
      assert.deepEqual(
        seed2.chunks.slice(n2).map((c) => c.toString()),
        ["SERVIDOR_ENCERRADO\n"],
      );
      await nc.waitClosed();
      assert.deepEqual(nc.lines.slice(ncFrom), ["*** The server is shutting down: manutenção"]);
    } finally {
      await s.close();
    }
  });
});
