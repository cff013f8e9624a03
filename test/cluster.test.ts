/**
 * Issue 12: two papo nodes (startServer twice, in this process) sharing rooms, names and history
 * through one real redis-server; clients on real sockets, nothing mocked.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { checkRoomName } from "../src/core/room.ts";
import type { RoomEvent, ServerEvent } from "../src/protocol/events.ts";
import { type Cluster, connectCluster } from "../src/server/cluster.ts";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { RedisKeys } from "../src/store/redis.ts";
import { ClientProcess } from "./client-helpers.ts";
import { JsonClient, sleep, startTestServer, type TestServer, TextClient } from "./helpers.ts";
import { IrcClient } from "./irc-helpers.ts";
import { freePort, haveRedis, rawCommand, TestRedis } from "./redis-helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const skip = !haveRedis() && !process.env.CI ? "redis-server is not installed" : false;

const roomEvents = (c: JsonClient, room: string): RoomEvent[] =>
  c.events.filter((e): e is RoomEvent => "seq" in e && (e as RoomEvent).room === room);

describe("two papo nodes on one Redis", { skip }, () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  const clients: { close(): void }[] = [];
  const track = <T extends { close(): void }>(c: T): T => {
    clients.push(c);
    return c;
  };

  async function node(name: string, extra: { ircPort?: number } = {}): Promise<TestServer> {
    const logs: string[] = [];
    const cluster: Cluster = await connectCluster(redis.url, DEFAULT_LIMITS, (level, event, fields) =>
      logs.push(`${name} ${level} ${event} ${JSON.stringify(fields ?? {})}`),
    );
    return startTestServer({ cluster, limits: { historyOnJoin: 50 }, ...extra });
  }

  /** `first` on A makes `room` (so is its operator), then `second` on B joins it; both are in. */
  async function pair(room: string, first: string, second: string): Promise<[JsonClient, JsonClient]> {
    const x = track(await JsonClient.join(a.port, first));
    x.request({ type: "join", room });
    await x.waitEvent("joined", (e) => e.room === room && e.name === first);
    const y = track(await JsonClient.join(b.port, second));
    y.request({ type: "join", room });
    await x.waitEvent("joined", (e) => e.room === room && e.name === second);
    return [x, y];
  }

  before(async () => {
    redis = await TestRedis.start();
    a = await node("a");
    b = await node("b");
  });
  after(async () => {
    for (const c of clients) c.close();
    await a?.close();
    await b?.close();
    await redis?.close();
  });

  it("a message on node A reaches a user on node B, and both see one order", async () => {
    const ana = track(await JsonClient.join(a.port, "ana"));
    const bob = track(await JsonClient.join(b.port, "bob"));
    ana.request({ type: "join", room: "#sala" });
    // ana is in first: were bob's join applied first, ana would find bob listed, not see him join.
    await ana.waitEvent("room", (e) => e.room === "#sala");
    bob.request({ type: "join", room: "#sala" });
    await ana.waitEvent("joined", (e) => e.name === "bob" && e.room === "#sala");
    for (let i = 0; i < 20; i++) {
      ana.request({ type: "line", room: "#sala", text: `a${i}` });
      bob.request({ type: "line", room: "#sala", text: `b${i}` });
    }
    await ana.waitEvent("message", (e) => e.text === "b19");
    await bob.waitEvent("message", (e) => e.text === "a19");
    await ana.waitEvent("message", (e) => e.text === "a19");
    await bob.waitEvent("message", (e) => e.text === "b19");
    const seen = (c: JsonClient) =>
      roomEvents(c, "#sala")
        .filter((e) => e.type === "message")
        .map((e) => `${e.seq} ${e.type === "message" ? e.text : ""}`);
    assert.equal(seen(ana).length, 40);
    assert.deepEqual(seen(ana), seen(bob));
    const seqs = seen(ana).map((l) => Number(l.split(" ")[0]));
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => (seqs[0] as number) + i),
    );
  });

  it("a text user on B sees a text user on A join with their address, and their lines", async () => {
    const bia = track(await TextClient.join(b.port, "bia"));
    const from = bia.lines.length;
    const caio = track(await TextClient.join(a.port, "caio"));
    await bia.waitFor(/caio.*127\.0\.0\.1:\d+/, { from });
    caio.line("olá de A");
    await bia.waitFor("caio: olá de A", { from });
  });

  it("history on join is the room's log whichever node it was posted on", async () => {
    const davi = track(await JsonClient.join(a.port, "davi"));
    davi.request({ type: "join", room: "#historia" });
    await davi.waitEvent("room", (e) => e.room === "#historia");
    for (let i = 1; i <= 5; i++) davi.request({ type: "line", room: "#historia", text: `h${i}` });
    await davi.waitEvent("message", (e) => e.text === "h5");
    const eva = track(await JsonClient.join(b.port, "eva"));
    eva.request({ type: "join", room: "#historia" });
    const history = await eva.waitEvent("history", (e) => e.room === "#historia");
    assert.deepEqual(
      history.events.filter((e) => e.type === "message").map((e) => (e.type === "message" ? e.text : "")),
      ["h1", "h2", "h3", "h4", "h5"],
    );
  });

  it("a node started later knows who is already in the lobby and in a room on the others", async () => {
    const kai = track(await JsonClient.join(a.port, "kai"));
    kai.request({ type: "join", room: "#tarde" });
    await kai.waitEvent("room", (e) => e.room === "#tarde");
    const c = await node("c");
    try {
      const lia = track(await JsonClient.join(c.port, "lia"));
      const welcome = await lia.waitEvent("welcome");
      assert.ok(
        welcome.users.some((u) => u.name === "kai" && u.address?.startsWith("127.0.0.1:")),
        JSON.stringify(welcome.users),
      );
      lia.request({ type: "join", room: "#tarde" });
      const room = await lia.waitEvent("room", (e) => e.room === "#tarde");
      // Who was there before lia (as on one node: her own join follows).
      assert.deepEqual(
        room.users.map((u) => u.name),
        ["kai"],
      );
      kai.request({ type: "line", text: "/nick kai2" });
      await lia.waitEvent("renamed", (e) => e.to === "kai2" && e.room === "#tarde");
      const from = lia.events.length;
      lia.request({ type: "line", room: "#tarde", text: "/users #tarde" });
      const users = await lia.waitEvent("users", () => true, { from });
      assert.deepEqual(users.users.map((u) => u.name).sort(), ["kai2", "lia"]);
    } finally {
      await c.close();
    }
  });

  it("room modes hold on every node: +m set on A silences a user on B and on a node that loads the room later; they go with the last member", async () => {
    const ana = track(await JsonClient.join(a.port, "modana"));
    ana.request({ type: "join", room: "#mods" });
    await ana.waitEvent("room", (e) => e.room === "#mods");
    // Its maker is its operator, kept with the room for the nodes that load it later.
    const checked = checkRoomName("#mods", 32);
    assert.ok(checked.ok);
    const meta = new RedisKeys().meta(checked.key); // the canonical key: "#rnods"
    for (let i = 0; !(await rawCommand(redis.port, `HGET ${meta} modes`)).includes('"o":["rnodana"]'); i++) {
      assert.ok(i < 100, "the room's operator is not in Redis");
      await sleep(20);
    }
    const bob = track(await JsonClient.join(b.port, "modbob"));
    bob.request({ type: "join", room: "#mods" });
    await ana.waitEvent("joined", (e) => e.name === "modbob" && e.room === "#mods");
    // ana made the room: its operator, on every node.
    ana.request({ type: "line", room: "#mods", text: "/mode #mods +m" });
    const told = await bob.waitEvent("mode", (e) => e.room === "#mods");
    assert.equal(told.modes, "+m");
    assert.equal(told.by, "modana");
    await ana.waitEvent("mode", (e) => e.room === "#mods" && e.modes === "+m");
    let from = bob.events.length;
    bob.request({ type: "line", room: "#mods", text: "posso falar?" });
    assert.equal((await bob.waitEvent("error", () => true, { from })).code, "room_moderated");
    // A node started now loads the room from Redis, modes included.
    const c = await node("c");
    try {
      const lia = track(await JsonClient.join(c.port, "modlia"));
      lia.request({ type: "join", room: "#mods" });
      await lia.waitEvent("room", (e) => e.room === "#mods");
      from = lia.events.length;
      lia.request({ type: "line", room: "#mods", text: "e eu?" });
      assert.equal((await lia.waitEvent("error", () => true, { from })).code, "room_moderated");
      // A voice given on A reaches B (the name is looked up there) and C.
      ana.request({ type: "line", room: "#mods", text: "/mode #mods +v modbob" });
      await bob.waitEvent("mode", (e) => e.modes === "+v" && e.args[0] === "modbob");
      await lia.waitEvent("mode", (e) => e.modes === "+v" && e.args[0] === "modbob");
      bob.request({ type: "line", room: "#mods", text: "agora sim" });
      await ana.waitEvent("message", (e) => e.room === "#mods" && e.text === "agora sim");
      await lia.waitEvent("message", (e) => e.room === "#mods" && e.text === "agora sim");
      // The room kept its modes in Redis while anyone was in it.
      assert.match(await rawCommand(redis.port, `HGET ${meta} modes`), /"m":true/);
      // Everyone leaves: the room's modes go with the last member, on every node and in Redis.
      ana.request({ type: "part", room: "#mods" });
      lia.request({ type: "part", room: "#mods" });
      await bob.waitEvent("left", (e) => e.room === "#mods" && e.name === "modana");
      await bob.waitEvent("left", (e) => e.room === "#mods" && e.name === "modlia");
      bob.request({ type: "part", room: "#mods" });
      await bob.waitEvent("parted", (e) => e.room === "#mods");
      for (let i = 0; (await rawCommand(redis.port, `HEXISTS ${meta} modes`)) !== ":0\r\n"; i++) {
        assert.ok(i < 100, "the room's modes are still in Redis");
        await sleep(20);
      }
      from = lia.events.length;
      lia.request({ type: "join", room: "#mods" });
      await lia.waitEvent("room", (e) => e.room === "#mods", { from });
      lia.request({ type: "line", room: "#mods", text: "livre" });
      from = bob.events.length;
      bob.request({ type: "join", room: "#mods" });
      await bob.waitEvent("room", (e) => e.room === "#mods", { from });
      bob.request({ type: "line", room: "#mods", text: "livre também" });
      await lia.waitEvent("message", (e) => e.room === "#mods" && e.text === "livre também");
      assert.ok(lia.events.some((e) => e.type === "message" && e.text === "livre"));
      assert.ok(!lia.events.slice(from).some((e) => e.type === "error"));
    } finally {
      await c.close();
    }
  });

  it("an operator who left is not one again by coming back under that name on a node that loads the room", async () => {
    const [ana, bob] = await pair("#ops", "opana", "opbob");
    ana.close();
    await bob.waitEvent("left", (e) => e.room === "#ops" && e.name === "opana");
    const c = await node("c");
    try {
      const again = track(await JsonClient.join(c.port, "opana"));
      again.request({ type: "join", room: "#ops" });
      await bob.waitEvent("joined", (e) => e.room === "#ops" && e.name === "opana");
      const from = again.events.length;
      again.request({ type: "line", room: "#ops", text: "/mode #ops +m" });
      assert.equal((await again.waitEvent("error", () => true, { from })).code, "not_room_operator");
    } finally {
      await c.close();
    }
  });

  it("an invite-only room on A refuses a user on B (whose node had not loaded it) until invited from A", async () => {
    const ana = track(await JsonClient.join(a.port, "invana"));
    ana.request({ type: "join", room: "#fechada" });
    // Its operator once its own join is in the log.
    await ana.waitEvent("joined", (e) => e.room === "#fechada" && e.name === "invana");
    ana.request({ type: "line", room: "#fechada", text: "/mode #fechada +ik segredo" });
    await ana.waitEvent("mode", (e) => e.room === "#fechada" && e.modes === "+ik");
    const bob = track(await JsonClient.join(b.port, "invbob"));
    // B loads the room for this join: its modes come from Redis and hold, for what was sent right
    // behind the join too (a line, an invitation of oneself: nothing of it reaches the room).
    let from = bob.events.length;
    bob.request({ type: "line", text: "/join #fechada segredo" });
    bob.request({ type: "line", room: "#fechada", text: "entrei?" });
    bob.request({ type: "line", room: "#fechada", text: "/invite invbob #fechada" });
    const errors = async (n: number) => {
      for (let i = 0; bob.events.slice(from).filter((e) => e.type === "error").length < n; i++) {
        assert.ok(i < 200, JSON.stringify(bob.events.slice(from)));
        await sleep(10);
      }
      return bob.events.slice(from).flatMap((e) => (e.type === "error" ? [e.code] : []));
    };
    assert.deepEqual(await errors(3), ["room_invite_only", "not_in_room", "not_in_room"]);
    assert.match(await rawCommand(redis.port, `HGET ${new RedisKeys().meta("#fechada")} modes`), /"i":true/);
    from = bob.events.length;
    bob.request({ type: "line", text: "ainda no saguão" });
    await bob.waitEvent("message", (e) => e.text === "ainda no saguão" && e.room === "#lobby", { from });
    // An invitation made on A reaches the user on B, and B lets them in (the key still asked).
    ana.request({ type: "line", room: "#fechada", text: "/invite invbob" });
    const inv = await bob.waitEvent("invited", (e) => e.room === "#fechada");
    assert.ok(!ana.events.some((e) => e.type === "message" && e.text === "entrei?"));
    assert.equal(inv.by, "invana");
    await ana.waitEvent("invited", (e) => e.name === "invbob");
    from = bob.events.length;
    bob.request({ type: "join", room: "#fechada" });
    assert.equal((await bob.waitEvent("error", () => true, { from })).code, "room_key");
    bob.request({ type: "line", text: "/join #fechada segredo" });
    await bob.waitEvent("room", (e) => e.room === "#fechada", { from });
    await ana.waitEvent("joined", (e) => e.room === "#fechada" && e.name === "invbob");
    // The invitation was used up, on both nodes: out and back in is refused again.
    bob.request({ type: "part", room: "#fechada" });
    await ana.waitEvent("left", (e) => e.room === "#fechada" && e.name === "invbob");
    from = bob.events.length;
    bob.request({ type: "line", text: "/join #fechada segredo" });
    assert.equal((await bob.waitEvent("error", () => true, { from })).code, "room_invite_only");
  });

  it("a room operator on A kicks a user on B out of the room: B takes them out, they hear no more of it", async () => {
    const [ana, bob] = await pair("#chute", "kikana", "kikbob");
    ana.request({ type: "line", room: "#chute", text: "/kick kikbob chega" });
    const left = await bob.waitEvent("left", (e) => e.room === "#chute" && e.name === "kikbob");
    assert.equal(left.reason, "kicked");
    assert.equal(left.by, "kikana");
    assert.equal((await bob.waitEvent("parted", (e) => e.room === "#chute")).current, "#lobby");
    // Out of the room on its own node: nothing more of it, and a line to it is refused.
    ana.request({ type: "line", room: "#chute", text: "depois do chute" });
    await ana.waitEvent("message", (e) => e.room === "#chute" && e.text === "depois do chute");
    const from = bob.events.length;
    bob.request({ type: "line", room: "#chute", text: "ainda aqui?" });
    await bob.waitEvent("error", () => true, { from });
    bob.request({ type: "line", text: "no saguão" });
    await bob.waitEvent("message", (e) => e.room === "#lobby" && e.text === "no saguão", { from });
    assert.ok(
      !bob.events.some((e) => e.type === "message" && e.room === "#chute" && e.text === "depois do chute"),
    );
    assert.ok(!ana.events.some((e) => e.type === "message" && e.text === "ainda aqui?"));
  });

  it("a name is unique across nodes: 100 races for one name on two nodes, one winner each", async () => {
    for (let i = 0; i < 100; i++) {
      const name = `racer${i}`;
      const x = track(new JsonClient(a.port));
      const y = track(new JsonClient(b.port));
      await x.waitEvent("prompt");
      await y.waitEvent("prompt");
      x.request({ type: "name", name });
      y.request({ type: "name", name });
      const outcome = async (c: JsonClient) => {
        const e = await c.text.waitFor({
          test: (l: string) => /"type":"(welcome|error)"/.test(l),
        } as RegExp);
        return (JSON.parse(e) as ServerEvent).type;
      };
      const results = [await outcome(x), await outcome(y)].sort();
      assert.deepEqual(results, ["error", "welcome"], `race ${i}`);
      x.close();
      y.close();
    }
  });

  it("lines sent right behind the name wait for its reservation, then go out as messages", async () => {
    const ravi = track(await TextClient.join(b.port, "ravi"));
    const from = ravi.lines.length;
    const quim = track(new TextClient(a.port));
    await quim.waitFor("Choose a name");
    quim.send("quim\noi logo de cara\n/me acena\n");
    await ravi.waitFor("quim: oi logo de cara", { from });
    await ravi.waitFor(/quim acena/, { from });
    assert.equal(quim.lines.filter((l) => /taken|invalid/i.test(l)).length, 0);
  });

  it("a name freed on one node can be taken on the other", async () => {
    const f1 = await JsonClient.join(a.port, "fabi");
    f1.request({ type: "line", text: "/quit" });
    await f1.text.waitClosed();
    // The release is asynchronous in Redis: retry briefly.
    for (let i = 0; ; i++) {
      const f2 = track(new JsonClient(b.port));
      await f2.waitEvent("prompt");
      f2.request({ type: "name", name: "fabi" });
      const l = await f2.text.waitFor({ test: (x: string) => /"type":"(welcome|error)"/.test(x) } as RegExp);
      if (l.includes('"welcome"')) break;
      f2.close();
      assert.ok(i < 20, "fabi never came free");
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it("a json client that lost its connection to A resumes on B with nothing lost", async () => {
    const gil = await JsonClient.join(a.port, "gil");
    const welcome = await gil.waitEvent("welcome");
    gil.request({ type: "join", room: "#retomar" });
    await gil.waitEvent("room", (e) => e.room === "#retomar");
    const hana = track(await JsonClient.join(b.port, "hana"));
    hana.request({ type: "join", room: "#retomar" });
    await gil.waitEvent("joined", (e) => e.name === "hana" && e.room === "#retomar");
    hana.request({ type: "line", room: "#retomar", text: "seen" });
    const seen = await gil.waitEvent("message", (e) => e.text === "seen");
    gil.close();
    await hana.waitEvent("left", (e) => e.name === "gil" && e.room === "#retomar");
    hana.request({ type: "line", room: "#retomar", text: "missed1" });
    hana.request({ type: "line", room: "#retomar", text: "missed2" });
    await hana.waitEvent("message", (e) => e.text === "missed2");
    const back = track(new JsonClient(b.port));
    await back.waitEvent("prompt");
    back.request({
      type: "resume",
      token: welcome.token,
      rooms: [{ room: "#retomar", epoch: seen.room === "#retomar" ? welcome.epoch : "", seq: seen.seq }],
    });
    const again = await back.waitEvent("welcome");
    assert.equal(again.name, "gil");
    const replay = await back.waitEvent("history", (e) => e.room === "#retomar");
    assert.equal(replay.kind, "resume");
    assert.deepEqual(
      replay.events.filter((e) => e.type === "message").map((e) => (e.type === "message" ? e.text : "")),
      ["missed1", "missed2"],
    );
  });

  it("a private message reaches a user on the other node, and only them", async () => {
    const rui = track(await JsonClient.join(a.port, "rui"));
    const sol = track(await JsonClient.join(b.port, "sol"));
    const tom = track(await JsonClient.join(b.port, "tom"));
    await rui.waitEvent("joined", (e) => e.name === "tom");
    rui.say("@sol psiu, só pra você");
    const got = await sol.waitEvent("private");
    assert.deepEqual([got.from, got.to, got.text], ["rui", "sol", "psiu, só pra você"]);
    const echo = await rui.waitEvent("private");
    assert.equal(echo.to, "sol");
    rui.say("@ninguem oi");
    assert.equal((await rui.waitEvent("error")).code, "unknown_user");
    tom.say("marca");
    await rui.waitEvent("message", (e) => e.text === "marca");
    assert.equal(
      tom.events.some((e) => e.type === "private"),
      false,
    );
  });

  it("a private message to a user away on the other node tells its sender they are away", async () => {
    const uli = track(await JsonClient.join(a.port, "uli"));
    const vania = track(await JsonClient.join(b.port, "vania"));
    await uli.waitEvent("joined", (e) => e.name === "vania");
    vania.say("/away almoço");
    await vania.waitEvent("away", (e) => e.name === "vania" && e.away);
    uli.say("@vania volta logo?");
    await vania.waitEvent("private", (e) => e.text === "volta logo?");
    const away = await uli.waitEvent("away", (e) => e.name === "vania");
    assert.deepEqual([away.away, away.text], [true, "almoço"]);
    // Back: no answer any more.
    vania.say("/back");
    await vania.waitEvent("away", (e) => e.name === "vania" && !e.away);
    const from = uli.events.length;
    uli.say("@vania e agora?");
    await vania.waitEvent("private", (e) => e.text === "e agora?");
    uli.say("marca");
    await uli.waitEvent("message", (e) => e.text === "marca", { from });
    assert.ok(!uli.events.slice(from).some((e) => e.type === "away"));
  });

  it("private messages reach an IRC user on another node (in no room), and come back from them", async () => {
    const c = await node("c", { ircPort: 0 });
    try {
      const irc = track(new IrcClient(c.ircAddress?.port ?? 0));
      irc.send("NICK ircia");
      irc.send("USER ircia 0 * :Irc Ia");
      await irc.waitFor(/ 001 ircia /);
      const xuxa = track(await JsonClient.join(a.port, "xuxa"));
      xuxa.say("@ircia oi de A");
      await irc.waitFor(/^:xuxa!\S+ PRIVMSG ircia :oi de A$/);
      assert.equal((await xuxa.waitEvent("private", (e) => e.text === "oi de A")).to, "ircia");
      irc.send("PRIVMSG xuxa :oi de C");
      const back = await xuxa.waitEvent("private", (e) => e.text === "oi de C");
      assert.equal(back.from, "ircia");
      // A name nobody holds is still unknown.
      xuxa.say("@ninguem2 alô");
      assert.equal((await xuxa.waitEvent("error", (e) => e.code === "unknown_user")).code, "unknown_user");
    } finally {
      await c.close();
    }
  });

  it("the operator console works cluster-wide: users, announce once everywhere, kick on another node", async () => {
    const uri = track(await JsonClient.join(a.port, "uri"));
    const vera = track(await JsonClient.join(b.port, "vera"));
    await uri.waitEvent("joined", (e) => e.name === "vera" && e.room === "#lobby");
    assert.ok(a.chat.users().some((u) => u.name === "vera"));
    // hello counts the cluster's users, not the node's.
    const peek = track(new JsonClient(a.port));
    assert.equal((await peek.waitEvent("hello")).online, b.chat.lobby.names.size);
    assert.ok(a.chat.online > [...a.chat.members()].length);
    a.chat.announce("manutenção às 18h");
    for (const c of [uri, vera]) await c.waitEvent("notice", (e) => e.params.text === "manutenção às 18h");
    assert.equal(a.chat.kick("vera", "chega"), "vera");
    const bye = await vera.waitEvent("bye");
    assert.equal(bye.reason, "kicked");
    const left = await uri.waitEvent("left", (e) => e.name === "vera");
    assert.equal(left.reason, "kicked");
    for (const c of [uri, vera])
      assert.equal(
        c.events.filter((e) => e.type === "notice" && e.params.text === "manutenção às 18h").length,
        1,
      );
  });

  // Last in this suite: it empties Redis.
  it("Redis restarted empty: chat goes on across nodes, and a resume says the epoch changed", async () => {
    const ona = await JsonClient.join(a.port, "ona");
    const token = (await ona.waitEvent("welcome")).token;
    ona.request({ type: "join", room: "#vazio" });
    await ona.waitEvent("room", (e) => e.room === "#vazio");
    const pia = track(await JsonClient.join(b.port, "pia"));
    pia.request({ type: "join", room: "#vazio" });
    await ona.waitEvent("joined", (e) => e.name === "pia" && e.room === "#vazio");
    pia.request({ type: "line", room: "#vazio", text: "antes" });
    const before = await ona.waitEvent("message", (e) => e.text === "antes");
    // Kept in Redis too, and lost with its data: a ban, and the room's modes (its topic locked).
    a.chat.ban({ kind: "name", key: "name:zed", shown: "zed" }, { reason: "spam" });
    // (+s too: a secret room is written back like any other.)
    ona.request({ type: "line", room: "#vazio", text: "/mode #vazio +ts" });
    await pia.waitEvent("mode", (e) => e.room === "#vazio" && e.modes === "+ts");
    const epoch = a.chat.store.epoch;
    const wiped = pia.events.length;
    await redis.restart({ keepData: false });
    for (let i = 0; a.chat.store.epoch === epoch || b.chat.store.epoch === epoch; i++) {
      assert.ok(i < 300, "the nodes never saw the new epoch");
      await sleep(50);
    }
    assert.equal(a.chat.store.epoch, b.chat.store.epoch);
    // The nodes write their users back into the member lists (at their next beat), quietly: a node
    // started now knows who is there.
    for (let i = 0; !/^:[2-9]/.test(await rawCommand(redis.port, "HLEN papo:p:#vazio")); i++) {
      assert.ok(i < 300, "members were not written back");
      await sleep(50);
    }
    const c = await node("c");
    try {
      const rex = track(await JsonClient.join(c.port, "rex"));
      rex.request({ type: "join", room: "#vazio" });
      const room = await rex.waitEvent("room", (e) => e.room === "#vazio");
      assert.deepEqual(room.users.map((u) => u.name).sort(), ["ona", "pia"]);
      // The nodes wrote the ban and the room's modes back as well: C, started after, has both.
      assert.deepEqual(
        c.chat.bans.list().map((b) => b.key),
        ["name:zed"],
      );
      const from = rex.events.length;
      rex.request({ type: "line", room: "#vazio", text: "/topic #vazio meu tópico" });
      assert.equal((await rex.waitEvent("error", () => true, { from })).code, "not_room_operator");
    } finally {
      await c.close();
    }
    assert.deepEqual(
      pia.events.slice(wiped).filter((e) => e.type === "joined" || e.type === "left"),
      [],
      "nobody was announced again",
    );
    pia.request({ type: "line", room: "#vazio", text: "depois" });
    const after = await ona.waitEvent("message", (e) => e.text === "depois", { ms: 10_000 });
    assert.ok(after.seq > before.seq, `${after.seq} after ${before.seq}`);
    ona.close();
    await pia.waitEvent("left", (e) => e.name === "ona" && e.room === "#vazio");
    const back = track(new JsonClient(b.port));
    await back.waitEvent("prompt");
    back.request({ type: "resume", token, rooms: [{ room: "#vazio", epoch, seq: after.seq }] });
    assert.equal((await back.waitEvent("welcome")).name, "ona");
    const gap = await back.waitEvent("gap", (e) => e.room === "#vazio");
    assert.equal(gap.reason, "epoch");
  });
});

describe("papo serve --redis (two child processes)", { skip }, () => {
  let redis: TestRedis;
  const procs: ChildProcess[] = [];
  before(async () => {
    redis = await TestRedis.start();
  });
  after(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await redis?.close();
  });

  function serve(args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "serve", "--no-irc", ...args], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, LANG: "en_US.UTF-8", LC_ALL: "", ...env },
    });
    procs.push(child);
    let out = "";
    let err = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const port = async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) return Number(m[1]);
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start:\n${out}\n${err}`);
        await sleep(20);
      }
    };
    return { child, out: () => out, err: () => err, exited, port };
  }

  /** A node on this Redis, on a free port, with a short name lease (for the node-death tests). */
  const leasedNode = (lease: number) => [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-http",
    "--redis",
    redis.url,
    "--limit",
    `nameLeaseMs=${lease}`,
  ];

  it("two nodes started with --redis and PAPO_REDIS_URL share the lobby and its messages", async () => {
    const one = serve(["--host", "127.0.0.1", "--port", "0", "--no-http", "--redis", redis.url]);
    const two = serve(["--host", "127.0.0.1", "--port", "0", "--no-http"], { PAPO_REDIS_URL: redis.url });
    const [p1, p2] = [await one.port(), await two.port()];
    assert.match(
      one.out(),
      /Cluster mode: rooms, names and history are shared through Redis at redis:\/\/127\.0\.0\.1:\d+/,
    );
    const ivo = await TextClient.join(p1, "ivo");
    const from = ivo.lines.length;
    const jan = await TextClient.join(p2, "jan");
    await ivo.waitFor(/jan.*joined/, { from });
    jan.line("oi do nó dois");
    await ivo.waitFor("jan: oi do nó dois", { from });
    // The name is taken cluster-wide.
    const other = new TextClient(p1);
    await other.waitFor("Choose a name");
    other.line("jan");
    await other.waitFor(/taken|in use/i);
    for (const c of [ivo, jan, other]) c.close();
    one.child.kill("SIGTERM");
    two.child.kill("SIGTERM");
    assert.equal(await one.exited, 0);
    assert.equal(await two.exited, 0);
  });

  it("a node killed with -9: another node announces each of its users' departure once, and frees their names", async () => {
    const lease = 1500;
    const dying = serve(leasedNode(lease));
    const cluster = await connectCluster(redis.url, { ...DEFAULT_LIMITS, nameLeaseMs: lease }, () => {});
    const live = await startTestServer({ cluster, limits: { nameLeaseMs: lease } });
    try {
      const mia = await JsonClient.join(await dying.port(), "mia");
      mia.request({ type: "join", room: "#fim" });
      await mia.waitEvent("room", (e) => e.room === "#fim");
      const noa = await JsonClient.join(live.port, "noa");
      noa.request({ type: "join", room: "#fim" });
      await noa.waitEvent("room", (e) => e.room === "#fim" && e.users.some((u) => u.name === "mia"));
      dying.child.kill("SIGKILL");
      await dying.exited;
      mia.close();
      const gone = await noa.waitEvent("left", (e) => e.name === "mia" && e.room === "#fim", {
        ms: 20 * lease,
      });
      assert.equal(gone.reason, "disconnected");
      await noa.waitEvent("left", (e) => e.name === "mia" && e.room === "#lobby", { ms: 20 * lease });
      // Two more leases: nobody announces it again.
      await sleep(2 * lease);
      const lefts = noa.events.filter((e) => e.type === "left" && e.name === "mia");
      assert.equal(lefts.length, 2, JSON.stringify(lefts));
      noa.request({ type: "line", room: "#fim", text: "/users #fim" });
      const users = await noa.waitEvent("users", (e) => e.room === "#fim");
      assert.deepEqual(
        users.users.map((u) => u.name),
        ["noa"],
      );
      // Her name is free again once its lease has run out.
      const again = await JsonClient.join(live.port, "mia");
      again.close();
      noa.close();
    } finally {
      await live.close();
    }
  });

  it("kill -9 of a node: its user resumes on another node at once, with nothing lost and no departure", async () => {
    const lease = 1500;
    const dying = serve(leasedNode(lease));
    const cluster = await connectCluster(redis.url, { ...DEFAULT_LIMITS, nameLeaseMs: lease }, () => {});
    const live = await startTestServer({ cluster, limits: { nameLeaseMs: lease, historyOnJoin: 50 } });
    try {
      const ana = await JsonClient.join(await dying.port(), "tess");
      const welcome = await ana.waitEvent("welcome");
      ana.request({ type: "join", room: "#queda" });
      await ana.waitEvent("room", (e) => e.room === "#queda");
      const uma = await JsonClient.join(live.port, "uma");
      uma.request({ type: "join", room: "#queda" });
      const last = await ana.waitEvent("joined", (e) => e.name === "uma" && e.room === "#queda");
      dying.child.kill("SIGKILL");
      await dying.exited;
      ana.close();
      for (let i = 1; i <= 3; i++) uma.request({ type: "line", room: "#queda", text: `perdida${i}` });
      await uma.waitEvent("message", (e) => e.text === "perdida3");
      // Her name is still leased to the dead node; her token's nonce takes it back.
      const back = new JsonClient(live.port);
      await back.waitEvent("prompt");
      back.request({
        type: "resume",
        token: welcome.token,
        rooms: [{ room: "#queda", epoch: welcome.epoch, seq: last.seq }],
      });
      assert.equal((await back.waitEvent("welcome")).name, "tess");
      const replay = await back.waitEvent("history", (e) => e.room === "#queda");
      assert.equal(replay.kind, "resume");
      const texts = replay.events.flatMap((e) => (e.type === "message" ? [e.text] : []));
      assert.deepEqual(texts, ["perdida1", "perdida2", "perdida3"]);
      // Compared with the room's log: what she got is what is stored after her last seq.
      const log = await cluster.store.range("#queda", last.seq, 100);
      assert.deepEqual(
        replay.events,
        log.filter((e) => e.seq <= (replay.events.at(-1)?.seq ?? 0)),
      );
      // The dead node's cleanup does not announce her: she is back.
      await sleep(3 * lease);
      assert.deepEqual(
        uma.events.filter((e) => e.type === "left" && e.name === "tess"),
        [],
      );
      back.close();
      uma.close();
    } finally {
      await live.close();
    }
  });

  it("papo connect with a list of addresses: node A killed, the client goes on on node B with its name and nothing lost", async () => {
    const lease = 1500;
    const nodeA = serve(leasedNode(lease));
    const nodeB = serve(leasedNode(lease));
    const [a, b] = [await nodeA.port(), await nodeB.port()];
    const client = new ClientProcess([`127.0.0.1:${a},127.0.0.1:${b}`, "--name", "zeca"], {
      PAPO_RECONNECT_DELAY_MS: "200",
    });
    try {
      await client.waitFor("Hello, zeca!");
      const ze = await TextClient.join(b, "ze_b");
      await client.waitFor("ze_b joined");
      nodeA.child.kill("SIGKILL");
      await nodeA.exited;
      ze.line("dito enquanto zeca estava fora");
      // The next address takes over: same name (the resume token), and what was said meanwhile.
      const from = client.lines.length;
      await client.waitFor(`Reconnected to 127.0.0.1:${b}`, from);
      await client.waitFor("ze_b: dito enquanto zeca estava fora", from);
      client.send("voltei");
      await ze.waitFor("zeca: voltei");
      assert.equal(ze.lines.filter((l) => l.includes("zeca left")).length, 0, ze.lines.join("\n"));
    } finally {
      client.kill();
      nodeB.child.kill("SIGKILL");
    }
  });

  it("papo connect with a list of addresses starts on the first that answers; none answering is one line", async () => {
    const dead = await freePort();
    const node = serve(["--host", "127.0.0.1", "--port", "0", "--no-http", "--redis", redis.url]);
    const port = await node.port();
    const client = new ClientProcess([`127.0.0.1:${dead},127.0.0.1:${port}`, "--name", "lista"]);
    try {
      await client.waitFor("Hello, lista!");
    } finally {
      client.kill();
      node.child.kill("SIGKILL");
    }
    const dead2 = await freePort();
    const none = new ClientProcess([`127.0.0.1:${dead},127.0.0.1:${dead2}`, "--name", "ninguem"]);
    assert.equal(await none.exitCode(), 1);
    assert.deepEqual(
      none.stderr.lines.filter((l) => l.trim() !== ""),
      [
        `papo: cannot connect to 127.0.0.1:${dead}, 127.0.0.1:${dead2}: connection refused (is the server running, and on this port?)`,
      ],
    );
  });

  it("a Redis that cannot be reached stops the start with one line, and --redis goes without --data", async () => {
    const port = await freePort();
    const bad = serve([
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--no-http",
      "--redis",
      `redis://:secret@127.0.0.1:${port}`,
    ]);
    assert.equal(await bad.exited, 1);
    assert.match(bad.err(), /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    assert.doesNotMatch(bad.err(), /secret|\n.*\n/);
    const both = serve(["--port", "0", "--no-http", "--redis", redis.url, "--no-store"]);
    assert.equal(await both.exited, 2);
    assert.match(both.err(), /--redis keeps history in Redis/);
  });
});

