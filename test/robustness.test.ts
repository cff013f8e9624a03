/**
 * The fault suite: one named test per row of ROBUSTNESS.md (A1-F30; the WebSocket rows G31-G33
 * are the browser transport's), over real sockets on port 0. Each checks the offender's error
 * code (json mode) or exact catalogue text (text mode), that nobody else got anything they should
 * not, and that a canary client can still join and chat ("server up"). Heap checks run the server
 * in a child process (fault-server-child.ts) so only the server is measured.
 *
 * Time limits are made small so the suite stays fast; bounds on time are generous on purpose.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import { canonicalName } from "../src/core/nickname.ts";
import { en } from "../src/i18n/en.ts";
import { runConsoleLine } from "../src/server/console.ts";
import { createLogger } from "../src/server/log.ts";
import type { TcpConnection } from "../src/transports/tcp.ts";
import {
  assertCanaryChats,
  type ChildServer,
  type FaultServer,
  footprint,
  MiB,
  Peer,
  sleep,
  startChildServer,
  startFaultServer,
} from "./fault-helpers.ts";

const t = en.chat;

/** Code points no peer may ever receive (ROBUSTNESS B11, B12; the property tests use it too). */
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

function messagesFrom(p: Peer, from: string): string[] {
  return p.events.flatMap((e) => (e.type === "message" && e.from === from ? [e.text] : []));
}

function errorsOf(p: Peer, code: string): number {
  return p.events.filter((e) => e.type === "error" && e.code === code).length;
}

