/**
 * Issue 9: faults that cost everyone, found by fault injection against servers in a child process
 * (a low descriptor limit for item 1).
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { endianness, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import tls from "node:tls";
import { parseLimitOverrides } from "../src/server/limits.ts";
import { parseProcNetTcp, type TcpRow } from "../src/transports/proc-net-tcp.ts";
import {
  assertCanaryChats,
  type ChildServer,
  type FaultServer,
  haveOpenssl,
  makeSelfSignedCert,
  Peer,
  sleep,
  startChildServer,
  startFaultServer,
} from "./fault-helpers.ts";
import { WsClient } from "./web-helpers.ts";

const linux = process.platform === "linux";

/** A web root whose index.html is larger than the socket buffers, so a response is never done at once. */
function bigWebRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), "papo-web-"));
  writeFileSync(
    join(dir, "index.html"),
    `<!doctype html><title>papo</title>${"<p>papo</p>".repeat(100_000)}\n`,
  );
  return dir;
}

/** Sends `GET /` and closes the connection as soon as the response starts, without reading it. */
function abandonedGet(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => resolve());
    s.once("data", () => {
      s.destroy();
      resolve();
    });
    s.on("close", () => resolve());
    s.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
}

/** `n` json users join at once; returns how many got their welcome. */
async function joinMany(port: number, prefix: string, n: number): Promise<{ joined: number; peers: Peer[] }> {
  const results = await Promise.allSettled(
    Array.from({ length: n }, (_, i) => Peer.joinJson(port, `${prefix}${i}`)),
  );
  const peers = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  return { joined: peers.length, peers };
}