describe("two nodes while Redis hangs (SIGSTOP) and comes back", { skip }, () => {
  let redis: TestRedis;
  const servers: TestServer[] = [];
  const clusters: Cluster[] = [];
  /** Until both nodes read Redis again (after a test that paused it). */
  async function bothUp(): Promise<void> {
    for (let i = 0; clusters.some((c) => c.fanout.down); i++) {
      assert.ok(i < 400, "a node never came back");
      await sleep(50);
    }
  }
  before(async () => {
    redis = await TestRedis.start();
    for (let i = 0; i < 2; i++) {
      // A short read timeout, so the hang is noticed within a second or two.
      const cluster = await connectCluster(redis.url, DEFAULT_LIMITS, () => {}, {
        blockMs: 200,
        readTimeoutMs: 800,
      });
      clusters.push(cluster);
      servers.push(await startTestServer({ cluster }));
    }
  });
  after(async () => {
    for (const s of servers) await s.close();
    await redis?.close();
  });

  it("a line Redis refuses (out of memory) is reported to its author as not sent", async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const zeca = await TextClient.join(a.port, "zeca");
    const from = zeca.lines.length;
    const yara = await TextClient.join(b.port, "yara");
    await zeca.waitFor(/yara.*joined/, { from });
    assert.equal(await rawCommand(redis.port, "CONFIG SET maxmemory 1"), "+OK\r\n");
    try {
      yara.line("não cabe");
      await yara.waitFor("it was not sent");
    } finally {
      await rawCommand(redis.port, "CONFIG SET maxmemory 0");
    }
    yara.line("agora cabe");
    await zeca.waitFor("yara: agora cabe", { from });
    assert.equal(zeca.lines.filter((l) => l.includes("não cabe")).length, 0);
    zeca.close();
    yara.close();
  });

  it("a node stops even while Redis hangs", async () => {
    const cluster = await connectCluster(redis.url, DEFAULT_LIMITS, () => {}, {
      blockMs: 200,
      readTimeoutMs: 300,
    });
    const server = await startTestServer({ cluster });
    const yuri = await TextClient.join(server.port, "yuri");
    redis.pause();
    try {
      await server.close("bye");
    } finally {
      redis.resume();
    }
    await yuri.waitClosed();
    await bothUp();
  });

  it("users are told once that the cluster is degraded and once that it is back; no line is lost", async () => {
    const [a, b] = servers as [TestServer, TestServer];
    await bothUp();
    const wil = await TextClient.join(a.port, "wil");
    const from = wil.lines.length;
    const xia = await TextClient.join(b.port, "xia");
    const xiaFrom = xia.lines.length;
    await wil.waitFor(/xia.*joined/, { from });
    redis.pause();
    try {
      await wil.waitFor("lost touch with the others", { from, ms: 5000 });
      await xia.waitFor("lost touch with the others", { ms: 5000 });
      xia.line("durante a pausa");
      await sleep(1000);
      assert.equal(wil.lines.slice(from).filter((l) => l.includes("durante a pausa")).length, 0);
    } finally {
      redis.resume();
    }
    await wil.waitFor("xia: durante a pausa", { from, ms: 10_000 });
    await wil.waitFor("back in touch with the others", { from, ms: 10_000 });
    await xia.waitFor("back in touch with the others", { ms: 10_000 });
    xia.line("depois da pausa");
    await wil.waitFor("xia: depois da pausa", { from });
    const count = (c: TextClient, text: string) =>
      c.lines.slice(c === wil ? from : xiaFrom).filter((l) => l.includes(text)).length;
    for (const c of [wil, xia]) {
      assert.equal(count(c, "lost touch with the others"), 1, c.lines.join("\n"));
      assert.equal(count(c, "back in touch with the others"), 1, c.lines.join("\n"));
    }
    assert.equal(count(wil, "xia: durante a pausa"), 1);
    wil.close();
    xia.close();
  });
});