describe("A. framing and encoding", () => {
  let s: FaultServer;
  before(async () => {
    s = await startFaultServer({ registrationTimeoutMs: 1000, lineTimeoutMs: 400, floodBurst: 100 });
  });
  after(() => s.close());

  it("A1: terminated line over the limit -> error to sender, line dropped, connection kept", async () => {
    const rx = await Peer.joinJson(s.port, "a1_rx");
    const tx = await Peer.joinJson(s.port, "a1_tx");
    const nc = await Peer.joinText(s.port, "a1_nc");
    let from = tx.rawLines.length;
    tx.say("x".repeat(3000));
    const err = await tx.waitEvent("error", (e) => e.code === "line_too_long", { from });
    assert.deepEqual(err.params, { limit: 2048 });
    from = nc.rawLines.length;
    nc.line("y".repeat(3000));
    assert.equal(await nc.waitLine(/^!/, { from }), t.lineTooLong({ limit: 2048 }));
    // Both connections are kept and still chat; nothing of the long lines was relayed.
    tx.say("after a1");
    nc.line("nc after a1");
    await rx.waitEvent("message", (e) => e.text === "after a1");
    await rx.waitEvent("message", (e) => e.text === "nc after a1");
    assert.deepEqual(messagesFrom(rx, "a1_tx"), ["after a1"]);
    assert.deepEqual(messagesFrom(rx, "a1_nc"), ["nc after a1"]);
    await assertCanaryChats(s.port, rx);
    for (const p of [rx, tx, nc]) p.close();
  });

  it("A3: trickle (or silence) before registering -> closed at an absolute deadline", async () => {
    // No line deadline here: the registration deadline alone must end the trickle.
    const s = await startFaultServer({ registrationTimeoutMs: 1000, lineTimeoutMs: 0 });
    const started = Date.now();
    const silent = await Peer.json(s.port);
    const trickler = new Peer(s.port);
    await trickler.waitLine("Choose a name");
    // One byte every 40 ms, never a line end: the deadline must not move.
    const timer = setInterval(() => {
      if (!trickler.closed) trickler.send("a");
    }, 40);
    try {
      assert.equal((await silent.bye()).reason, "registration_timeout");
      await trickler.waitClosed();
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 950, `closed after ${elapsed} ms, before the deadline`);
      assert.ok(elapsed < 4000, `closed after ${elapsed} ms: the trickle extended the deadline`);
      assert.equal(trickler.lines.at(-1), t.bye.registration_timeout({}));
    } finally {
      clearInterval(timer);
    }
    await assertCanaryChats(s.port);
    await s.close();
  });

  it("A4: a registered client trickling half a line -> closed; the fragment is never relayed", async () => {
    const rx = await Peer.joinJson(s.port, "a4_rx");
    const tx = await Peer.joinJson(s.port, "a4_tx");
    const fragment = Buffer.from(`${JSON.stringify({ type: "line", text: "secret fragment that goes on" })}`);
    let i = 0;
    const timer = setInterval(() => {
      // 30 ms a byte: the whole line would take > 1 s, the line deadline is 400 ms.
      if (!tx.closed && i < fragment.length - 1) tx.send(fragment.subarray(i, ++i));
    }, 30);
    try {
      assert.equal((await tx.bye()).reason, "idle_line_timeout");
      assert.ok(i < fragment.length - 1, "the line was finished before the deadline");
    } finally {
      clearInterval(timer);
    }
    await rx.waitEvent("left", (e) => e.name === "a4_tx");
    assert.equal(rx.lines.filter((l) => l.includes("secret")).length, 0);
    await assertCanaryChats(s.port, rx);
    rx.close();
  });

  it("A5: invalid UTF-8 (0xff, overlong, surrogates, truncated) -> line rejected, nothing relayed, kept", async () => {
    const rx = await Peer.joinJson(s.port, "a5_rx");
    const tx = await Peer.joinJson(s.port, "a5_tx");
    const nc = await Peer.joinText(s.port, "a5_nc");
    const bad = [
      [0xff],
      [0xc0, 0xaf], // overlong "/"
      [0xe0, 0x80, 0xaf], // overlong, 3 bytes
      [0xed, 0xa0, 0x80], // UTF-16 surrogate D800
      [0xe2, 0x82], // truncated "€"
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0x80], // a lone continuation byte
    ];
    const from = tx.rawLines.length;
    for (const b of bad) {
      tx.send(
        Buffer.concat([Buffer.from('{"type":"line","text":"bad '), Buffer.from(b), Buffer.from('"}\n')]),
      );
      nc.send(Buffer.concat([Buffer.from("bad "), Buffer.from(b), Buffer.from("\n")]));
    }
    tx.say("good a5");
    nc.line("nc good a5");
    await rx.waitEvent("message", (e) => e.text === "good a5");
    await rx.waitEvent("message", (e) => e.text === "nc good a5");
    assert.equal(errorsOf(tx, "invalid_utf8"), bad.length);
    assert.equal(nc.lines.filter((l) => l === t.invalidUtf8).length, bad.length);
    assert.ok(tx.rawLines.length > from);
    assert.deepEqual(messagesFrom(rx, "a5_tx"), ["good a5"]);
    assert.deepEqual(messagesFrom(rx, "a5_nc"), ["nc good a5"]);
    await assertCanaryChats(s.port, rx);
    for (const p of [rx, tx, nc]) p.close();
  });

  it("A6: a multi-byte character arriving one byte per read -> delivered intact", async () => {
    const rx = await Peer.joinJson(s.port, "a6_rx");
    const tx = await Peer.joinText(s.port, "a6_tx");
    const text = "ã € 👋 中文 ação";
    for (const b of Buffer.from(`${text}\n`)) {
      tx.send(Buffer.from([b]));
      await sleep(3); // each byte in its own read
    }
    assert.equal((await rx.waitEvent("message", (e) => e.from === "a6_tx")).text, text);
    rx.close();
    tx.close();
  });

  it("A7: a line cut at a byte limit never leaves a broken character", async () => {
    const rx = await Peer.joinText(s.port, "a7_rx");
    const tx = await Peer.joinText(s.port, "a7_tx");
    // 2046 + 2 bytes: exactly at the 2048-byte limit, delivered whole.
    const fits = `${"a".repeat(2046)}ã`;
    // 2047 + 2 bytes: over it by one byte, inside the character: dropped whole, never cut.
    const over = `${"b".repeat(2047)}ã`;
    // A 4-byte character straddling the limit.
    const straddle = `${"c".repeat(2046)}👋`;
    const from = tx.rawLines.length;
    tx.line(over);
    tx.line(straddle);
    tx.line(fits);
    assert.equal(await rx.waitLine("a7_tx:"), `a7_tx: ${fits}`);
    assert.equal(tx.lines.slice(from).filter((l) => l === t.lineTooLong({ limit: 2048 })).length, 2);
    // Every line rx got is valid UTF-8, and none is a piece of the long lines.
    const strict = new TextDecoder("utf-8", { fatal: true });
    for (const l of rx.rawLines) strict.decode(l);
    assert.equal(rx.lines.filter((l) => l.includes("bbb") || l.includes("ccc")).length, 0);
    rx.close();
    tx.close();
  });

  it("A8: CRLF, LF, bare CR, empty lines -> consistent framing; empty lines ignored", async () => {
    const rx = await Peer.joinJson(s.port, "a8_rx");
    const tx = await Peer.joinText(s.port, "a8_tx");
    const from = tx.rawLines.length;
    tx.send("one\r\ntwo\nthree\rfour\n\n\r\n\r\r   \nfive\r");
    tx.send("\nsix\n");
    await rx.waitEvent("message", (e) => e.text === "six");
    assert.deepEqual(messagesFrom(rx, "a8_tx"), ["one", "two", "three", "four", "five", "six"]);
    assert.deepEqual(tx.lines.slice(from), [], "empty lines got an answer");
    rx.close();
    tx.close();
  });

  it("A9: NUL inside a line -> rejected, never a crash or a silent truncation", async () => {
    const rx = await Peer.joinJson(s.port, "a9_rx");
    const tx = await Peer.joinText(s.port, "a9_tx");
    const js = await Peer.joinJson(s.port, "a9_js");
    const from = tx.rawLines.length;
    tx.send(Buffer.from("before\u0000after\n"));
    // A NUL escaped inside JSON is valid UTF-8; it must not reach anyone either.
    js.say("json\u0000nul");
    tx.line("a9 ok");
    await rx.waitEvent("message", (e) => e.text === "a9 ok");
    await rx.waitEvent("message", (e) => e.from === "a9_js");
    assert.deepEqual(
      tx.lines.slice(from).filter((l) => l.startsWith("!")),
      [t.invalidUtf8],
    );
    assert.deepEqual(messagesFrom(rx, "a9_tx"), ["a9 ok"]);
    for (const m of messagesFrom(rx, "a9_js")) assert.ok(!m.includes("\u0000"));
    assert.ok(!messagesFrom(rx, "a9_js").includes("json"), "silently truncated at the NUL");
    await assertCanaryChats(s.port, rx);
    for (const p of [rx, tx, js]) p.close();
  });

  it("A10: an HTTP request or a TLS ClientHello on the plain port -> one explanatory line, close", async () => {
    // The client speaks first, within greetDelayMs: it gets a plain HTTP answer, no chat greeting.
    const http = new Peer(s.port);
    await http.ready;
    http.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await http.waitClosed();
    const answer = Buffer.concat(http.chunks).toString("utf8");
    assert.ok(answer.startsWith("HTTP/1.0 400 Bad Request\r\n"), answer);
    assert.ok(answer.endsWith(`\r\n\r\n${t.notChat}\n`), answer);
    assert.ok(!answer.includes("Choose a name"), answer);

    // A real ClientHello, captured from Node's TLS client: exactly one line back.
    const hello = await captureClientHello();
    assert.equal(hello[0], 0x16);
    const tlsPeer = new Peer(s.port);
    await tlsPeer.ready;
    tlsPeer.send(hello);
    await tlsPeer.waitClosed();
    assert.deepEqual(tlsPeer.lines, [t.tlsOnPlainPort]);

    // One that arrives late, after the greeting, still gets its line and is closed.
    const late = new Peer(s.port);
    await late.waitLine("Choose a name");
    const from = late.rawLines.length;
    late.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await late.waitClosed();
    assert.ok(late.lines[from]?.startsWith("HTTP/1.0 400"));
    await assertCanaryChats(s.port);
  });

  it("A10: a json client that speaks first gets no text greeting; a silent nc user is greeted", async () => {
    const j = new Peer(s.port);
    await j.ready;
    j.send('{"type":"hello","protocol":1}\n');
    await j.waitLine('"type":"prompt"');
    assert.ok(
      j.lines.every((l) => l.startsWith("{")),
      j.lines.join("\n"),
    );
    j.socket.destroy();
    const nc = new Peer(s.port);
    await nc.waitLine("Choose a name");
    nc.socket.destroy();
  });
});