describe("issue 9 item 1: file descriptors (server in a child process with a low descriptor limit)", {
  skip: linux ? false : "counts descriptors in /proc/self/fd (Linux only)",
}, () => {
  const children: ChildServer[] = [];
  after(async () => {
    for (const c of children) await c.stop();
  });

  it("item 1: 300 page loads abandoned mid-response leak no descriptor; 20 chat users still join", async () => {
    const child = await startChildServer({}, { extra: { httpPort: 0, webRoot: bigWebRoot() }, nofile: 256 });
    children.push(child);
    const httpPort = child.httpPort as number;
    const before = (await child.stats()).fds;
    for (let round = 0; round < 15; round++)
      await Promise.all(Array.from({ length: 20 }, () => abandonedGet(httpPort)));
    // Let the server see every close.
    await sleep(300);
    const afterLoads = (await child.stats()).fds;
    assert.ok(afterLoads <= before + 10, `descriptors went from ${before} to ${afterLoads}`);
    const { joined, peers } = await joinMany(child.port, "fd_user", 20);
    assert.equal(joined, 20, `only ${joined} of 20 users could join`);
    await assertCanaryChats(child.port, peers[0]);
    for (const p of peers) p.close();
  });

  it("item 1: out of descriptors (EMFILE), the server stays up, keeps its listeners, and recovers", async () => {
    const child = await startChildServer({}, { extra: { httpPort: 0, webRoot: bigWebRoot() }, nofile: 96 });
    children.push(child);
    // Far more connections than the server has descriptors for.
    // Libuv answers EMFILE by closing what it cannot accept: such a holder is closed unanswered.
    let refused = 0;
    const holders = Array.from({ length: 150 }, () => {
      const s = net.connect(child.port, "127.0.0.1");
      let greeted = false;
      s.on("data", () => {
        greeted = true;
      });
      s.on("error", () => {});
      s.on("close", () => {
        if (!greeted) refused++;
      });
      return s;
    });
    await sleep(1500);
    assert.equal(child.child.exitCode, null, "the server exited");
    assert.ok(refused > 0, "the descriptors did not run out: the test proves nothing");
    // A page load while out of descriptors fails or is refused, and costs nothing afterwards.
    await abandonedGet(child.httpPort as number);
    for (const s of holders) s.destroy();
    await sleep(500);
    assert.equal(child.child.exitCode, null, "the server exited");
    const { joined, peers } = await joinMany(child.port, "emfile_user", 10);
    assert.equal(joined, 10, `only ${joined} of 10 users could join after the descriptors came back`);
    await assertCanaryChats(child.port, peers[0]);
    for (const p of peers) p.close();
    const res = await fetch(`http://127.0.0.1:${child.httpPort}/`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });
});

describe("issue 9 item 1: a failed accept is not fatal", () => {
  it("item 1: an accept error (EMFILE) on any listener is logged; the server keeps serving", async () => {
    const server = await startFaultServer({}, { httpPort: 0, webRoot: bigWebRoot() });
    try {
      const emfile = () => Object.assign(new Error("accept EMFILE"), { code: "EMFILE", syscall: "accept" });
      // What net.Server does when libuv reports a failed accept; without a listener it throws.
      server.tcp.emit("error", emfile());
      server.http?.emit("error", emfile());
      assert.equal(server.logs.filter((l) => l.event === "accept_failed").length, 2);
      await assertCanaryChats(server.port);
    } finally {
      await server.close();
    }
  });
});

describe("issue 9 item 5: limit names", () => {
  it("item 5: --limit names that Object.prototype has (toString, constructor, ...) are unknown limits", () => {
    for (const name of ["toString", "constructor", "hasOwnProperty", "__proto__", "valueOf"])
      assert.throws(() => parseLimitOverrides([`${name}=1`]), /unknown limit|bad --limit/, name);
    assert.equal(parseLimitOverrides(["floodBurst=3"]).floodBurst, 3);
  });
});

describe("issue 9 item 4: flood control before a name", () => {
  it("item 4: 5000 json line requests before a name are paced like any line, not answered 5000 times", async () => {
    const server = await startFaultServer();
    try {
      const p = await Peer.json(server.port);
      const from = p.rawLines.length;
      const started = Date.now();
      p.send(`${JSON.stringify({ type: "line", text: "x" })}\n`.repeat(5000));
      // Flood control (issue 10's pacing) holds what is over the budget and cuts a sender whose
      // backlog passes its caps (here: bye flood after the burst).
      await sleep(1000);
      const answers = p.events.slice(from).filter((e) => e.type === "error" && e.code === "not_registered");
      const seconds = (Date.now() - started) / 1000;
      // floodBurst (8) at once, then 2 a second (floodIntervalMs 500).
      assert.ok(
        answers.length <= 8 + Math.ceil(seconds * 2) + 1,
        `${answers.length} answers in ${seconds} s`,
      );
      p.close();
      await assertCanaryChats(server.port);
    } finally {
      await server.close();
    }
  });

  it("item 4: 5000 json pings and hellos (answered requests) are paced too, not answered 5000 times", async () => {
    const server = await startFaultServer();
    try {
      const p = await Peer.json(server.port);
      const from = p.rawLines.length;
      const started = Date.now();
      p.send(
        `${JSON.stringify({ type: "ping", id: 1 })}\n${JSON.stringify({ type: "hello", protocol: 1 })}\n`.repeat(
          2500,
        ),
      );
      await sleep(1000);
      const answers = p.events.slice(from).filter((e) => e.type === "pong" || e.type === "hello");
      const seconds = (Date.now() - started) / 1000;
      assert.ok(
        answers.length <= 8 + Math.ceil(seconds * 2) + 1,
        `${answers.length} answers in ${seconds} s`,
      );
      p.close();
      await assertCanaryChats(server.port);
    } finally {
      await server.close();
    }
  });
});

/** True when `cmd` runs (`ss`, `ip`: iproute2). */
function have(cmd: string, args: string[] = ["-V"]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("issue 9 item 7: the listen backlog", {
  skip: linux && have("ss") ? false : "reads the backlog with ss (iproute2, Linux)",
}, () => {
  it("item 7: every listener (chat, TLS, web) listens with the listenBacklog limit, not Node's 511", async () => {
    const { cert, key } = makeSelfSignedCert();
    const server = await startFaultServer(
      { listenBacklog: 1000 },
      { httpPort: 0, tls: { cert, key, port: 0 } },
    );
    try {
      for (const port of [server.port, server.tlsAddress?.port, server.httpAddress?.port]) {
        const out = execFileSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8" });
        // State Recv-Q Send-Q ...: for a listener Send-Q is its backlog.
        const backlog = Number(out.trim().split(/\s+/)[2]);
        assert.equal(backlog, 1000, `port ${port}: ${out}`);
      }
    } finally {
      await server.close();
    }
  });
});

/** The server's side of the connection whose client is bound to `clientPort` (Linux). */
function serverSide(serverPort: number, clientPort: number): TcpRow | undefined {
  const little = endianness() === "LE";
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const row = parseProcNetTcp(text, little).find(
      (r) => r.localPort === serverPort && r.remotePort === clientPort,
    );
    if (row) return row;
  }
  return undefined;
}

describe("issue 9 item 6: a cut reader is reset, not left in FIN-WAIT-1", {
  skip: linux ? false : "reads socket states in /proc/net/tcp (Linux only)",
}, () => {
  const flood = { floodBurst: 100_000, floodIntervalMs: 1 };

  /** Fills a paused reader's buffers: `tx` talks until `until` says stop. */
  async function talk(tx: Peer, canary: Peer, until: () => boolean): Promise<void> {
    const line = `${"z".repeat(1900)}\n`;
    for (let i = 0; i < 400 && !until(); i++) {
      const from = canary.rawLines.length;
      tx.send(`${i} ${line}`.repeat(50));
      await canary.waitLine((l) => l.includes("zzzz"), { from, ms: 10_000 });
      await sleep(5);
    }
  }

  it("item 6: send_queue_exceeded resets the reader at once: no FIN-WAIT-1 with its unread bytes", async () => {
    const server = await startFaultServer({ ...flood, maxSendQueueBytes: 256 * 1024 });
    try {
      const slow = await Peer.joinJson(server.port, "i6_slow");
      slow.socket.pause();
      const canary = await Peer.joinJson(server.port, "i6_canary");
      const tx = await Peer.joinText(server.port, "i6_tx");
      await talk(tx, canary, () => server.logs.some((l) => l.event === "send_queue_exceeded"));
      await canary.waitEvent("left", (e) => e.name === "i6_slow");
      await sleep(200);
      const row = serverSide(server.port, slow.socket.localPort as number);
      assert.ok(
        row === undefined,
        `the server's side is still there, state ${row?.state}, ${row?.txQueue} bytes queued`,
      );
      slow.close();
      canary.close();
      tx.close();
    } finally {
      await server.close();
    }
  });

  it("item 6: a reader that has not taken its bye within the grace period is reset (shutdown)", async () => {
    const server = await startFaultServer({
      ...flood,
      maxSendQueueBytes: 64 * 1024 * 1024,
      shutdownGraceMs: 300,
    });
    const slow = await Peer.joinJson(server.port, "i6_stalled");
    slow.socket.pause();
    const canary = await Peer.joinJson(server.port, "i6_canary2");
    const tx = await Peer.joinText(server.port, "i6_tx2");
    // Enough to fill the kernel's buffers both ways, then the server shuts down.
    let rounds = 0;
    await talk(tx, canary, () => ++rounds > 60);
    await server.close();
    await sleep(300);
    const row = serverSide(server.port, slow.socket.localPort as number);
    assert.ok(
      row === undefined,
      `the server's side is still there, state ${row?.state}, ${row?.txQueue} bytes queued`,
    );
    slow.close();
    canary.close();
    tx.close();
  });
});

/** `n` raw TCP connections to `port` from 127.0.0.1 that never send a byte. */
function silentConnections(port: number, n: number): { sockets: net.Socket[]; open: () => number } {
  const sockets = Array.from({ length: n }, () => {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => {});
    return s;
  });
  return { sockets, open: () => sockets.filter((s) => !s.destroyed && s.readyState === "open").length };
}

