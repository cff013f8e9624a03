/**
 * Issue 13 item 1: bans over real sockets. The operator's console (`runConsoleLine`, and a child
 * process's stdin for the restart) bans names, addresses and networks; text, json, WebSocket and
 * IRC clients from a banned address are refused with one line at accept time; a banned name is
 * refused at registration and on a rename (IRC NICK too); banning a connected user removes them;
 * a ban survives a restart on the same --data directory, and in cluster mode a ban set on node A
 * refuses on node B.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { en } from "../src/i18n/en.ts";
import { ptBR } from "../src/i18n/pt-BR.ts";
import { connectCluster } from "../src/server/cluster.ts";
import { runConsoleLine } from "../src/server/console.ts";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import type { RunningServer } from "../src/server/server.ts";
import { ClientProcess } from "./client-helpers.ts";
import { JsonClient, sleep, startTestServer, type TestServer, TextClient } from "./helpers.ts";
import { IrcClient } from "./irc-helpers.ts";
import { haveRedis, TestRedis } from "./redis-helpers.ts";
import { startWebTestServer, type WebTestServer, WsClient } from "./web-helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WAIT = { ms: 10_000 };

/** Runs an operator console line against `server`; the lines it prints. */
function op(server: RunningServer, line: string): string[] {
  return runConsoleLine(line, { texts: en.server, server, onShutdown: () => {} });
}