/** The first bytes Node's TLS client sends (a ClientHello), via a throwaway listener. */
async function captureClientHello(): Promise<Buffer> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) =>
    srv.once("connection", (c) => c.once("data", (d: Buffer) => resolve(d))),
  );
  const client = tls.connect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false });
  client.on("error", () => {});
  const hello = await got;
  client.destroy();
  srv.close();
  return hello;
}

describe("A2, D24, E25: memory stays bounded (server in a child process)", () => {
  let child: ChildServer;
  before(async () => {
    child = await startChildServer({
      maxSendQueueBytes: 256 * 1024,
      floodBurst: 1_000_000,
      shutdownGraceMs: 10_000,
    });
  });
  after(() => child.stop());

  it("A2: bytes with no newline past the hard cap -> disconnect with a reason; memory bounded", async () => {
    const base = footprint(await child.stats());
    const n = 40;
    const attackers = await Promise.all(Array.from({ length: n }, () => Peer.json(child.port)));
    // 1 MiB each without a line end, 40 MiB in all; the cap is 16 KiB a connection.
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    await Promise.all(
      attackers.map(async (a) => {
        for (let i = 0; i < 16 && !a.closed; i++) {
          if (!a.socket.write(chunk)) await new Promise((r) => a.socket.once("drain", r).once("close", r));
        }
      }),
    );
    for (const a of attackers) assert.equal((await a.bye()).reason, "line_overflow");
    const grown = footprint(await child.stats()) - base;
    assert.ok(
      grown < 8 * MiB,
      `server grew by ${(grown / MiB).toFixed(1)} MiB after 40 MiB without a line end`,
    );
    await assertCanaryChats(child.port);
  });

  it("E25: a client that never reads -> it alone is dropped (send_queue_exceeded); heap bounded", async () => {
    const base = footprint(await child.stats());
    const slow = await Peer.joinJson(child.port, "e25_slow");
    slow.socket.pause(); // never reads again (until the end of the test)
    const canary = await Peer.joinJson(child.port, "e25_canary");
    const tx = await Peer.joinText(child.port, "e25_tx");
    // ~30 MiB through the room, far more than the kernel's buffers plus the 256 KiB cap, in
    // batches the canary (a normal reader) keeps up with.
    const line = `${"z".repeat(1900)}\n`;
    const lines = 16_000;
    const per = 400;
    let seen = 0;
    for (let start = 0; start < lines; start += per) {
      let batch = "";
      for (let i = start; i < start + per; i++) batch += `${i} ${line}`;
      tx.send(batch);
      const last = `${start + per - 1} `;
      await canary.waitLine((l) => l.includes(`"text":"${last}`), { from: seen, ms: 10_000 });
      seen = canary.rawLines.length;
    }
    const left = await canary.waitEvent("left", (e) => e.name === "e25_slow");
    assert.equal(left.reason, "error");
    // Others keep normal delivery: the canary got every message, in order.
    const got = messagesFrom(canary, "e25_tx");
    assert.equal(got.length, lines);
    assert.ok(got.every((m, i) => m.startsWith(`${i} `)));
    const stats = await child.stats();
    const grown = footprint(stats) - base;
    assert.ok(grown < 12 * MiB, `server grew by ${(grown / MiB).toFixed(1)} MiB with a stalled reader`);
    assert.ok(child.logs.some((l) => l.event === "send_queue_exceeded" && l.fields.name === "e25_slow"));
    // The slow client was reset, not closed with a bye (issue 9 item 6: its unread bytes would
    // otherwise hold the server's socket in FIN-WAIT-1): once it reads again, its stream ends.
    slow.socket.resume();
    await slow.waitClosed(15_000);
    await assertCanaryChats(child.port, canary);
    canary.close();
    tx.close();
  });

  it("issue 5: an idle registered connection holds little live heap (no per-connection closures)", async () => {
    // Warm up first: code compiled, pools filled, so only per-connection memory is counted.
    const warm = await Promise.all(
      Array.from({ length: 50 }, (_, k) => Peer.joinText(child.port, `i5w_${k}`)),
    );
    for (const p of warm) p.close();
    await sleep(300);
    const base = await child.stats();
    const n = 500;
    const peers: Peer[] = [];
    for (let i = 0; i < n; i += 50)
      peers.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, k) => Peer.joinText(child.port, `i5_${i + k}`)),
        )),
      );
    await sleep(300); // the greeting timers have fired
    const held = await child.stats();
    assert.equal(held.online - base.online, n);
    const perConnection = (held.heapUsed - base.heapUsed) / n;
    // Socket, stream states and handle (~1 KiB in Node itself), the connection, its session,
    // decoder and flood bucket: 1.6-2.1 KiB measured at issue 5. Rooms, resume and dead-peer state
    // since (issues 9, 14) brought it to 2.7-3.1 KiB (Node 20 and 24, 2026-11-30: the spread is
    // between runs of the same code). Closures and fired timers kept per connection added 1.3 KiB.
    assert.ok(perConnection < 3600, `${perConnection.toFixed(0)} bytes of live heap per idle connection`);
    for (const p of peers) p.close();
    await sleep(200);
  });

  it("D24: connect/disconnect churn -> no memory growth once it stops", async () => {
    const churn = async (rounds: number) => {
      for (let r = 0; r < rounds; r++) {
        await Promise.all(
          Array.from({ length: 25 }, async (_, i) => {
            const p = new Peer(child.port);
            await p.waitLine("Choose a name");
            switch (i % 5) {
              case 0: // registers, chats, quits
                p.line(`d24_${r}_${i}`);
                await p.waitLine("Hello,");
                p.line("hi");
                p.line("/quit");
                await p.waitClosed();
                break;
              case 1: // json, registers, vanishes
                p.request({ type: "hello", protocol: 1 });
                p.request({ type: "name", name: `d24j_${r}_${i}` });
                await p.waitLine('"welcome"');
                p.close();
                break;
              case 2: // half a line, then a reset
                p.send("half a li");
                await sleep(1);
                p.socket.resetAndDestroy();
                break;
              default: // connects and goes
                p.close();
            }
          }),
        );
      }
    };
    await churn(8); // warm up: code paths compiled, pools filled
    const base = await child.stats();
    await churn(60); // 1500 connections
    await sleep(100);
    const end = await child.stats();
    assert.equal(end.connections, base.connections);
    assert.equal(end.online, base.online);
    const grown = footprint(end) - footprint(base);
    // A leak of one session's worth (~1 KiB) per connection would be 1.5 MiB.
    assert.ok(grown < 2 * MiB, `server grew by ${(grown / MiB).toFixed(2)} MiB over 1500 connections`);
    await assertCanaryChats(child.port);
  });
});

