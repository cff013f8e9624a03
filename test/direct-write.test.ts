/**
 * Issue 14: the native helper that writes a flush straight to a socket's descriptor
 * (native/direct_write.c, src/transports/direct-write.ts), over real loopback sockets.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { canonicalName } from "../src/core/nickname.ts";
import {
  type BatchWriter,
  DirectBatch,
  directFd,
  directWriter,
  ringAvailable,
  writeDirect,
} from "../src/transports/direct-write.ts";
import { SocketOutbox, WriteJoiner } from "../src/transports/outbox.ts";
import { startTestServer, TextClient } from "./helpers.ts";
import { IrcClient } from "./irc-helpers.ts";

const BUILT = new URL("../native/build/Release/papo_direct_write.node", import.meta.url);

/** A connected pair: `server` is the accepted socket (what papo writes to), `client` the peer. */
async function pair(): Promise<{ server: net.Socket; client: net.Socket; close: () => void }> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((resolve) => listener.once("connection", resolve));
  const client = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => client.once("connect", resolve));
  const server = await accepted;
  server.on("error", () => {});
  client.on("error", () => {});
  return {
    server,
    client,
    close: () => {
      server.destroy();
      client.destroy();
      listener.close();
    },
  };
}

/** `n` connected pairs through one listener (one descriptor for all, not one each). */
async function pairs(
  n: number,
): Promise<{ list: { server: net.Socket; client: net.Socket }[]; close: () => void }> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as net.AddressInfo;
  const byPort = new Map<number, net.Socket>();
  listener.on("connection", (s: net.Socket) => {
    s.on("error", () => {});
    byPort.set(s.remotePort as number, s);
  });
  const clients = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve) => {
          const c = net.connect(port, "127.0.0.1", () => resolve(c));
          c.on("error", () => {});
        }),
    ),
  );
  await until(() => byPort.size === n, "every connection accepted");
  const list = clients.map((client) => ({
    server: byPort.get(client.localPort as number) as net.Socket,
    client,
  }));
  return {
    list,
    close: () => {
      for (const p of list) {
        p.server.destroy();
        p.client.destroy();
      }
      listener.close();
    },
  };
}