describe("a node cut off longer than its lease", { skip }, () => {
  let redis: TestRedis;
  const clusters: Cluster[] = [];
  const servers: TestServer[] = [];
  const lease = 900;
  before(async () => {
    redis = await TestRedis.start();
    for (let i = 0; i < 2; i++) {
      const cluster = await connectCluster(redis.url, { ...DEFAULT_LIMITS, nameLeaseMs: lease }, () => {});
      clusters.push(cluster);
      servers.push(await startTestServer({ cluster, limits: { nameLeaseMs: lease } }));
    }
  });
  after(async () => {
    for (const s of servers) await s.close();
    await redis?.close();
  });

  it("a resume on another node takes over a connection still open on the first: no leave, no double", async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const old = await JsonClient.join(a.port, "ari");
    const welcome = await old.waitEvent("welcome");
    old.request({ type: "join", room: "#troca" });
    const seen = await old.waitEvent("joined", (e) => e.room === "#troca" && e.name === "ari");
    const bea = await JsonClient.join(b.port, "bea");
    bea.request({ type: "join", room: "#troca" });
    await old.waitEvent("joined", (e) => e.room === "#troca" && e.name === "bea");
    // The old connection stays open (half-open, as after a network change); the client resumes on B.
    const fresh = new JsonClient(b.port);
    await fresh.waitEvent("prompt");
    fresh.request({
      type: "resume",
      token: welcome.token,
      rooms: [{ room: "#troca", epoch: welcome.epoch, seq: seen.seq }],
    });
    assert.equal((await fresh.waitEvent("welcome")).name, "ari");
    // Node A finds the name taken over at its next renewal: the old connection goes quietly.
    assert.equal((await old.waitEvent("bye", () => true, { ms: 10 * lease })).reason, "replaced");
    bea.request({ type: "line", room: "#troca", text: "ainda aqui?" });
    await fresh.waitEvent("message", (e) => e.text === "ainda aqui?");
    assert.deepEqual(
      bea.events.filter((e) => e.type === "left" && e.name === "ari"),
      [],
    );
    const from = bea.events.length;
    bea.request({ type: "line", room: "#troca", text: "/users #troca" });
    const users = await bea.waitEvent("users", (e) => e.room === "#troca", { from });
    assert.deepEqual(users.users.map((u) => u.name).sort(), ["ari", "bea"]);
    for (const c of [old, bea, fresh]) c.close();
  });

  it("is announced as gone by the others, and its users are announced again when it is back", async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const yan = await JsonClient.join(a.port, "yan");
    yan.request({ type: "join", room: "#zumbi" });
    await yan.waitEvent("room", (e) => e.room === "#zumbi");
    const zoe = await JsonClient.join(b.port, "zoe");
    zoe.request({ type: "join", room: "#zumbi" });
    await zoe.waitEvent("room", (e) => e.room === "#zumbi" && e.users.some((u) => u.name === "yan"));
    // Node A stops beating (as if hung or cut off); its connections stay up.
    clusters[0]?.nodes.stop();
    const gone = await zoe.waitEvent("left", (e) => e.name === "yan" && e.room === "#zumbi", {
      ms: 20 * lease,
    });
    assert.equal(gone.reason, "disconnected");
    clusters[0]?.nodes.start();
    await zoe.waitEvent("joined", (e) => e.name === "yan" && e.room === "#zumbi", { ms: 20 * lease });
    const from = zoe.events.length;
    zoe.request({ type: "line", room: "#zumbi", text: "/users #zumbi" });
    const users = await zoe.waitEvent("users", (e) => e.room === "#zumbi", { from });
    assert.deepEqual(users.users.map((u) => u.name).sort(), ["yan", "zoe"]);
    yan.request({ type: "line", room: "#zumbi", text: "voltei" });
    await zoe.waitEvent("message", (e) => e.text === "voltei");
    yan.close();
    zoe.close();
  });
});