function refusals(server: FaultServer): number {
  return server.logs.filter((l) => l.event === "refused" && l.fields.reason === "too_many_connections")
    .length;
}

/** Waits until `check` passes; fails with `what()` after `ms`. */
async function until(check: () => boolean, what: () => string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(what());
    await sleep(50);
  }
}

describe("issue 9 item 3: connections without a session count per address", () => {
  it("item 3: 400 unfinished TLS handshakes from one address do not lock out a TLS user from another", async (tc) => {
    if (!haveOpenssl()) return tc.skip("openssl is needed to make a certificate");
    const { cert, key } = makeSelfSignedCert();
    const server = await startFaultServer(
      { exemptLoopback: 0, maxConnections: 300, connectBurst: 0 },
      { tls: { cert, key, port: 0 } },
    );
    const tlsPort = server.tlsAddress?.port as number;
    const attack = silentConnections(tlsPort, 400);
    try {
      // Node closes those past maxConnections (300) itself; papo refuses all but 8 of the rest.
      await until(
        () => refusals(server) >= 300 - 8,
        () => `${refusals(server)} handshakes refused`,
      );
      const user = new Peer(tlsPort, { tls: { ca: cert }, host: "localhost", localAddress: "127.0.0.2" });
      await user.waitLine("Choose a name");
      user.line("tls_user");
      await user.waitLine("Hello, tls_user!");
      user.close();
    } finally {
      for (const s of attack.sockets) s.destroy();
      await server.close();
    }
  });

  it("item 3: web connections that never upgrade count per address and are closed soon", async () => {
    const server = await startFaultServer(
      { exemptLoopback: 0, connectBurst: 0 },
      { httpPort: 0, webRoot: bigWebRoot() },
    );
    const httpPort = server.httpAddress?.port as number;
    const attack = silentConnections(httpPort, 1000);
    try {
      await until(
        () => refusals(server) >= 1000 - 32,
        () => `${refusals(server)} web connections refused`,
      );
      // Another address still gets a WebSocket and joins.
      const ws = new WsClient(`ws://127.0.0.1:${httpPort}/ws`, { localAddress: "127.0.0.2" });
      await ws.opened;
      await ws.waitEvent("prompt");
      ws.request({ type: "name", name: "web_user" });
      await ws.waitEvent("welcome");
      ws.close();
      // The deadline for a request (the upgrade or a page): those left are closed within seconds.
      const deadline = Date.now() + 20_000;
      while (attack.open() > 0 && Date.now() < deadline) await sleep(200);
      assert.equal(attack.open(), 0, "idle web connections outlived the headers deadline");
    } finally {
      for (const s of attack.sockets) s.destroy();
      await server.close();
    }
  });
});