function collect(socket: net.Socket): { bytes: () => Buffer; total: () => number } {
  const chunks: Buffer[] = [];
  let total = 0;
  socket.on("data", (b: Buffer) => {
    chunks.push(b);
    total += b.length;
  });
  return { bytes: () => Buffer.concat(chunks), total: () => total };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("direct writes (native helper)", () => {
  it("is built by the install where a compiler is (CI installs one) and loads", () => {
    if (process.env.CI) assert.ok(existsSync(BUILT), "npm ci should have built native/ (native/build.mjs)");
    if (existsSync(BUILT)) assert.ok(directWriter(), "the built helper should load");
  });

  describe("on a real socket", { skip: existsSync(BUILT) ? false : "the helper is not built here" }, () => {
    let p: Awaited<ReturnType<typeof pair>>;
    before(async () => {
      p = await pair();
    });
    after(() => p.close());

    it("sends the bytes past Node's stream, and counts them", async () => {
      const got = collect(p.client);
      const fd = directFd(p.server);
      assert.ok(fd >= 0);
      const before = p.server.bytesWritten;
      assert.equal(writeDirect(p.server, fd, Buffer.from("hello\n")), 6, "counted as sent past Node");
      await until(() => got.total() === 6, "the line");
      assert.equal(got.bytes().toString(), "hello\n");
      assert.equal(p.server.bytesWritten, before, "Node's stream did not write it");
    });
  });

  it("keeps order and loses nothing when the peer's buffers fill (the rest goes through Node)", async () => {
    if (!existsSync(BUILT)) return;
    const { server, client, close } = await pair();
    try {
      client.pause();
      const fd = directFd(server);
      const joiner = new WriteJoiner();
      const sent: Buffer[] = [];
      let i = 0;
      // Write until Node queues (the kernel took no more), then a few more flushes behind it.
      let extra = 0;
      let direct = 0;
      while (extra < 20 && i < 100_000) {
        const line = Buffer.from(`${String(i++).padStart(8, "0")} ${"x".repeat(200)}\n`);
        sent.push(line);
        direct += joiner.write(server, [line, Buffer.from("")], line.length, fd);
        if (server.writableLength > 0) extra++;
      }
      assert.ok(server.writableLength > 0, "the socket's buffers filled");
      assert.ok(direct > 0, "some went straight to the kernel");
      const got = collect(client);
      client.resume();
      const want = Buffer.concat(sent);
      await until(() => got.total() >= want.length, "every byte", 10_000);
      assert.ok(got.bytes().equals(want), "the same bytes, in order, once");
    } finally {
      close();
    }
  });

  it("a peer that is gone: the write fails through the socket, and nothing throws", async () => {
    if (!existsSync(BUILT)) return;
    const { server, client, close } = await pair();
    try {
      const fd = directFd(server);
      const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
      client.resetAndDestroy();
      // The reset arrives; later writes get EPIPE/ECONNRESET from the kernel.
      await new Promise((r) => setTimeout(r, 50));
      for (let k = 0; k < 5 && !server.destroyed; k++) writeDirect(server, fd, Buffer.from("late\n"));
      await closed;
    } finally {
      close();
    }
  });

  it("a TLS socket is never written past Node (its bytes must be encrypted)", () => {
    const fake = { encrypted: true, _handle: { fd: 5 } } as unknown as net.Socket;
    assert.equal(directFd(fake), -1);
    const plain = { _handle: { fd: 5 } } as unknown as net.Socket;
    assert.equal(directFd(plain), existsSync(BUILT) ? 5 : -1);
  });

  // The limit `directWrites`, end to end: a server's text and IRC users get their lines either way;
  // with 1 (the default) past Node, with 0 all through the sockets.
  for (const on of [1, 0]) {
    it(`a server with directWrites=${on}: text and IRC users get every line${on ? ", past Node" : ", through Node"}`, async () => {
      const server = await startTestServer({ ircPort: 0, limits: { directWrites: on } });
      try {
        const ana = await TextClient.join(server.port, "ana");
        const bia = await TextClient.join(server.port, "bia");
        const irc = await IrcClient.register((server.ircAddress as net.AddressInfo).port, "caio");
        for (let i = 0; i < 20; i++) ana.line(`linha ${i}`);
        await bia.waitFor("ana: linha 19");
        await irc.waitFor(/PRIVMSG #lobby :linha 19/);
        for (let i = 0; i < 20; i++) assert.ok(bia.lines.includes(`ana: linha ${i}`), `linha ${i}`);
        const directOf = (name: string) =>
          (server.chat.find(canonicalName(name))?.port as unknown as { directBytes: number }).directBytes;
        if (on && existsSync(BUILT)) {
          assert.ok(directOf("bia") > 0, "text lines went past Node");
          assert.ok(directOf("caio") > 0, "IRC lines went past Node");
        } else assert.equal(directOf("bia") + directOf("caio"), 0, "nothing went past Node");
        ana.close();
        bia.close();
        irc.close();
      } finally {
        await server.close();
      }
    });
  }

  for (const ring of [false, true])
    describe(`one flush to many sockets in one call (DirectBatch${ring ? ", through io_uring" : ", send(2) each"})`, {
      skip: !existsSync(BUILT)
        ? "the helper is not built here"
        : ring && !ringAvailable()
          ? "io_uring is not available to this process"
          : false,
    }, () => {
      /** A BatchWriter over `stream` that counts what was sent past Node. */
      function writer(stream: net.Socket): BatchWriter & { direct: number; settled: number } {
        return {
          stream,
          direct: 0,
          settled: 0,
          sentDirect(n: number) {
            this.direct += n;
            this.settled++;
          },
          writeFailed(err: unknown) {
            throw err;
          },
        };
      }

      it("sends each socket its bytes in one call, past Node, the same line written once into the batch", async () => {
        const pairs = await Promise.all(Array.from({ length: 5 }, () => pair()));
        try {
          const batch = DirectBatch.create(256, ring) as DirectBatch;
          assert.ok(batch, "the helper has writeMany");
          const got = pairs.map((p) => collect(p.client));
          const ws = pairs.map((p) => writer(p.server));
          const line = Buffer.from("ana: oi\n");
          for (const [i, p] of pairs.entries()) {
            const w = ws[i] as ReturnType<typeof writer>;
            if (i < 4) assert.ok(batch.add(w, directFd(p.server), line, [], line.length));
            else assert.ok(batch.add(w, directFd(p.server), Buffer.from("a\n"), [Buffer.from("b\n")], 4));
          }
          assert.equal(batch.size, 5);
          const before = pairs.map((p) => p.server.bytesWritten);
          batch.send();
          assert.equal(batch.size, 0);
          await until(
            () => got.every((g, i) => g.total() === (i < 4 ? line.length : 4)),
            "every socket's bytes",
          );
          for (const [i, g] of got.entries())
            assert.equal(g.bytes().toString(), i < 4 ? "ana: oi\n" : "a\nb\n");
          for (const [i, w] of ws.entries()) {
            assert.equal(w.direct, i < 4 ? line.length : 4, "counted as sent past Node");
            assert.equal(w.settled, 1);
            assert.equal(pairs[i]?.server.bytesWritten, before[i], "Node's stream wrote none of it");
          }
        } finally {
          for (const p of pairs) p.close();
        }
      });

      it("more sockets than one io_uring submission holds (256): every socket gets its own line", async () => {
        const { list, close } = await pairs(300);
        try {
          const batch = DirectBatch.create(undefined, ring) as DirectBatch;
          const got = list.map((p) => collect(p.client));
          const ws = list.map((p) => writer(p.server));
          for (const [i, p] of list.entries()) {
            const line = Buffer.from(`line ${i}\n`);
            assert.ok(
              batch.add(ws[i] as ReturnType<typeof writer>, directFd(p.server), line, [], line.length),
            );
          }
          batch.send();
          await until(() => got.every((g, i) => g.total() === `line ${i}\n`.length), "300 lines");
          for (const [i, g] of got.entries()) assert.equal(g.bytes().toString(), `line ${i}\n`);
          assert.ok(
            ws.every((w, i) => w.direct === `line ${i}\n`.length),
            "each counted as sent past Node",
          );
        } finally {
          close();
        }
      });

      it("refuses what may not go past Node: bytes queued in Node, a replaced write, no descriptor, too large", async () => {
        const { server, close } = await pair();
        try {
          const batch = DirectBatch.create(16, ring) as DirectBatch;
          const w = writer(server);
          const fd = directFd(server);
          assert.equal(batch.add(w, -1, Buffer.from("x\n"), [], 2), false, "no descriptor");
          assert.equal(batch.add(w, fd, Buffer.alloc(17), [], 17), false, "larger than the batch");
          const stubbed = Object.assign(Object.create(server) as net.Socket, { write: () => true });
          assert.equal(batch.add(writer(stubbed), fd, Buffer.from("x\n"), [], 2), false, "a replaced write");
          server.cork();
          server.write("held in Node\n");
          assert.ok(server.writableLength > 0);
          assert.equal(batch.add(w, fd, Buffer.from("x\n"), [], 2), false, "bytes already queued in Node");
          assert.equal(batch.size, 0);
        } finally {
          close();
        }
      });

      it("a full batch is sent before the next entry goes in, and nothing is lost or reordered", async () => {
        const pairs = await Promise.all(Array.from({ length: 3 }, () => pair()));
        try {
          const batch = DirectBatch.create(64, ring) as DirectBatch;
          const got = pairs.map((p) => collect(p.client));
          const want = pairs.map(() => [] as string[]);
          for (let round = 0; round < 10; round++)
            for (const [i, p] of pairs.entries()) {
              const line = `${i}-${round} ${"x".repeat(20)}\n`;
              want[i]?.push(line);
              const w = writer(p.server);
              // Each socket's earlier entry must leave first, as SocketOutbox sees to.
              if (round > 0) batch.send();
              assert.ok(batch.add(w, directFd(p.server), Buffer.from(line), [], line.length));
            }
          batch.send();
          await until(() => got.every((g, i) => g.total() === want[i]?.join("").length), "every line");
          for (const [i, g] of got.entries()) assert.equal(g.bytes().toString(), want[i]?.join(""));
        } finally {
          for (const p of pairs) p.close();
        }
      });

      it("what the kernel does not take goes through the socket's own write, in order, to the last byte", async () => {
        const { server, client, close } = await pair();
        try {
          client.pause();
          const batch = DirectBatch.create(1 << 20, ring) as DirectBatch;
          const out = new SocketOutbox(server, directFd(server), (err) => {
            throw err;
          });
          const sent: Buffer[] = [];
          // Rounds of 64 KiB until the kernel refuses part of one, then more rounds behind it.
          let extra = 0;
          for (let i = 0; extra < 5 && i < 2000; i++) {
            const chunk = Buffer.alloc(64 * 1024, 0x61 + (i % 26));
            sent.push(chunk);
            out.push(chunk);
            out.write(batch);
            batch.send();
            if (server.writableLength > 0) extra++;
          }
          assert.ok(server.writableLength > 0, "the socket's buffers filled");
          assert.ok(out.directBytes > 0, "some went straight to the kernel");
          const got = collect(client);
          client.resume();
          const want = Buffer.concat(sent);
          await until(() => got.total() >= want.length, "every byte", 20_000);
          assert.ok(got.bytes().equals(want), "the same bytes, in order, once");
        } finally {
          close();
        }
      });

      it("an outbox written again before the round's batch is sent sends its batch entry first", async () => {
        const { server, client, close } = await pair();
        try {
          const got = collect(client);
          const batch = DirectBatch.create(undefined, ring) as DirectBatch;
          const out = new SocketOutbox(server, directFd(server), (err) => {
            throw err;
          });
          out.push(Buffer.from("first\n"));
          out.write(batch);
          assert.equal(batch.size, 1, "waiting in the batch");
          // A large reply flushed at once (FLUSH_AT_BYTES), or a close, writes without the batch.
          out.push(Buffer.from("second\n"));
          out.write(null);
          assert.equal(batch.size, 0, "the batch went first");
          out.push(Buffer.from("third\n"));
          out.write(batch);
          out.settle();
          await until(() => got.total() === 19, "three lines");
          assert.equal(got.bytes().toString(), "first\nsecond\nthird\n");
        } finally {
          close();
        }
      });

      it("a socket closed after its entry was added gets nothing; the others still get theirs", async () => {
        const a = await pair();
        const b = await pair();
        try {
          const batch = DirectBatch.create(undefined, ring) as DirectBatch;
          const wa = writer(a.server);
          const wb = writer(b.server);
          const gotB = collect(b.client);
          assert.ok(batch.add(wa, directFd(a.server), Buffer.from("to a\n"), [], 5));
          assert.ok(batch.add(wb, directFd(b.server), Buffer.from("to b\n"), [], 5));
          a.server.destroy();
          batch.send();
          assert.equal(wa.direct, 0);
          assert.equal(wa.settled, 1, "its outbox is told the entry is done");
          await until(() => gotB.total() === 5, "b's line");
          assert.equal(gotB.bytes().toString(), "to b\n");
        } finally {
          a.close();
          b.close();
        }
      });
    });
});
