/**
 * Issue 9 item 2, the pure parts: the kernel's TCP table parsed, and the dead-peer watch's rules
 * driven with stand-in sockets, a hand-made table and a hand-moved clock.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  DeadPeerWatch,
  notAcknowledging,
  sweepInterval,
  type WatchedSocket,
} from "../src/transports/dead-peer.ts";
import { normalizeIp, parseProcNetTcp, parseRow, TCP_STATE } from "../src/transports/proc-net-tcp.ts";

// Rows as Linux prints them (x86, little-endian): a listener on 127.0.0.1:7777, an established
// connection from 127.0.0.1:50412 with 1234 bytes unacknowledged and 3 retransmission timeouts.
const HEADER =
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
const LISTEN =
  "   0: 0100007F:1E61 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0";
const STALLED =
  "   1: 0100007F:1E61 0100007F:C4EC 01 000004D2:00000000 01:00000123 00000003     0        0 4243 2 0000000000000000 20 4 30 10 -1";
const V6 =
  "   0: 00000000000000000000000000000000:1E61 0000000000000000FFFF00000100007F:C4EC 01 00000000:00000000 04:00000100 00000000  1000        2 99 1 0000000000000000 20 4 1 10 -1";

describe("/proc/net/tcp rows", () => {
  it("parses listeners, established connections, timers and retransmissions; skips the header", () => {
    const rows = parseProcNetTcp([HEADER, LISTEN, STALLED, ""].join("\n"), true);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], {
      local: "127.0.0.1",
      localPort: 7777,
      remote: "0.0.0.0",
      remotePort: 0,
      state: TCP_STATE.LISTEN,
      txQueue: 0,
      rxQueue: 0,
      timer: 0,
      retransmits: 0,
      probes: 0,
    });
    const s = rows[1];
    assert.equal(s?.remotePort, 50412);
    assert.equal(s?.txQueue, 1234);
    assert.equal(s?.timer, 1);
    assert.equal(s?.retransmits, 3);
    assert.equal(s && notAcknowledging(s), true);
  });

  it("reads IPv4-mapped IPv6 peers as their IPv4 address; zero-window probes count when unanswered", () => {
    const row = parseRow(V6, true);
    assert.equal(row?.remote, "127.0.0.1");
    assert.equal(row?.local, "0".repeat(32));
    assert.equal(row?.timer, 4);
    assert.equal(row?.probes, 2);
    assert.equal(row && notAcknowledging(row), true);
    assert.equal(row && notAcknowledging({ ...row, probes: 0 }), false);
  });

  it("a filtered parse keeps exactly the rows of the given ports with bytes unacknowledged", () => {
    const texts = [[HEADER, LISTEN, STALLED, V6].join("\n")];
    for (const f of ["/proc/net/tcp", "/proc/net/tcp6"])
      try {
        texts.push(readFileSync(f, "latin1"));
      } catch {}
    for (const text of texts) {
      const all = parseProcNetTcp(text, true);
      const ports = new Set([7777, ...all.slice(0, 3).map((r) => r.localPort)]);
      assert.deepEqual(
        parseProcNetTcp(text, true, { localPorts: ports, unacknowledged: true }),
        all.filter((r) => ports.has(r.localPort) && r.txQueue > 0),
      );
      assert.deepEqual(
        parseProcNetTcp(text, true, { localPorts: ports }),
        all.filter((r) => ports.has(r.localPort)),
      );
      assert.deepEqual(
        parseProcNetTcp(text, true, { unacknowledged: true }),
        all.filter((r) => r.txQueue > 0),
      );
    }
    assert.equal(parseProcNetTcp(texts[0] as string, true, { unacknowledged: true }).length, 1);
  });

  it("an address Node reports and the same address in the table normalise alike (any IPv4, any IPv6)", () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    fc.assert(
      fc.property(v4, fc.boolean(), ([a, b, c, d], little) => {
        const bytes = Buffer.from([a, b, c, d]);
        const word = little ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0);
        const hex = word.toString(16).toUpperCase().padStart(8, "0");
        const row = parseRow(`0: ${hex}:0001 ${hex}:0002 01 0:0 00:0 0 0 0 1`, little);
        const dotted = `${a}.${b}.${c}.${d}`;
        return (
          row?.remote === dotted &&
          normalizeIp(dotted) === dotted &&
          normalizeIp(`::ffff:${dotted}`) === dotted
        );
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        (groups, little) => {
          const bytes = Buffer.alloc(16);
          for (const [i, g] of groups.entries()) bytes.writeUInt16BE(g, i * 2);
          let hex = "";
          for (let w = 0; w < 4; w++)
            hex += (little ? bytes.readUInt32LE(w * 4) : bytes.readUInt32BE(w * 4))
              .toString(16)
              .toUpperCase()
              .padStart(8, "0");
          const row = parseRow(`0: ${hex}:0001 ${hex}:0002 01 0:0 00:0 0 0 0 1`, little);
          const text = groups.map((g) => g.toString(16)).join(":");
          return row !== undefined && row.remote === normalizeIp(text);
        },
      ),
    );
    assert.equal(normalizeIp("::1"), `${"0".repeat(31)}1`);
    assert.equal(normalizeIp("fe80::1%eth0"), `fe80${"0".repeat(27)}1`);
    assert.equal(normalizeIp("not an address"), undefined);
  });
});

/** A stand-in socket whose counters the test moves. */
function fakeSocket(remotePort: number): WatchedSocket & { bytesWritten: number; writableLength: number } {
  return {
    bytesWritten: 0,
    writableLength: 0,
    destroyed: false,
    localPort: 7777,
    remoteAddress: "127.0.0.1",
    remotePort,
  };
}