describe("B. what other users' terminals receive", () => {
  let s: FaultServer;
  before(async () => {
    s = await startFaultServer({ floodBurst: 100 });
  });
  after(() => s.close());

  const PAYLOADS = [
    "red \u001b[31mRED\u001b[0m plain",
    "link \u001b]8;;http://evil.example\u0007click\u001b]8;;\u0007 end",
    "title \u001b]0;pwned\u001b\\ done",
    "c1 \u009b31m csi \u0085 nel \u009d osc",
    "del \u007f bel \u0007 bs \b\b\b back",
    "keys \u001bP+q544e\u001b\\ dcs",
    "clear \u001bc\u001b[2J\u001b[H gone",
  ];
  const BIDI = [
    "abc \u202eevil\u202c def",
    "x \u2066iso\u2069 \u2067rtl\u2069 \u2068fsi\u2069 y",
    "\u202aL\u202bR\u202dLRO",
  ];

  function assertClean(p: Peer): void {
    const strict = new TextDecoder("utf-8", { fatal: true });
    for (const raw of p.rawLines) {
      const l = strict.decode(raw);
      assert.ok(!FORBIDDEN.test(l), `unsafe character reached ${JSON.stringify(l)}`);
      if (l.startsWith("{")) {
        const walk = (v: unknown): void => {
          if (typeof v === "string")
            assert.ok(!FORBIDDEN.test(v), `unsafe character in ${JSON.stringify(v)}`);
          else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
        };
        walk(JSON.parse(l));
      }
    }
  }

  it("B11: ESC/CSI/OSC sequences, C1 controls, DEL, BEL, backspace -> no peer receives them", async () => {
    const nc = await Peer.joinText(s.port, "b11_nc");
    const js = await Peer.joinJson(s.port, "b11_js");
    const tx = await Peer.joinJson(s.port, "b11_tx");
    const txt = await Peer.joinText(s.port, "b11_txt");
    for (const p of PAYLOADS) {
      tx.say(p);
      tx.say(`/me ${p}`);
      tx.say(`@b11_nc ${p}`);
      txt.line(p);
    }
    tx.say("b11 done");
    await nc.waitLine("b11_tx: b11 done");
    await js.waitEvent("message", (e) => e.text === "b11 done");
    await js.waitEvent("message", (e) => e.from === "b11_txt" && e.text.startsWith("clear"));
    assertClean(nc);
    assertClean(js);
    // The visible text survives; only the controls go.
    assert.ok(nc.lines.includes("b11_tx: red RED plain"), nc.lines.join("\n"));
    assert.ok(nc.lines.some((l) => l.startsWith("b11_tx (private): link click end")));
    for (const p of [nc, js, tx, txt]) p.close();
  });

  it("B12: bidi overrides and isolates -> stripped", async () => {
    const nc = await Peer.joinText(s.port, "b12_nc");
    const js = await Peer.joinJson(s.port, "b12_js");
    const tx = await Peer.joinJson(s.port, "b12_tx");
    for (const b of BIDI) {
      tx.say(b);
      tx.say(`@b12_nc ${b}`);
      tx.say(`/me ${b}`);
    }
    tx.say("b12 done");
    await nc.waitLine("b12_tx: b12 done");
    await js.waitEvent("message", (e) => e.text === "b12 done");
    assertClean(nc);
    assertClean(js);
    assert.ok(nc.lines.includes("b12_tx: abc evil def"), nc.lines.join("\n"));
    for (const p of [nc, js, tx]) p.close();
  });

  it("B13: the same payloads in notices, private messages, the user list, the log and the console", async () => {
    const logLines: string[] = [];
    const logged = await startFaultServer({ floodBurst: 100 }, { logMessages: true });
    // The real log formatter, fed by this server's events.
    const format = createLogger("debug", (l) => logLines.push(l));
    for (const e of logged.logs) format(e.level as "info", e.event, e.fields);
    const nc = await Peer.joinText(logged.port, "b13_nc");
    const js = await Peer.joinJson(logged.port, "b13_js");
    const all = [...PAYLOADS, ...BIDI];
    // Names carrying controls are refused outright (C14), so the user list cannot carry them.
    const bad = await Peer.json(logged.port);
    for (const p of all) bad.request({ type: "name", name: `n${p}` });
    bad.request({ type: "name", name: "b13_ok" });
    await bad.waitEvent("welcome");
    // Quit reasons go into everyone's leave notice.
    const quitter = await Peer.joinJson(logged.port, "b13_quit");
    quitter.say(`/quit ${all.join(" ")}`);
    await nc.waitLine("b13_quit left");
    // Private messages, messages and actions.
    for (const p of all) {
      js.say(`@b13_nc ${p}`);
      js.say(p);
    }
    js.say("/users");
    nc.line("/users");
    // The operator console: a kick reason, an announcement, an unknown user's name.
    const kicked = await Peer.joinJson(logged.port, "b13_kick");
    const consoleOut = [
      ...runConsoleLine(`/kick b13_kick ${all.join(" ")}`, {
        texts: en.server,
        server: logged,
        onShutdown: () => {},
      }),
      ...runConsoleLine(`/announce ${all.join(" ")}`, {
        texts: en.server,
        server: logged,
        onShutdown: () => {},
      }),
      ...runConsoleLine("/kick \u001b[31mghost\u001b[0m", {
        texts: en.server,
        server: logged,
        onShutdown: () => {},
      }),
      ...runConsoleLine("/users", { texts: en.server, server: logged, onShutdown: () => {} }),
    ];
    await kicked.waitClosed();
    await nc.waitLine("Announcement:");
    await js.waitEvent("notice");
    await nc.waitLine("b13_kick was removed");
    js.say("b13 done");
    await nc.waitLine("b13_js: b13 done");
    for (const p of [nc, js, bad, kicked]) assertClean(p);
    for (const l of consoleOut) assert.ok(!FORBIDDEN.test(l), `console: ${JSON.stringify(l)}`);
    for (const e of logged.logs.splice(0)) format(e.level as "info", e.event, e.fields);
    assert.ok(logLines.some((l) => l.includes("message")));
    for (const l of logLines) assert.ok(!FORBIDDEN.test(l.slice(0, -1)), `log: ${JSON.stringify(l)}`);
    for (const p of [nc, js, bad]) p.close();
    await logged.close();
  });
});

