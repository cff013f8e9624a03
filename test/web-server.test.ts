/**
 * The web side of `papo serve` without a browser (issue 3; ROBUSTNESS G31-G33): static files
 * with a strict CSP, the WebSocket endpoint's Origin check, size caps, close codes, heartbeat,
 * send queue and shutdown, and the same json schema as TCP json mode.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { normalizeOrigin, originAllowed, wsMaxPayload } from "../src/transports/websocket.ts";
import { JsonClient, sleep, startTestServer, TextClient } from "./helpers.ts";
import { startWebTestServer, type WebTestServer, WsClient } from "./web-helpers.ts";

/** A raw HTTP request, so paths reach the server exactly as written (fetch would normalise them). */
function rawGet(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let out = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      out += d;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(out));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  });
}

describe("web server: static files", () => {
  let dir: string;
  let server: WebTestServer;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "papo-web-"));
    await writeFile(path.join(dir, "index.html"), "<!doctype html><title>t</title>");
    await writeFile(path.join(dir, "app.js"), "export {};\n");
    await writeFile(path.join(dir, "app.css"), "body{}\n");
    await writeFile(path.join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
    await mkdir(path.join(dir, "sub"));
    server = await startWebTestServer({ webRoot: dir });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the app with the right content types and a strict Content-Security-Policy", async () => {
    const res = await fetch(`${server.origin}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(await res.text(), "<!doctype html><title>t</title>");
    for (const [file, type] of [
      ["app.js", "text/javascript; charset=utf-8"],
      ["app.css", "text/css; charset=utf-8"],
      ["favicon.svg", "image/svg+xml"],
    ] as const) {
      const r = await fetch(`${server.origin}/${file}`);
      assert.equal(r.status, 200, file);
      assert.equal(r.headers.get("content-type"), type, file);
      await r.arrayBuffer();
    }
  });

  it("answers 304 to a matching ETag, and HEAD without a body", async () => {
    const first = await fetch(`${server.origin}/app.js`);
    await first.arrayBuffer();
    const etag = first.headers.get("etag") ?? "";
    assert.ok(etag);
    const again = await fetch(`${server.origin}/app.js`, { headers: { "If-None-Match": etag } });
    assert.equal(again.status, 304);
    const head = await fetch(`${server.origin}/app.js`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "11");
  });

  it("404 for unknown files and folders, 405 for other methods, 426 for /ws without an upgrade", async () => {
    assert.equal((await fetch(`${server.origin}/nope.js`)).status, 404);
    assert.equal((await fetch(`${server.origin}/sub`)).status, 404);
    const post = await fetch(`${server.origin}/`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    assert.equal((await fetch(`${server.origin}/ws`)).status, 426);
  });

  it("never serves a file outside the web root", async () => {
    for (const target of [
      "/../package.json",
      "/..%2fpackage.json",
      "/%2e%2e/%2e%2e/package.json",
      "/sub/..%2f..%2fpackage.json",
      "/..\\package.json",
      "/%00index.html",
    ]) {
      const res = await rawGet(server.httpPort, target);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(res)?.[1]);
      assert.ok(status === 400 || status === 404, `${target}: ${res.split("\r\n")[0]}`);
      assert.doesNotMatch(res, /"name": "papo"/, target);
    }
  });

  it("says the web app is not built when its directory is missing", async () => {
    const bare = await startWebTestServer({ webRoot: path.join(dir, "missing") });
    const res = await fetch(`${bare.origin}/`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build/);
    await bare.close();
  });

  it("a server without httpPort has no HTTP listener (the CLI's --no-http)", async () => {
    const plain = await startTestServer();
    assert.equal(plain.httpAddress, undefined);
    assert.equal(plain.http, undefined);
    await plain.close();
  });
});

describe("web server: the WebSocket endpoint", () => {
  let server: WebTestServer;
  before(async () => {
    server = await startWebTestServer({ allowOrigins: ["https://chat.example.org"] });
  });
  after(async () => {
    await server.close();
  });

  it("G32: the Origin rule — same host and port, listed origins, and clients without Origin", () => {
    const host = "192.168.1.7:7780";
    assert.ok(originAllowed("http://192.168.1.7:7780", host, []));
    assert.ok(originAllowed("https://192.168.1.7:7780", host, []));
    assert.ok(originAllowed(undefined, host, []));
    assert.ok(!originAllowed("http://192.168.1.7:8080", host, []));
    assert.ok(!originAllowed("http://evil.example", host, []));
    assert.ok(!originAllowed("null", host, []));
    assert.ok(!originAllowed("http://192.168.1.7:7780", undefined, []));
    assert.ok(originAllowed("https://chat.example.org", host, ["https://chat.example.org/"]));
    assert.equal(normalizeOrigin("https://Chat.Example.org:443/x"), "https://chat.example.org");
    assert.equal(normalizeOrigin("ftp://x"), undefined);
  });

  it("G32: a cross-origin handshake is refused with 403 before the upgrade; same origin is let in", async () => {
    const evil = new WsClient(server.wsUrl, { origin: "http://evil.example" });
    await assert.rejects(evil.opened, (err: Error & { statusCode?: number }) => err.statusCode === 403);
    const otherPort = new WsClient(server.wsUrl, { origin: "http://127.0.0.1:1" });
    await assert.rejects(otherPort.opened, (err: Error & { statusCode?: number }) => err.statusCode === 403);
    assert.ok(server.logs.some((l) => l.includes("ws_origin_refused") && l.includes("evil.example")));
    const same = new WsClient(server.wsUrl, { origin: server.origin });
    await same.opened;
    const listed = new WsClient(server.wsUrl, { origin: "https://chat.example.org" });
    await listed.opened;
    // A program (no Origin header) cannot ride on a browser user's session, so it is let in.
    const bot = new WsClient(server.wsUrl);
    await bot.opened;
    for (const c of [same, listed, bot]) c.close();
  });

  it("refuses upgrades on any path but /ws", async () => {
    const c = new WsClient(`ws://127.0.0.1:${server.httpPort}/chat`, { origin: server.origin });
    await assert.rejects(c.opened, (err: Error & { statusCode?: number }) => err.statusCode === 404);
  });

  it("speaks the TCP json schema: one JSON object per message, the same bytes as a json line", async () => {
    const web = new WsClient(server.wsUrl, { origin: server.origin });
    await web.opened;
    // Greeted at once, in JSON (no text greeting to skip, unlike TCP).
    assert.equal((await web.waitEvent("hello")).protocol, 1);
    await web.waitEvent("prompt", (e) => e.need === "name");
    web.request({ type: "name", name: "web_ana" });
    const welcome = await web.waitEvent("welcome");
    assert.equal(welcome.name, "web_ana");
    assert.match(welcome.address ?? "", /^127\.0\.0\.1:\d+$/);

    const tcp = await JsonClient.join(server.port, "tcp_bob");
    const nc = await TextClient.join(server.port, "nc_carla");
    await web.waitEvent("joined", (e) => e.name === "nc_carla");
    nc.line("hello from nc");
    await web.waitEvent("message", (e) => e.text === "hello from nc");
    await tcp.waitEvent("message", (e) => e.text === "hello from nc");
    // The same broadcast reaches TCP json and WebSocket as the same JSON text (encoded once).
    const wsRaw = web.raw.find((r) => r.includes("hello from nc"));
    const tcpRaw = tcp.text.lines.find((l) => l.includes("hello from nc"));
    assert.ok(wsRaw && tcpRaw);
    assert.equal(wsRaw, tcpRaw);
    assert.ok(!wsRaw.endsWith("\n"));

    web.say("oi do navegador");
    // Like TCP json mode, the sender gets its own public message back.
    await web.waitEvent("message", (e) => e.from === "web_ana" && e.text === "oi do navegador");
    await tcp.waitEvent("message", (e) => e.from === "web_ana");
    await nc.waitFor("web_ana: oi do navegador");
    web.say("@tcp_bob psst");
    const priv = await tcp.waitEvent("private", (e) => e.text === "psst");
    assert.deepEqual([priv.from, priv.to], ["web_ana", "tcp_bob"]);
    await web.waitEvent("private", (e) => e.text === "psst");
    web.request({ type: "ping", id: 7 });
    assert.equal((await web.waitEvent("pong")).id, 7);
    web.say("/quit tchau");
    assert.equal((await web.waitEvent("bye")).reason, "quit");
    assert.equal(await web.waitClosed(), 1000);
    const left = await tcp.waitEvent("left", (e) => e.name === "web_ana");
    assert.deepEqual([left.reason, left.text], ["quit", "tchau"]);
    tcp.close();
    nc.close();
  });

  it("issue 10 item 3: a /me resent with the same cid (after a reconnect) is posted once, echoed with its cid", async () => {
    const ana = await WsClient.join(server, "me_ana");
    const bob = await WsClient.join(server, "me_bob");
    ana.request({ type: "line", text: "/me acena", cid: "me-1" });
    ana.request({ type: "line", text: "/me acena", cid: "me-1" });
    ana.request({ type: "line", text: "marker", cid: "me-2" });
    const echo = await ana.waitEvent("action", (e) => e.from === "me_ana");
    assert.equal(echo.cid, "me-1");
    await bob.waitEvent("message", (e) => e.text === "marker");
    assert.equal(bob.events.filter((e) => e.type === "action" && e.text === "acena").length, 1);
    ana.close();
    bob.close();
  });

  it("answers bad requests with error events and keeps the connection", async () => {
    const c = new WsClient(server.wsUrl, { origin: server.origin });
    await c.waitEvent("prompt");
    c.ws.send("not json");
    await c.waitEvent("error", (e) => e.code === "bad_json");
    c.request({ type: "frobnicate" });
    await c.waitEvent("error", (e) => e.code === "bad_request");
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await c.waitEvent("error", (e) => e.code === "bad_request", { from: 4 });
    c.say("before a name");
    await c.waitEvent("error", (e) => e.code === "not_registered");
    c.request({ type: "name", name: "has space" });
    await c.waitEvent("error", (e) => e.code === "name_invalid" && e.params.reason === "space");
    // Over maxLineBytes (but under the hard cap): refused like a long TCP line, connection kept.
    c.say("x".repeat(DEFAULT_LIMITS.maxLineBytes));
    const tooLong = await c.waitEvent("error", (e) => e.code === "line_too_long");
    assert.deepEqual(tooLong.params, { limit: DEFAULT_LIMITS.maxLineBytes });
    c.request({ type: "name", name: "still_here" });
    await c.waitEvent("welcome");
    assert.equal(c.closed, undefined);
    c.close();
  });

  it("G31: a message over the hard cap closes with 1009; so does a fragmented one", async () => {
    const cap = wsMaxPayload(DEFAULT_LIMITS);
    const big = await WsClient.join(server, "g31_big");
    big.ws.send("x".repeat(cap + 1));
    assert.equal(await big.waitClosed(), 1009);
    const frag = await WsClient.join(server, "g31_frag");
    const piece = "y".repeat(Math.ceil(cap / 4));
    for (let i = 0; i < 5; i++) frag.ws.send(piece, { fin: i === 4 });
    assert.equal(await frag.waitClosed(), 1009);
    // Many tiny fragments are capped too (ws's maxFragments): 1008.
    const tiny = await WsClient.join(server, "g31_tiny");
    for (let i = 0; i < 100; i++) tiny.ws.send("z", { fin: false });
    assert.equal(await tiny.waitClosed(), 1008);
    // The names are free again at once (S10).
    const again = await WsClient.join(server, "g31_big");
    again.close();
  });

  it("G33: an invalid UTF-8 text frame closes with 1007 and nothing is relayed", async () => {
    const watcher = await JsonClient.join(server.port, "g33_watch");
    const bad = await WsClient.join(server, "g33_bad");
    await watcher.waitEvent("joined", (e) => e.name === "g33_bad");
    // ws sends a Buffer as a text frame without checking it: the server must.
    bad.ws.send(Buffer.from('{"type":"line","text":"\xff\xfe"}', "latin1"), { binary: false });
    assert.equal(await bad.waitClosed(), 1007);
    const left = await watcher.waitEvent("left", (e) => e.name === "g33_bad");
    assert.equal(left.reason, "disconnected");
    assert.ok(!watcher.events.some((e) => e.type === "message"));
    watcher.close();
  });

  it("limits connections per address like every other transport (shared admission)", async () => {
    const strict = await startWebTestServer({ limits: { exemptLoopback: 0, maxUnregisteredPerAddress: 1 } });
    const first = new WsClient(strict.wsUrl, { origin: strict.origin });
    await first.waitEvent("prompt");
    const second = new WsClient(strict.wsUrl, { origin: strict.origin });
    assert.equal((await second.waitEvent("bye")).reason, "too_many_connections");
    assert.equal(await second.waitClosed(), 1008);
    first.close();
    await strict.close();
  });
});