function row(remotePort: number, { tx = 0, timer = 0, retransmits = 0 } = {}): string {
  const port = remotePort.toString(16).toUpperCase().padStart(4, "0");
  const q = tx.toString(16).toUpperCase().padStart(8, "0");
  return `   1: 0100007F:1E61 0100007F:${port} 01 ${q}:00000000 0${timer}:00000010 ${retransmits.toString(16).padStart(8, "0")}     0        0 1 1 0 20 4 30 10 -1`;
}

describe("the dead-peer watch", () => {
  it("sweeps a sixth of the timeout, between 0.2 s and 10 s", () => {
    assert.equal(sweepInterval(60_000), 10_000);
    assert.equal(sweepInterval(120_000), 10_000);
    assert.equal(sweepInterval(3000), 500);
    assert.equal(sweepInterval(100), 200);
  });

  it("the kernel's view: a peer not acknowledging for the timeout is dead; one that recovers is not", async () => {
    let now = 0;
    let table = "";
    const watch = new DeadPeerWatch({
      timeoutMs: 600,
      now: () => now,
      timer: false,
      readTables: async () => [table],
    });
    const dead: number[] = [];
    const vanished = fakeSocket(1001);
    const lossy = fakeSocket(1002);
    watch.add(vanished, { onDeadPeer: () => dead.push(1001) });
    watch.add(lossy, { onDeadPeer: () => dead.push(1002) });
    for (let i = 1; i <= 8; i++) {
      now += 100;
      vanished.bytesWritten += 50; // the room is busy: the kernel takes every write
      lossy.bytesWritten += 50;
      table = [
        HEADER,
        row(1001, { tx: 50 * i, timer: 1, retransmits: i }),
        // A lossy but live peer: stalls now and then, acknowledges in between.
        row(1002, { tx: 50, timer: 1, retransmits: i % 3 === 0 ? 0 : 1 }),
      ].join("\n");
      await watch.sweep();
    }
    assert.deepEqual(dead, [1001]);
    assert.equal(watch.size, 1);
  });

  it("the kernel's view goes on for a peer that vanished when the room went quiet (no more writes)", async () => {
    let now = 0;
    let table = row(1003, { tx: 80, timer: 1, retransmits: 1 });
    const watch = new DeadPeerWatch({
      timeoutMs: 500,
      now: () => now,
      timer: false,
      readTables: async () => [table],
    });
    let dead = false;
    const s = fakeSocket(1003);
    watch.add(s, { onDeadPeer: () => (dead = true) });
    s.bytesWritten = 80; // one last message, then silence
    for (let i = 0; i < 7 && !dead; i++) {
      now += 100;
      table = row(1003, { tx: 80, timer: 1, retransmits: i + 1 });
      await watch.sweep();
    }
    assert.equal(dead, true);
  });

  it("Node's view: bytes queued and none taken for the timeout is dead, even without the kernel's table", async () => {
    let now = 0;
    const watch = new DeadPeerWatch({ timeoutMs: 500, now: () => now, timer: false, readTables: null });
    const dead: number[] = [];
    const stopped = fakeSocket(2001);
    const slow = fakeSocket(2002);
    watch.add(stopped, { onDeadPeer: () => dead.push(2001) });
    watch.add(slow, { onDeadPeer: () => dead.push(2002) });
    stopped.bytesWritten = 10_000;
    stopped.writableLength = 10_000; // nothing taken since
    slow.bytesWritten = 10_000;
    slow.writableLength = 10_000;
    for (let i = 1; i <= 6; i++) {
      now += 100;
      slow.writableLength -= 100; // slow, but it reads
      await watch.sweep();
    }
    assert.deepEqual(dead, [2001]);
  });

  it("a quiet server reads no table; a socket that was written to is looked up", async () => {
    let reads = 0;
    const watch = new DeadPeerWatch({
      timeoutMs: 600,
      timer: false,
      readTables: async () => {
        reads++;
        return [""];
      },
    });
    const s = fakeSocket(3001);
    watch.add(s, { onDeadPeer: () => {} });
    await watch.sweep();
    await watch.sweep();
    assert.equal(reads, 0);
    s.bytesWritten = 10;
    await watch.sweep();
    assert.equal(reads, 1);
  });
});