/**
 * A TCP relay between a client and the server that can stop forwarding: it then reads nothing
 * from either side, as a hung client would (no privileges needed). The kernel still acknowledges
 * what fits in the relay's buffers, so the server sees a peer whose queue stops moving.
 */
async function startRelay(target: number): Promise<{ port: number; freeze(): void; close(): void }> {
  const pairs: net.Socket[][] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    pairs.push([client, upstream]);
    for (const s of [client, upstream]) s.on("error", () => {});
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      for (const pair of pairs)
        for (const s of pair) {
          s.unpipe();
          s.pause();
        }
    },
    close() {
      for (const pair of pairs) for (const s of pair) s.destroy();
      server.close();
    },
  };
}

/** Talks in the room through `tx` (text mode) until `done()`, paced by `rx` (json) keeping up. */
async function busyRoom(
  tx: Peer,
  rx: Peer,
  done: () => boolean,
  { lines = 50, bytes = 1900, ms = 60_000 } = {},
) {
  const deadline = Date.now() + ms;
  for (let i = 0; !done() && Date.now() < deadline; i++) {
    const from = rx.rawLines.length;
    tx.send(`${i} ${"z".repeat(bytes)}\n`.repeat(lines));
    await rx.waitLine((l) => l.includes(`"text":"${i} `), { from, ms: 10_000 });
    await sleep(20);
  }
}

/**
 * Stops the relay, then keeps the room busy (tx talking, rx reading) until rx is told that `name`
 * left, or the busy loop gives up. True when the departure was announced.
 */
async function freezeUntilGone(
  relay: { freeze(): void },
  tx: Peer,
  rx: Peer,
  name: string,
): Promise<boolean> {
  relay.freeze();
  let left = false;
  void rx
    .waitEvent("left", (e) => e.name === name, { ms: 60_000 })
    .then(
      () => (left = true),
      () => {},
    );
  await busyRoom(tx, rx, () => left);
  return left;
}