describe("web server: dead browsers, slow browsers, shutdown", () => {
  it("G33: a browser that stops answering pings is dropped and its name freed", async () => {
    const server = await startWebTestServer({ heartbeatMs: 100 });
    const watcher = await JsonClient.join(server.port, "hb_watch");
    const alive = await WsClient.join(server, "hb_alive");
    // autoPong off: the socket stays open but never answers, like a laptop with its lid closed.
    const ghost = await WsClient.join(server, "hb_ghost", { autoPong: false });
    const started = Date.now();
    const left = await watcher.waitEvent("left", (e) => e.name === "hb_ghost", { ms: 3000 });
    assert.equal(left.reason, "disconnected");
    assert.ok(Date.now() - started < 1500, "dropped within a few heartbeats");
    await ghost.waitClosed();
    assert.ok(server.logs.some((l) => l.includes("ping_timeout")));
    // A browser that answers stays; the ghost's name is free again.
    assert.equal(alive.closed, undefined);
    const back = await WsClient.join(server, "hb_ghost");
    back.close();
    alive.close();
    watcher.close();
    await server.close();
  });

  it("E25: a browser that does not read is disconnected alone (send_queue_exceeded)", async () => {
    const server = await startWebTestServer({ limits: { maxSendQueueBytes: 64 * 1024 } });
    const slow = await WsClient.join(server, "slow_reader");
    slow.ws.pause();
    const text = "n".repeat(1500);
    // Far more than the loopback socket buffers hold, so the server's own queue must grow.
    for (let i = 0; i < 20_000 && slow.closed === undefined; i++) {
      server.chat.announce(text);
      if (server.logs.some((l) => l.includes("send_queue_exceeded"))) break;
      if (i % 500 === 0) await sleep(0);
    }
    assert.ok(server.logs.some((l) => l.includes("send_queue_exceeded") && l.includes("slow_reader")));
    assert.equal(server.chat.online, 0);
    // Everyone else carries on.
    const canary = await WsClient.join(server, "canary");
    slow.close();
    canary.close();
    await server.close();
  });

  it("S11: on shutdown every browser gets bye shutdown with the reason, then close 1001", async () => {
    const server = await startWebTestServer();
    const a = await WsClient.join(server, "sd_a");
    const waiting = new WsClient(server.wsUrl, { origin: server.origin });
    await waiting.waitEvent("prompt");
    const closed = server.close("manutenção às 18h");
    const bye = await a.waitEvent("bye");
    assert.deepEqual([bye.reason, bye.text], ["shutdown", "manutenção às 18h"]);
    assert.equal(await a.waitClosed(), 1001);
    assert.equal((await waiting.waitEvent("bye")).reason, "shutdown");
    await waiting.waitClosed();
    await closed;
    assert.equal(server.http?.listening, false);
  });
});