describe("C. nicknames", () => {
  let s: FaultServer;
  before(async () => {
    s = await startFaultServer({ floodBurst: 200, renameBurst: 3, renameIntervalMs: 60_000 });
  });
  after(() => s.close());

  async function claim(name: string): Promise<{ peer: Peer; code: string; reason?: string }> {
    const peer = await Peer.json(s.port);
    const from = peer.rawLines.length;
    peer.request({ type: "name", name });
    const e = await peer.waitEvent("welcome", () => true, { from }).catch(() => undefined);
    const err = peer.events.find((x) => x.type === "error");
    if (e && !err) return { peer, code: "ok" };
    assert.ok(err && err.type === "error", `no answer to ${name}`);
    return { peer, code: err.code, ...(err.code === "name_invalid" ? { reason: err.params.reason } : {}) };
  }

  async function refused(name: string): Promise<{ code: string; reason?: string }> {
    const peer = await Peer.json(s.port);
    const from = peer.rawLines.length;
    peer.request({ type: "name", name });
    const err = await peer.waitEvent("error", () => true, { from });
    // ... and the name is asked for again.
    await peer.waitEvent("prompt", () => true, { from });
    peer.close();
    return { code: err.code, ...(err.code === "name_invalid" ? { reason: err.params.reason } : {}) };
  }

  it("C14: space, @, control, bidi, zero-width, empty, too long -> invalid with a reason; accents allowed", async () => {
    assert.deepEqual(await refused("Ana Maria"), { code: "name_invalid", reason: "space" });
    assert.deepEqual(await refused("ana@home"), { code: "name_invalid", reason: "at_sign" });
    assert.deepEqual(await refused("bell\u0007"), { code: "name_invalid", reason: "control" });
    assert.deepEqual(await refused("esc\u001b[31m"), { code: "name_invalid", reason: "control" });
    assert.deepEqual(await refused("abc\u202edef"), { code: "name_invalid", reason: "invisible" });
    assert.deepEqual(await refused("zero\u200bwidth"), { code: "name_invalid", reason: "invisible" });
    assert.deepEqual(await refused(""), { code: "name_invalid", reason: "empty" });
    assert.deepEqual(await refused("x".repeat(33)), { code: "name_invalid", reason: "too_long" });
    // Text mode reads the reason from the catalogue and asks again.
    const nc = new Peer(s.port);
    await nc.waitLine("Choose a name");
    nc.line("Ana Maria");
    await nc.waitLine(t.nameProblem.space);
    const ok = await claim("Notebook_Mãe");
    assert.equal(ok.code, "ok");
    ok.peer.close();
    nc.close();
  });

  it("C15: Ana, ana, ANA -> the same name: the second one is refused", async () => {
    const ana = await claim("Ana");
    assert.equal(ana.code, "ok");
    assert.equal((await refused("ana")).code, "name_taken");
    assert.equal((await refused("ANA")).code, "name_taken");
    ana.peer.close();
  });

  it("C16: confusables (Cyrillic, fullwidth) -> refused while the name is online", async (tc) => {
    const paulo = await claim("paulo");
    assert.equal(paulo.code, "ok");
    // Fullwidth: NFKC folds it.
    assert.notEqual((await refused("ｐａｕｌｏ")).code, "ok");
    assert.equal((await refused("ａｄｍｉｎ")).code, "name_invalid");
    // Confusable skeletons (TR39) come with item 2, owned by another developer: checked once
    // nickname.ts has them.
    if (canonicalName("\u0430dmin") !== canonicalName("admin")) {
      tc.diagnostic("canonicalName has no confusable skeleton yet: Cyrillic cases not checked");
      paulo.peer.close();
      return;
    }
    // Cyrillic р and а: refused as taken (skeleton) or as mixed-script, never admitted.
    assert.ok(["name_taken", "name_invalid"].includes((await refused("раulo")).code));
    assert.ok(["name_taken", "name_invalid"].includes((await refused("\u0440\u0430\u0443\u043bo")).code));
    // The reserved admin cannot be worn in disguise either.
    assert.equal((await refused("\u0430dmin")).code, "name_invalid");
    paulo.peer.close();
  });

  it("C17: reserved names (server, system, admin...) -> refused", async () => {
    for (const name of ["server", "System", "ADMIN", "root", "servidor"])
      assert.deepEqual(await refused(name), { code: "name_invalid", reason: "reserved" }, name);
  });

  it("C18: two clients claim one name in the same instant, 100 times -> exactly one wins each time", async () => {
    const races = 100;
    const pairs = await Promise.all(
      Array.from({ length: races }, async () => [await Peer.json(s.port), await Peer.json(s.port)] as const),
    );
    const marks = pairs.map(([a, b]) => [a.rawLines.length, b.rawLines.length] as const);
    // Both claims leave in the same tick; the server decides in one synchronous step.
    pairs.forEach(([a, b], i) => {
      a.request({ type: "name", name: `Race${i}` });
      b.request({ type: "name", name: `race${i}` });
    });
    const outcomes = await Promise.all(
      pairs.map(async ([a, b], i) => {
        const r = await Promise.all(
          [a, b].map((p, j) =>
            p.waitLine((l) => l.includes('"welcome"') || l.includes('"name_taken"'), {
              from: marks[i]?.[j] ?? 0,
            }),
          ),
        );
        return r.filter((l) => l.includes('"welcome"')).length;
      }),
    );
    assert.deepEqual(outcomes, new Array(races).fill(1));
    for (const [a, b] of pairs) {
      a.close();
      b.close();
    }
  });

  it("C19: a name is free again the moment its holder is gone, however they left", async () => {
    const watcher = await Peer.joinJson(s.port, "c19_watch");
    const ways: Array<[string, (p: Peer) => void]> = [
      ["quit", (p) => p.say("/quit")],
      ["close", (p) => p.socket.end()],
      ["reset", (p) => p.socket.resetAndDestroy()],
      ["kick", () => s.chat.kick(canonicalName("c19_name"), "test")],
      [
        "half line then reset",
        (p) => {
          p.send('{"type":"line","text":"unfin');
          setTimeout(() => p.socket.resetAndDestroy(), 5);
        },
      ],
    ];
    for (const [how, leave] of ways) {
      const holder = await Peer.joinJson(s.port, "c19_name");
      const from = watcher.rawLines.length;
      leave(holder);
      await watcher.waitEvent("left", (e) => e.name === "c19_name", { from });
      // At once: the very next claim of the name wins.
      const next = await claim("C19_NAME");
      assert.equal(next.code, "ok", how);
      next.peer.say("/quit");
      await watcher.waitEvent("left", (e) => e.name === "C19_NAME", { from });
      next.peer.close();
      holder.close();
    }
    assert.equal(
      watcher.events.filter((e) => e.type === "left" && e.name === "c19_name").length,
      ways.length,
    );
    watcher.close();
  });

  it("C20: rename flood -> rate-limited, no notice flood for others", async () => {
    const rx = await Peer.joinJson(s.port, "c20_rx");
    const tx = await Peer.joinJson(s.port, "c20_0");
    const from = tx.rawLines.length;
    for (let i = 1; i <= 30; i++) tx.say(`/nick c20_${i}`);
    for (let i = 31; i <= 40; i++) tx.request({ type: "name", name: `c20_${i}` });
    tx.say("c20 done");
    await rx.waitEvent("message", (e) => e.text === "c20 done");
    await tx.waitEvent("message", (e) => e.text === "c20 done");
    const renames = rx.events.filter((e) => e.type === "renamed");
    assert.equal(renames.length, 3, "others saw more renames than the rename burst");
    // The renamer alone hears about it (each refused rename, bounded by the line bucket).
    assert.ok(errorsOf(tx, "flood") >= 1 && tx.rawLines.length > from);
    assert.equal(errorsOf(rx, "flood"), 0);
    await assertCanaryChats(s.port, rx);
    rx.close();
    tx.close();
  });
});