describe("issue 9 item 2: a vanished text user in a busy room is gone within deadPeerTimeoutMs", () => {
  const busy = { floodBurst: 100_000, floodIntervalMs: 1 };

  it("item 2: a text user behind a relay that stops forwarding is dropped, name freed (Node's view)", async () => {
    // The send queue cap is far away: only the dead-peer rule can drop the user.
    const server = await startFaultServer({
      ...busy,
      maxSendQueueBytes: 256 * 1024 * 1024,
      deadPeerTimeoutMs: 2000,
    });
    const relay = await startRelay(server.port);
    try {
      const ghost = await Peer.joinText(relay.port, "i2_ghost");
      const rx = await Peer.joinJson(server.port, "i2_rx");
      const tx = await Peer.joinText(server.port, "i2_tx");
      assert.ok(await freezeUntilGone(relay, tx, rx, "i2_ghost"), "the frozen user still holds the name");
      const found = server.logs.find((e) => e.event === "dead_peer" && e.fields.name === "i2_ghost");
      assert.equal(found?.fields.view, "not_reading", "found by Node's view");
      const again = await Peer.joinText(server.port, "i2_ghost");
      await assertCanaryChats(server.port, rx);
      for (const p of [ghost, rx, tx, again]) p.close();
    } finally {
      relay.close();
      await server.close();
    }
  });

  it("item 2: an IRC user behind a relay that stops forwarding is dropped, name freed", async () => {
    const server = await startFaultServer(
      { ...busy, maxSendQueueBytes: 256 * 1024 * 1024, deadPeerTimeoutMs: 2000 },
      { ircPort: 0 },
    );
    const relay = await startRelay((server.ircAddress as net.AddressInfo).port);
    const irc = net.connect(relay.port, "127.0.0.1");
    try {
      let got = "";
      irc.setEncoding("utf8").on("data", (d: string) => {
        got += d;
      });
      // IRC clients choose their channels: this one joins the busy lobby.
      irc.write("NICK i2_irc\r\nUSER i2_irc 0 * :ghost\r\nJOIN #lobby\r\n");
      for (let i = 0; i < 200 && !/ 366 i2_irc #lobby /.test(got); i++) await sleep(25);
      assert.match(got, / 001 i2_irc /, "the IRC user registered");
      const rx = await Peer.joinJson(server.port, "i2i_rx");
      const tx = await Peer.joinText(server.port, "i2i_tx");
      assert.ok(await freezeUntilGone(relay, tx, rx, "i2_irc"), "the frozen IRC user still holds the name");
      assert.ok(
        server.logs.some(
          (e) => e.event === "dead_peer" && e.fields.name === "i2_irc" && e.fields.transport === "irc",
        ),
        "found by the dead-peer watch",
      );
      const again = await Peer.joinText(server.port, "i2_irc");
      for (const p of [rx, tx, again]) p.close();
    } finally {
      irc.destroy();
      relay.close();
      await server.close();
    }
  });

  it("item 2: an IRC-over-TLS user behind a relay that stops forwarding is dropped, name freed (issue 11)", async (tc) => {
    if (!haveOpenssl()) return tc.skip("openssl is needed to make a certificate");
    const { cert, key } = makeSelfSignedCert();
    const server = await startFaultServer(
      { ...busy, maxSendQueueBytes: 256 * 1024 * 1024, deadPeerTimeoutMs: 2000 },
      { ircTlsPort: 0, tls: { cert, key, port: 0 } },
    );
    const relay = await startRelay((server.ircTlsAddress as net.AddressInfo).port);
    const irc = tls.connect({ host: "127.0.0.1", port: relay.port, ca: cert, servername: "localhost" });
    irc.on("error", () => {});
    try {
      let got = "";
      irc.setEncoding("utf8").on("data", (d: string) => {
        got += d;
      });
      // IRC clients choose their channels: this one joins the busy lobby.
      irc.write("NICK i2_ircs\r\nUSER i2_ircs 0 * :ghost\r\nJOIN #lobby\r\n");
      for (let i = 0; i < 400 && !/ 366 i2_ircs #lobby /.test(got); i++) await sleep(25);
      assert.match(got, / 001 i2_ircs /, "the IRC-over-TLS user registered");
      const rx = await Peer.joinJson(server.port, "i2s_rx");
      const tx = await Peer.joinText(server.port, "i2s_tx");
      assert.ok(
        await freezeUntilGone(relay, tx, rx, "i2_ircs"),
        "the frozen IRC/TLS user still holds the name",
      );
      assert.ok(
        server.logs.some(
          (e) => e.event === "dead_peer" && e.fields.name === "i2_ircs" && e.fields.transport === "irc",
        ),
        "found by the dead-peer watch",
      );
      const again = await Peer.joinText(server.port, "i2_ircs");
      for (const p of [rx, tx, again]) p.close();
    } finally {
      irc.destroy();
      relay.close();
      await server.close();
    }
  });
});

/** Runs `ip` with arguments; throws on failure. */
function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "ignore" });
}

