/**
 * Issue 14: the native helper that writes a flush straight to a socket's descriptor
 * (native/direct_write.c, src/transports/direct-write.ts), over real loopback sockets.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { canonicalName } from "../src/core/nickname.ts";
import { directFd, directWriter, writeDirect } from "../src/transports/direct-write.ts";
import { WriteJoiner } from "../src/transports/outbox.ts";
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
});