describe("D. flood and load", () => {
  it("D21: 1000 lines in one write -> a burst at once, the rest delayed in order, one notice to the sender", async () => {
    // Issue 10 item 2: delayed, never dropped. The steady rate is raised so the test is short.
    const s = await startFaultServer({ floodIntervalMs: 2 });
    try {
      const rx = await Peer.joinJson(s.port, "d21_rx");
      const tx = await Peer.joinText(s.port, "d21_tx");
      const from = tx.rawLines.length;
      const paste = Array.from({ length: 1000 }, (_, i) => `paste line ${i}`);
      tx.send(`${paste.join("\n")}\n`);
      // Others' latency stays normal: a message sent right after the paste arrives at once.
      const canary = await Peer.joinJson(s.port, "d21_canary");
      canary.say("d21 canary");
      await rx.waitEvent("message", (e) => e.text === "d21 canary");
      assert.ok(messagesFrom(rx, "d21_tx").length < 1000);
      await rx.waitEvent("message", (e) => e.text === "paste line 999", { ms: 20_000 });
      assert.deepEqual(messagesFrom(rx, "d21_tx"), paste);
      // One notice that the paste goes out slowly, one when it is out, to the sender only.
      await tx.waitLine("* All your lines have been sent.", { from });
      const notices = tx.lines
        .slice(from)
        .filter((l) => (l.startsWith("* ") || l.startsWith("! ")) && !l.includes("joined"));
      assert.equal(notices.length, 2, notices.join("\n"));
      assert.match(notices[0] ?? "", /^\* Sending slowly: 99\d of your lines wait their turn/);
      assert.equal(rx.events.filter((e) => e.type === "throttled").length, 0);
      assert.equal(tx.closed, false);
      tx.line("after the paste");
      await rx.waitEvent("message", (e) => e.text === "after the paste");
      for (const p of [rx, tx, canary]) p.close();
    } finally {
      await s.close();
    }
  });

  it("D21: a flood past floodMaxLagMs -> bye flood; others unaffected", async () => {
    const s = await startFaultServer({ floodMaxLagMs: 10_000 });
    try {
      const rx = await Peer.joinJson(s.port, "d21k_rx");
      const tx = await Peer.joinJson(s.port, "d21k_tx");
      tx.send(
        Array.from({ length: 200 }, (_, i) => `${JSON.stringify({ type: "line", text: `f${i}` })}\n`).join(
          "",
        ),
      );
      assert.equal((await tx.bye()).reason, "flood");
      await rx.waitEvent("left", (e) => e.name === "d21k_tx");
      await assertCanaryChats(s.port, rx);
      rx.close();
    } finally {
      await s.close();
    }
  });

  it("D22: a private-message flood at one victim is delayed the same way, nothing lost", async () => {
    const s = await startFaultServer({ floodBurst: 8, floodIntervalMs: 5 });
    try {
      const victim = await Peer.joinJson(s.port, "d22_victim");
      const tx = await Peer.joinJson(s.port, "d22_tx");
      tx.send(
        Array.from(
          { length: 300 },
          (_, i) => `${JSON.stringify({ type: "line", text: `@d22_victim spam ${i}` })}\n`,
        ).join(""),
      );
      await victim.waitEvent("private", (e) => e.text === "spam 299", { ms: 15_000 });
      const got = victim.events.filter((e) => e.type === "private").map((e) => (e as { text: string }).text);
      assert.deepEqual(
        got,
        Array.from({ length: 300 }, (_, i) => `spam ${i}`),
      );
      assert.equal(victim.events.filter((e) => e.type === "throttled").length, 0);
      victim.close();
      tx.close();
    } finally {
      await s.close();
    }
  });

  it("D23: many connections from one address -> refused past a per-address limit; others get in; a global cap", async () => {
    const s = await startFaultServer({
      exemptLoopback: 0,
      maxConnectionsPerAddress: 4,
      maxUnregisteredPerAddress: 2,
      connectBurst: 0,
      maxConnections: 8,
    });
    const open: Peer[] = [];
    const connect = async (localAddress: string) => {
      const p = new Peer(s.port, { localAddress });
      open.push(p);
      await p.waitLine(() => true);
      return p;
    };
    const refusedWith = async (p: Peer, text: string) => {
      await p.waitClosed();
      assert.deepEqual(p.lines, [text]);
    };
    try {
      // Unregistered connections: 2 at most from one address.
      const a = await connect("127.0.0.1");
      const b = await connect("127.0.0.1");
      await refusedWith(await connect("127.0.0.1"), t.bye.too_many_connections({}));
      // Registered ones count toward the per-address total (4) only.
      a.line("d23_a");
      b.line("d23_b");
      await a.waitLine("Hello, d23_a");
      await b.waitLine("Hello, d23_b");
      await connect("127.0.0.1");
      await connect("127.0.0.1");
      await refusedWith(await connect("127.0.0.1"), t.bye.too_many_connections({}));
      // Another address still gets in, up to the global cap of 8.
      const other = await connect("127.0.0.2");
      other.line("d23_other");
      await other.waitLine("Hello, d23_other");
      await connect("127.0.0.3");
      await connect("127.0.0.3");
      await connect("127.0.0.4");
      await refusedWith(await connect("127.0.0.5"), t.bye.server_full({}));
      // json clients read the reason as a code.
      const js = new Peer(s.port, { localAddress: "127.0.0.6" });
      await js.waitClosed();
      assert.equal(js.lines.length, 1);
      // When someone leaves, there is room again.
      a.line("/quit");
      await a.waitClosed();
      await sleep(50);
      const again = await connect("127.0.0.6");
      assert.match(again.lines[0] ?? "", /Welcome to papo/);
      again.line("d23_again");
      await again.waitLine("Hello, d23_again");
      again.line("still chatting");
      await other.waitLine("d23_again: still chatting");
    } finally {
      for (const p of open) p.close();
      await s.close();
    }
  });

  it("D23: connect rate per address -> refused with connect_rate; other addresses unaffected", async () => {
    const s = await startFaultServer({ exemptLoopback: 0, connectBurst: 3, connectIntervalMs: 60_000 });
    const open: Peer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const p = new Peer(s.port, { localAddress: "127.0.0.7" });
        open.push(p);
        await p.waitLine("Choose a name");
        p.close();
        await p.waitClosed();
      }
      const fourth = new Peer(s.port, { localAddress: "127.0.0.7" });
      open.push(fourth);
      await fourth.waitClosed();
      assert.deepEqual(fourth.lines, [t.bye.connect_rate({})]);
      const ok = await Peer.joinJson(s.port, "d23_rate_ok", { localAddress: "127.0.0.8" });
      open.push(ok);
      await assertCanaryChats(s.port, ok);
      assert.ok(s.logs.some((l) => l.event === "refused" && l.fields.reason === "connect_rate"));
    } finally {
      for (const p of open) p.close();
      await s.close();
    }
  });
});