/**
 * A network namespace joined to this one by a veth pair: a "machine" on the LAN whose cable can be
 * pulled (its link set down: every packet dropped, no FIN, no RST). Needs root (CAP_NET_ADMIN).
 */
function makeLan():
  | { hostIp: string; run(script: string): ChildProcess; pullCable(): void; remove(): void }
  | undefined {
  if (!linux || process.getuid?.() !== 0 || !have("ip")) return undefined;
  const id = process.pid % 100_000;
  const ns = `papo-dp-${id}`;
  const host = `pdh${id}`;
  const peer = `pdc${id}`;
  const net3 = `10.213.${id % 250}`;
  try {
    ip("netns", "add", ns);
  } catch {
    return undefined;
  }
  const remove = () => {
    try {
      ip("netns", "del", ns);
    } catch {}
    try {
      ip("link", "del", host);
    } catch {}
  };
  try {
    ip("link", "add", host, "type", "veth", "peer", "name", peer);
    ip("link", "set", peer, "netns", ns);
    ip("addr", "add", `${net3}.1/30`, "dev", host);
    ip("link", "set", host, "up");
    ip("netns", "exec", ns, "ip", "addr", "add", `${net3}.2/30`, "dev", peer);
    ip("netns", "exec", ns, "ip", "link", "set", peer, "up");
  } catch {
    remove();
    return undefined;
  }
  return {
    hostIp: `${net3}.1`,
    run: (script) =>
      spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      }),
    pullCable: () => ip("netns", "exec", ns, "ip", "link", "set", peer, "down"),
    remove,
  };
}

/** A script for `node -e`: an nc-like user that joins as `name`, says "joined", then only reads. */
function ncUser(host: string, port: number, name: string): string {
  return `const s = require("node:net").connect(${port}, ${JSON.stringify(host)});
let buf = "";
s.on("data", (d) => {
  buf += d;
  if (buf.includes("Choose a name")) { s.write(${JSON.stringify(`${name}\n`)}); buf = ""; }
  if (buf.includes("Hello, ")) { process.stdout.write("joined\\n"); buf = ""; }
  if (buf.length > 1e6) buf = "";
});
s.on("error", () => {});`;
}

describe("issue 9 item 2: a pulled cable (network namespace)", () => {
  const lan = makeLan();
  after(() => lan?.remove());

  it("item 2: a text user whose cable is pulled while others talk is dropped, name freed (kernel's view)", {
    skip: lan ? false : "needs root and `ip netns` (iproute2) to make a LAN with a cable to pull",
  }, async () => {
    const l = lan as NonNullable<typeof lan>;
    const server = await startFaultServer(
      { floodBurst: 100_000, floodIntervalMs: 1, deadPeerTimeoutMs: 3000 },
      { host: l.hostIp },
    );
    const user = l.run(ncUser(l.hostIp, server.port, "i2_lan"));
    try {
      await new Promise<void>((resolve, reject) => {
        user.stdout?.on("data", (d: Buffer) => d.includes("joined") && resolve());
        user.once("exit", () => reject(new Error("the user in the namespace exited")));
        setTimeout(() => reject(new Error("the user in the namespace did not join")), 10_000).unref();
      });
      const rx = await Peer.joinJson(server.port, "i2_lan_rx", { host: l.hostIp });
      const tx = await Peer.joinText(server.port, "i2_lan_tx", { host: l.hostIp });
      l.pullCable();
      let left = false;
      void rx
        .waitEvent("left", (e) => e.name === "i2_lan", { ms: 60_000 })
        .then(
          () => (left = true),
          () => {},
        );
      // A busy room of short lines: the kernel's buffers never fill, only retransmissions show.
      await busyRoom(tx, rx, () => left, { lines: 2, bytes: 60 });
      assert.ok(left, "the vanished user still holds the name");
      const found = server.logs.find((e) => e.event === "dead_peer" && e.fields.name === "i2_lan");
      assert.equal(found?.fields.view, "unacknowledged", "found by the kernel's view");
      const again = await Peer.joinText(server.port, "i2_lan", { host: l.hostIp });
      for (const p of [rx, tx, again]) p.close();
    } finally {
      user.kill("SIGKILL");
      await server.close();
    }
  });
});