describe("bans: refused at accept time and at registration (issue 13)", () => {
  let s: WebTestServer & { ircPort: number };
  const open: { close(): void }[] = [];
  const track = <T extends { close(): void }>(c: T): T => {
    open.push(c);
    return c;
  };

  before(async () => {
    const server = await startWebTestServer({ ircPort: 0 });
    s = Object.assign(server, { ircPort: server.ircAddress?.port ?? 0 });
  });
  after(async () => {
    for (const c of open) c.close();
    await s.close();
  });

  it("an address ban refuses text, json, WebSocket and IRC clients with one line each, and /unban lets them in", async () => {
    assert.match(op(s, "/ban 127.0.0.1 2h go away")[0] ?? "", /^Banned 127\.0\.0\.1 until .* UTC\.$/);
    // Text: one line, then the close, no greeting.
    const text = track(new TextClient(s.port));
    await text.waitClosed(WAIT.ms);
    assert.equal(text.lines.length, 1, text.lines.join("\n"));
    assert.match(text.lines[0] ?? "", /^\*\*\* You are banned from this server until .* UTC: go away$/);
    // Json (speaks first): one json bye.
    const json = track(new JsonClient(s.port));
    await json.text.waitClosed(WAIT.ms);
    assert.equal(json.text.lines.length, 1, json.text.lines.join("\n"));
    const bye = json.events[0];
    assert.equal(bye?.type, "bye");
    assert.equal(bye?.type === "bye" && bye.reason, "banned");
    assert.equal(bye?.type === "bye" && bye.text, "go away");
    assert.ok(bye?.type === "bye" && (bye.until ?? 0) > Date.now());
    // WebSocket: the json bye, then close 1008.
    const ws = track(new WsClient(s.wsUrl, { origin: s.origin }));
    const wsBye = await ws.waitEvent("bye");
    assert.equal(wsBye.reason, "banned");
    assert.equal(await ws.waitClosed(WAIT.ms), 1008);
    assert.deepEqual(
      ws.events.map((e) => e.type),
      ["bye"],
    );
    // IRC: 465 and ERROR.
    const irc = track(new IrcClient(s.ircPort));
    await irc.waitFor(/ 465 \* :You are banned from this server until .* UTC: go away$/, WAIT);
    await irc.waitFor(/^ERROR :Closing link: You are banned/, WAIT);
    await irc.waitClosed(WAIT.ms);
    assert.ok(s.logs.some((l) => l.includes('"reason":"banned"')));
    // Nobody was admitted: nothing counts against the connection limits.
    assert.equal(s.chat.connections, 0);
    // The metrics count each refusal (the WebSocket and IRC ones went through a session).
    assert.ok((s.chat.counters.refusals.banned ?? 0) >= 4);
    assert.deepEqual(op(s, "/bans"), [
      "1 ban:",
      `  127.0.0.1${/ until .* UTC/.exec(op(s, "/bans")[1] ?? "")?.[0]} — go away`,
    ]);
    assert.deepEqual(op(s, "/unban 127.0.0.1"), ["The ban on 127.0.0.1 is lifted."]);
    assert.deepEqual(op(s, "/unban 127.0.0.1"), ["127.0.0.1 is not banned."]);
    const back = track(await TextClient.join(s.port, "ban_back"));
    back.close();
  });

  it("a CIDR ban covers the network, and IPv4 peers on a dual-stack socket (::ffff:) too", async () => {
    op(s, "/ban 127.0.0.0/8");
    const c = track(new TextClient(s.port));
    await c.waitFor("You are banned from this server.", WAIT);
    await c.waitClosed(WAIT.ms);
    op(s, "/unban 127.0.0.0/8");
    op(s, "/ban ::ffff:127.0.0.0/104 mapped");
    assert.deepEqual(op(s, "/bans").slice(1), ["  127.0.0.0/8 (for good) — mapped"]);
    const d = track(new TextClient(s.port));
    await d.waitFor("You are banned from this server: mapped", WAIT);
    op(s, "/unban 127.0.0.0/8");
    assert.deepEqual(op(s, "/bans"), ["Nobody is banned."]);
  });

  it("banning a connected user's name removes them with the reason, like /kick; others are told", async () => {
    const eva = track(await TextClient.join(s.port, "Eva_B"));
    const obs = track(await JsonClient.join(s.port, "ban_obs"));
    assert.deepEqual(op(s, "/ban eva_b 10m trolling"), [
      `Banned eva_b${/ until .* UTC/.exec(op(s, "/bans")[1] ?? "")?.[0]}. Removed: Eva_B.`,
    ]);
    await eva.waitFor(/^\*\*\* You are banned from this server until .* UTC: trolling$/, WAIT);
    await eva.waitClosed(WAIT.ms);
    const left = await obs.waitEvent("left", (e) => e.name === "Eva_B");
    assert.equal(left.reason, "kicked");
    assert.equal(left.text, "trolling");
    op(s, "/unban eva_b");
  });

  it("a banned name is refused at registration, whatever its case or look-alike spelling", async () => {
    op(s, "/ban admin_x no");
    // (A mixed-script spelling such as Cyrillic `аdmin_x` is refused as a name anyway.)
    for (const spelling of ["ADMIN_X", "ａｄｍｉｎ_x", "Admin_X"]) {
      const c = track(new TextClient(s.port));
      await c.waitFor("Choose a name", WAIT);
      c.line(spelling);
      await c.waitFor("*** You are banned from this server: no", WAIT);
      await c.waitClosed(WAIT.ms);
    }
    const j = track(new JsonClient(s.port));
    await j.waitEvent("prompt");
    j.request({ type: "name", name: "Admin_X" });
    const bye = await j.waitEvent("bye");
    assert.equal(bye.reason, "banned");
    await j.text.waitClosed(WAIT.ms);
    // Renaming to it is refused the same way.
    const r = track(await TextClient.join(s.port, "renamer"));
    r.line("/nick admin_X");
    await r.waitFor("*** You are banned from this server: no", WAIT);
    await r.waitClosed(WAIT.ms);
    op(s, "/unban ADMIN_X");
  });

  it("IRC: a banned NICK at registration and a NICK change get 465 and ERROR", async () => {
    op(s, "/ban ircbanned");
    const a = track(new IrcClient(s.ircPort));
    await a.text.ready;
    a.send("NICK IrcBanned");
    a.send("USER x 0 * :x");
    await a.waitFor(/ 465 \S+ :You are banned from this server\.$/, WAIT);
    await a.waitFor(/^ERROR /, WAIT);
    await a.waitClosed(WAIT.ms);
    const b = track(await IrcClient.register(s.ircPort, "ircok"));
    b.send("NICK ircbanned");
    await b.waitFor(/ 465 /, WAIT);
    await b.waitClosed(WAIT.ms);
    op(s, "/unban ircbanned");
  });

  it("IRC: banning a connected IRC user removes them like a kick: KICK, 465, ERROR", async () => {
    const c = track(await IrcClient.register(s.ircPort, "irconline"));
    op(s, "/ban irconline bye");
    await c.waitFor(/ KICK #lobby irconline :bye$/, WAIT);
    await c.waitFor(/ 465 irconline :You are banned from this server: bye$/, WAIT);
    await c.waitFor(/^ERROR :Closing link: You are banned from this server: bye$/, WAIT);
    await c.waitClosed(WAIT.ms);
    op(s, "/unban irconline");
  });

  it("an expired ban stops applying without a restart", async () => {
    op(s, "/ban 127.0.0.1 1s");
    const c = track(new TextClient(s.port));
    await c.waitFor("You are banned", WAIT);
    await sleep(1100);
    const d = track(await TextClient.join(s.port, "after_expiry"));
    d.close();
    assert.deepEqual(op(s, "/bans"), ["Nobody is banned."]);
  });

  it("console: usage, a bad target, and the Portuguese texts", () => {
    assert.deepEqual(op(s, "/ban"), [`Use: ${en.server.consoleUsages.ban}`]);
    assert.match(op(s, "/ban 10.0.0.0/33")[0] ?? "", /neither a name nor an address/);
    assert.match(op(s, "/unban 300.1.2.3")[0] ?? "", /neither a name nor an address/);
    const pt = (line: string) =>
      runConsoleLine(line, { texts: ptBR.server, server: s, onShutdown: () => {} });
    assert.deepEqual(pt("/banir 192.0.2.0/24 7d spam"), [
      `192.0.2.0/24 está banido${/ até .* UTC/.exec(pt("/banidos")[1] ?? "")?.[0]}.`,
    ]);
    assert.match(
      pt("/banidos")[1] ?? "",
      /^ {2}192\.0\.2\.0\/24 até \d\d\/\d\d\/\d{4} \d\d:\d\d UTC — spam$/,
    );
    assert.deepEqual(pt("/desbanir 192.0.2.0/24"), ["O banimento de 192.0.2.0/24 foi retirado."]);
    assert.match(ptBR.chat.bye.banned({ text: "spam" }), /^\*\*\* Você está banido deste servidor: spam$/);
  });
});

describe("bans: a banned address cannot hold many refusals open (issue 13)", () => {
  it("past maxUnregisteredPerAddress refusals in flight, its connections are reset without the line", async () => {
    // The refusal waits greetDelayMs for a json client's first byte: long here, so the first ones stay.
    const s = await startTestServer({ limits: { greetDelayMs: 2000, maxUnregisteredPerAddress: 8 } });
    try {
      op(s, "/ban 127.0.0.1");
      const clients = Array.from({ length: 20 }, () => new TextClient(s.port));
      await Promise.all(clients.map((c) => c.waitClosed(WAIT.ms)));
      const told = clients.filter(
        (c) => c.lines.length === 1 && c.lines[0] === "*** You are banned from this server.",
      );
      const silent = clients.filter((c) => c.lines.length === 0);
      assert.equal(told.length, 8);
      assert.equal(silent.length, 12);
      assert.equal(s.chat.connections, 0);
    } finally {
      await s.close();
    }
  });
});

describe("bans: the terminal client (issue 13)", () => {
  it("papo connect to a banned address shows the line and exits 1", {
    timeout: 60_000,
  }, async () => {
    const s = await startTestServer();
    const c = new ClientProcess([`127.0.0.1:${s.port}`, "--name", "ana", "--no-color"]);
    try {
      op(s, "/ban 127.0.0.1 go away");
      await c.waitFor("*** You are banned from this server: go away");
      assert.equal(await c.exitCode(), 1);
    } finally {
      c.kill();
      await s.close();
    }
  });
});

/** Children started here, killed at the end if a failed test left one running. */
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** `papo serve --data DIR` as a child process, its console on stdin. */
async function serveChild(dir: string) {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli.ts",
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--no-http",
      "--data",
      dir,
    ],
    { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, LANG: "en_US.UTF-8", LC_ALL: "" } },
  );
  children.add(child);
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d) => {
    out += d;
  });
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!/listening on 127\.0\.0\.1:\d+/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start: ${out}`);
    await sleep(20);
  }
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  return { child, port, out: () => out, exited };
}

describe("bans are stored (issue 13)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "papo-bans-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a ban survives a restart of the server on the same --data directory (SQLite)", {
    timeout: 90_000,
  }, async () => {
    const first = await serveChild(dir);
    first.child.stdin.write("/ban 127.0.0.1 1d still banned\n");
    const deadline = Date.now() + 10_000;
    while (!/Banned 127\.0\.0\.1/.test(first.out())) {
      if (Date.now() > deadline) throw new Error(first.out());
      await sleep(20);
    }
    first.child.kill("SIGTERM");
    assert.equal(await first.exited, 0);
    const second = await serveChild(dir);
    const c = new TextClient(second.port);
    await c.waitFor(/^\*\*\* You are banned from this server until .* UTC: still banned$/, WAIT);
    await c.waitClosed(WAIT.ms);
    second.child.stdin.write("/bans\n");
    while (!/1 ban:\n {2}127\.0\.0\.1 until/.test(second.out())) await sleep(20);
    second.child.kill("SIGTERM");
    assert.equal(await second.exited, 0);
  });
});

const skipRedis = !haveRedis() && !process.env.CI ? "redis-server is not installed" : false;

describe("bans in cluster mode (issue 13)", { skip: skipRedis }, () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  const open: { close(): void }[] = [];

  async function node(): Promise<TestServer> {
    const cluster = await connectCluster(redis.url, DEFAULT_LIMITS, () => {});
    return startTestServer({ cluster });
  }

  before(async () => {
    redis = await TestRedis.start();
    a = await node();
    b = await node();
  });
  after(async () => {
    for (const c of open) c.close();
    await a?.close();
    await b?.close();
    await redis?.close();
  });

  it("a name banned on node A removes its user on node B and refuses it there", async () => {
    const bob = await TextClient.join(b.port, "bob_c");
    open.push(bob);
    // Node A knows bob_c is online (on B) once B's join has reached it.
    while (!a.chat.lobby.names.has("bob_c")) await sleep(20);
    const lines = op(a, "/ban BOB_C spam");
    assert.deepEqual(lines, ["Banned BOB_C. Removed: bob_c."]);
    await bob.waitFor("*** You are banned from this server: spam", WAIT);
    await bob.waitClosed(WAIT.ms);
    const again = new TextClient(b.port);
    open.push(again);
    await again.waitFor("Choose a name", WAIT);
    again.line("bob_c");
    await again.waitFor("You are banned", WAIT);
  });

  it("an address banned on node A refuses on node B, and a node started later knows it", async () => {
    op(a, "/ban 127.0.0.1 cluster-wide");
    const deadline = Date.now() + 10_000;
    while (!b.chat.bans.address("127.0.0.1:1")) {
      if (Date.now() > deadline) throw new Error("node B never learned the ban");
      await sleep(20);
    }
    const c = new TextClient(b.port);
    open.push(c);
    await c.waitFor("*** You are banned from this server: cluster-wide", WAIT);
    const late = await node();
    try {
      const d = new TextClient(late.port);
      open.push(d);
      await d.waitFor("You are banned", WAIT);
    } finally {
      await late.close();
    }
    op(a, "/unban 127.0.0.1");
    while (b.chat.bans.address("127.0.0.1:1")) await sleep(20);
    const e = await TextClient.join(b.port, "back_on_b");
    e.close();
  });
});