describe("E. slow consumers and dead peers", () => {
  let s: FaultServer;
  before(async () => {
    s = await startFaultServer({ pingIntervalMs: 200, pingTimeoutMs: 300 });
  });
  after(() => s.close());

  it("E26: connection reset mid-line -> fragment discarded, one leave notice, name freed", async () => {
    const rx = await Peer.joinJson(s.port, "e26_rx");
    const tx = await Peer.joinText(s.port, "e26_tx");
    tx.send("half a li");
    await sleep(20);
    tx.socket.resetAndDestroy();
    const left = await rx.waitEvent("left", (e) => e.name === "e26_tx");
    assert.equal(left.reason, "disconnected");
    const again = await Peer.joinJson(s.port, "e26_tx");
    await sleep(50);
    assert.equal(rx.events.filter((e) => e.type === "left").length, 1);
    assert.equal(rx.lines.filter((l) => l.includes("half a li")).length, 0);
    again.close();
    rx.close();
  });

  it("E27: a write error to one peer during a broadcast -> that peer dropped, the broadcast goes on", async () => {
    const rx = await Peer.joinJson(s.port, "e27_rx");
    const broken = await Peer.joinJson(s.port, "e27_broken");
    const throwing = await Peer.joinJson(s.port, "e27_throwing");
    const tx = await Peer.joinJson(s.port, "e27_tx");
    // One socket whose write throws (in the batched flush), one port whose send throws (in the fan-out).
    const conn = s.chat.find(canonicalName("e27_broken"))?.port as TcpConnection;
    conn.socket.write = () => {
      throw new Error("EPIPE (test)");
    };
    const port = s.chat.find(canonicalName("e27_throwing"))?.port as TcpConnection;
    port.send = () => {
      throw new Error("send failed (test)");
    };
    tx.say("e27 broadcast");
    await rx.waitEvent("message", (e) => e.text === "e27 broadcast");
    await tx.waitEvent("message", (e) => e.text === "e27 broadcast");
    await rx.waitEvent("left", (e) => e.name === "e27_broken");
    await rx.waitEvent("left", (e) => e.name === "e27_throwing");
    await broken.waitClosed();
    await throwing.waitClosed();
    await assertCanaryChats(s.port, rx);
    rx.close();
    tx.close();
  });

  it("E25: a reader that falls behind and catches up gets every line intact, in order", async () => {
    // Batched writes copy into one scratch buffer that the next flush reuses (issue 5). A socket
    // the kernel cannot take more from keeps that buffer: reusing it then would corrupt the bytes
    // still waiting for this reader. 12 MB pass a paused reader (more than the kernel buffers)
    // in writes of 100 short lines, so each of its flushes joins many lines.
    const big = await startFaultServer({ maxSendQueueBytes: 256 * MiB, floodBurst: 1_000_000 });
    try {
      const lag = await Peer.joinText(big.port, "e25_lag");
      lag.socket.pause();
      const canary = await Peer.joinText(big.port, "e25_keep");
      const tx = await Peer.joinText(big.port, "e25_src");
      const text = (i: number) => `${i} ${String.fromCharCode(97 + (i % 26)).repeat(90 + (i % 7))}`;
      const lines = 120_000;
      const per = 100;
      let seen = 0;
      for (let start = 0; start < lines; start += per) {
        let batch = "";
        for (let i = start; i < start + per; i++) batch += `${text(i)}\n`;
        tx.send(batch);
        await canary.waitLine((l) => l.startsWith(`e25_src: ${start + per - 1} `), {
          from: seen,
          ms: 10_000,
        });
        seen = canary.rawLines.length;
      }
      lag.socket.resume();
      await lag.waitLine((l) => l.startsWith(`e25_src: ${lines - 1} `), { ms: 30_000 });
      const got = lag.lines.filter((l) => l.startsWith("e25_src: "));
      assert.equal(got.length, lines);
      const bad = got.findIndex((l, i) => l !== `e25_src: ${text(i)}`);
      assert.equal(bad, -1, `line ${bad} arrived damaged: ${got[bad]?.slice(0, 80)}`);
      lag.close();
      canary.close();
      tx.close();
    } finally {
      await big.close();
    }
  });

  it("E28: half-open connection (peer vanished, no FIN) -> detected by ping, cleaned up, name freed", async () => {
    const rx = await Peer.joinJson(s.port, "e28_rx");
    // rx answers pings, like a live client: it must not be dropped.
    rx.socket.on("data", (d: Buffer) => {
      if (d.includes('"type":"ping"')) rx.request({ type: "pong" });
    });
    const ghost = await Peer.joinJson(s.port, "e28_ghost");
    // The ghost never sends anything again (its machine is gone); its FIN never comes.
    const started = Date.now();
    const left = await rx.waitEvent("left", (e) => e.name === "e28_ghost");
    assert.equal(left.reason, "error");
    assert.ok(ghost.events.some((e) => e.type === "ping"));
    assert.equal(ghost.events.at(-1)?.type, "bye");
    assert.equal((ghost.events.at(-1) as { reason?: string }).reason, "ping_timeout");
    assert.ok(Date.now() - started < 3000);
    // The name is free at once; the live client is still here.
    const again = await Peer.joinJson(s.port, "e28_ghost");
    await sleep(600);
    assert.equal(rx.closed, false);
    assert.ok(rx.events.filter((e) => e.type === "ping").length >= 1);
    await assertCanaryChats(s.port, rx);
    again.close();
    rx.close();
    ghost.close();
  });
});

describe("F. lifecycle", () => {
  it("F29: SIGTERM while clients are mid-send -> tell everyone, flush, exit 0; no partial line relayed", async () => {
    const proc = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli.ts",
        "serve",
        "--no-store",
        "--no-irc",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
      ],
      {
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, LANG: "en_US.UTF-8", LC_ALL: "" },
      },
    );
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    proc.stderr.resume();
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    try {
      const deadline = Date.now() + 10_000;
      const listening = /listening on 127\.0\.0\.1:(\d+)/;
      while (!listening.test(out) && Date.now() < deadline) await sleep(20);
      const m = listening.exec(out);
      assert.ok(m, out);
      const port = Number(m[1]);
      const nc = await Peer.joinText(port, "f29_nc");
      const js = await Peer.joinJson(port, "f29_js");
      nc.send("a partial li");
      js.send('{"type":"line","text":"partial json');
      await sleep(50);
      proc.kill("SIGTERM");
      await nc.waitClosed();
      await js.waitClosed();
      assert.equal(nc.lines.at(-1), t.bye.shutdown({}));
      assert.equal((await js.bye()).reason, "shutdown");
      assert.equal(await exited, 0);
      assert.match(out, /papo stopped\./);
      for (const p of [nc, js]) assert.equal(p.lines.filter((l) => l.includes("partial")).length, 0);
      // It stopped accepting.
      const late = new Peer(port);
      await late.waitClosed();
      assert.equal(late.error?.code, "ECONNREFUSED");
    } finally {
      proc.kill("SIGKILL");
    }
  });

  it("F30: an exception in one command handler -> that client gets an error; the process goes on", async () => {
    const s = await startFaultServer();
    try {
      const rx = await Peer.joinJson(s.port, "f30_rx");
      const tx = await Peer.joinJson(s.port, "f30_tx");
      const session = s.chat.find(canonicalName("f30_tx"));
      assert.ok(session);
      session.listUsers = () => {
        throw new Error("boom (test)");
      };
      tx.say("/users");
      await tx.waitEvent("error", (e) => e.code === "internal");
      assert.equal(errorsOf(rx, "internal"), 0);
      // The same client goes on chatting.
      tx.say("f30 still here");
      await rx.waitEvent("message", (e) => e.text === "f30 still here");
      assert.ok(s.logs.some((l) => l.event === "handler_failed"));
      await assertCanaryChats(s.port, rx);
      rx.close();
      tx.close();
    } finally {
      await s.close();
    }
  });
});
