/**
 * The IRC listener over real sockets (issue 11): registration, keepalive, names, messages between
 * IRC and text users, and a real client library (irc-framework 4.14) end to end.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import irc, { type Client as IrcFrameworkClient, type MessageEvent } from "irc-framework";
import { parseMessage } from "../src/protocol/irc/message.ts";
import { sleep, startTestServer, type TestServer, TextClient } from "./helpers.ts";
import { IrcClient } from "./irc-helpers.ts";

const ircPort = (s: TestServer): number => s.ircAddress?.port ?? 0;

describe("IRC registration (issue 11)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ircPort: 0 });
  });
  after(() => server.close());

  it("negotiates CAP LS 302 / REQ / END and sends 001-005 and a MOTD pointing at the lobby, joining nothing", async () => {
    const c = new IrcClient(ircPort(server));
    await c.text.ready;
    c.send("CAP LS 302");
    const ls = await c.waitFor(/ CAP \* LS /);
    assert.deepEqual(ls.params.at(-1)?.split(" ").sort(), [
      "batch",
      "draft/chathistory",
      "echo-message",
      "message-tags",
      "multi-prefix",
      "server-time",
      "userhost-in-names",
    ]);
    c.send("NICK ana");
    c.send("USER ana 0 * :Ana");
    c.send("CAP REQ :server-time nonexistent");
    await c.waitFor(/ CAP \* NAK :server-time nonexistent/);
    c.send("CAP REQ :server-time");
    await c.waitFor(/ CAP \* ACK :server-time/);
    // Registration waits for CAP END.
    await sleep(100);
    assert.ok(!c.lines.some((l) => / 001 /.test(l)));
    c.send("CAP END");
    await c.waitFor(/ 376 ana /);
    const commands = c.lines.map((l) => l.split(" ")[1]);
    const burst = commands.slice(commands.indexOf("001"));
    assert.deepEqual(burst.slice(0, 4), ["001", "002", "003", "004"]);
    assert.equal(burst[4], "005");
    const isupport = c.lines.filter((l) => / 005 /.test(l)).join(" ");
    for (const token of [
      "CASEMAPPING=ascii",
      "CHANTYPES=#",
      "NICKLEN=128",
      "UTF8ONLY",
      "LINELEN=512",
      "NETWORK=papo",
    ]) {
      assert.ok(isupport.includes(` ${token} `), token);
    }
    assert.match(c.lines.find((l) => / 372 /.test(l)) ?? "", /\/join #lobby/);
    // An IRC client chooses its channels: the server joins it to none.
    assert.ok(!c.lines.some((l) => / JOIN /.test(l)));
    c.send("JOIN #lobby");
    await c.waitFor(/ 366 ana #lobby /);
    assert.match(c.lines.find((l) => / JOIN /.test(l)) ?? "", /^:ana!papo@127\.0\.0\.1 JOIN :?#lobby$/);
    assert.match(c.lines.find((l) => / 353 /.test(l)) ?? "", / 353 ana = #lobby :ana$/);
    c.close();
  });

  it("answers 451 before registration, 421 for unknown commands, 461 for a short USER", async () => {
    const c = new IrcClient(ircPort(server));
    await c.text.ready;
    c.send("PRIVMSG #lobby :hi");
    await c.waitFor(/ 451 \* /);
    c.send("USER x");
    await c.waitFor(/ 461 \* USER /);
    const from = c.lines.length;
    c.send("USER x 0 * :");
    await c.waitFor(/ 461 \* USER /, { from });
    c.send("NICK bia");
    c.send("USER bia 0 * :Bia");
    await c.waitFor(/ 376 bia /);
    c.send("FROBNICATE now");
    await c.waitFor(/ 421 bia FROBNICATE /);
    c.send("USER again 0 * :x");
    await c.waitFor(/ 462 bia /);
    c.close();
  });

  it("answers 433 for a name in use (whatever the case) and 432 for one papo or IRC refuses", async () => {
    const holder = await TextClient.join(server.port, "Carla");
    const c = new IrcClient(ircPort(server));
    await c.text.ready;
    c.send("NICK CARLA");
    c.send("USER carla 0 * :Carla");
    await c.waitFor(/ 433 \* CARLA /);
    c.send("NICK a!b");
    await c.waitFor(/ 432 \* a!b /);
    c.send("NICK admin");
    await c.waitFor(/ 432 \* admin :Invalid name: that name is reserved/);
    c.send("NICK 9lives");
    await c.waitFor(/ 432 \* 9lives /);
    c.send("NICK");
    await c.waitFor(/ 431 \* /);
    c.send("NICK carla2");
    await c.waitFor(/ 376 carla2 /);
    c.send("JOIN #lobby");
    await holder.waitFor("carla2 joined");
    c.send("NICK Carla");
    await c.waitFor(/ 433 carla2 Carla /);
    holder.close();
    c.close();
  });

  it("answers PING with PONG", async () => {
    const c = await IrcClient.register(ircPort(server), "dani");
    c.send("PING :are you there");
    await c.waitFor(/^:irc\.papo PONG irc\.papo :are you there$/);
    c.send("PING");
    await c.waitFor(/ 409 dani /);
    c.close();
  });

  it("QUIT with a reason: the others are told, the client gets ERROR and is closed", async () => {
    const nc = await TextClient.join(server.port, "Eva");
    const c = await IrcClient.register(ircPort(server), "fabio");
    await nc.waitFor("fabio joined");
    c.send("QUIT :até logo");
    await c.waitFor(/^ERROR :/);
    await c.waitClosed();
    await nc.waitFor("fabio left: até logo");
    nc.close();
  });
});

describe("IRC keepalive (issue 11, ROBUSTNESS E28)", () => {
  it("pings an idle client and drops a dead one, freeing its name", async () => {
    const server = await startTestServer({ ircPort: 0, limits: { pingIntervalMs: 150, pingTimeoutMs: 150 } });
    try {
      const nc = await TextClient.join(server.port, "gil");
      const alive = await IrcClient.register(ircPort(server), "alive");
      const dead = await IrcClient.register(ircPort(server), "dead");
      // `alive` answers every ping (as IRC clients do); `dead` never does.
      alive.text.socket.on("data", (d: string) => {
        for (const m of d.matchAll(/^PING (.*)\r$/gm)) alive.send(`PONG ${m[1]}`);
      });
      await dead.waitFor(/^PING /, { ms: 2000 });
      await dead.waitFor(/^ERROR :/, { ms: 2000 });
      await dead.waitClosed();
      await nc.waitFor("dead was disconnected");
      // `alive` was pinged too, and is still there after several rounds.
      await alive.waitFor(/^PING /, { ms: 2000 });
      await sleep(700);
      assert.ok(!alive.closed);
      assert.ok(alive.lines.filter((l) => l.startsWith("PING ")).length >= 2);
      // The name is free at once.
      const back = await IrcClient.register(ircPort(server), "dead");
      back.close();
      alive.close();
      nc.close();
    } finally {
      await server.close();
    }
  });
});

describe("IRC and text users in one room (issue 11)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ircPort: 0 });
  });
  after(() => server.close());

  it("relays channel and private messages both ways, with the same names", async () => {
    const nc = await TextClient.join(server.port, "Hana");
    const c = await IrcClient.register(ircPort(server), "ivo");
    assert.match(c.lines.find((l) => / 353 /.test(l)) ?? "", /:(Hana ivo|ivo Hana)$/);
    c.send("PRIVMSG #lobby :olá, Hana");
    await nc.waitFor("ivo: olá, Hana");
    nc.line("oi ivo");
    const m = await c.waitFor(/ PRIVMSG #lobby /);
    assert.equal(m.source, "Hana!papo@127.0.0.1");
    assert.equal(m.params[1], "oi ivo");
    c.send("PRIVMSG hana :segredo");
    await nc.waitFor("ivo (private): segredo");
    nc.line("@ivo psst");
    const p = await c.waitFor(/ PRIVMSG ivo /);
    assert.equal(p.source, "Hana!papo@127.0.0.1");
    assert.equal(p.params[1], "psst");
    c.send("PRIVMSG #lobby :\u0001ACTION acena\u0001");
    await nc.waitFor("* ivo acena");
    nc.line("/me sorri");
    const a = await c.waitFor(/ACTION sorri/);
    assert.equal(a.params[1], "\u0001ACTION sorri\u0001");
    c.send("PRIVMSG nobody :x");
    await c.waitFor(/ 401 ivo nobody /);
    c.send("PRIVMSG #elsewhere :x");
    await c.waitFor(/ 403 ivo #elsewhere /);
    // NOTICE never gets an automatic reply (RFC 2812 §3.3.2).
    c.send("NOTICE nobody :x");
    c.send("NOTICE #nowhere :x");
    c.send("NOTICE");
    c.send("PING :sync");
    await c.waitFor(/PONG irc\.papo :sync/);
    assert.equal(c.lines.filter((l) => / 401 /.test(l)).length, 1);
    assert.equal(c.lines.filter((l) => / 403 /.test(l)).length, 1);
    assert.ok(!c.lines.some((l) => / 411 /.test(l)));
    // UTF8ONLY: an invalid line is refused with FAIL, and nothing is relayed.
    c.text.socket.write(Buffer.from([...Buffer.from("PRIVMSG #lobby :oi"), 0xff, 0x0d, 0x0a]));
    await c.waitFor(/^:irc\.papo FAIL \* INVALID_UTF8 :/);
    c.close();
    nc.close();
  });

  it("shows a papo name IRC cannot carry escaped, and reaches it by that nick", async () => {
    const nc = await TextClient.join(server.port, "jo!ao");
    const c = await IrcClient.register(ircPort(server), "kim");
    assert.match(c.lines.find((l) => / 353 /.test(l)) ?? "", /jo\\21ao/);
    c.send("PRIVMSG jo\\21ao :achei você");
    await nc.waitFor("kim (private): achei você");
    nc.line("ok");
    const m = await c.waitFor(/ PRIVMSG #lobby /);
    assert.equal(m.source, "jo\\21ao!papo@127.0.0.1");
    nc.line("/nick lu.a");
    const n = await c.waitFor(/ NICK /);
    assert.equal(n.line, ":jo\\21ao!papo@127.0.0.1 NICK lu\\2Ea");
    nc.close();
    c.close();
  });

  it("splits a long papo line into PRIVMSGs of at most 512 bytes, never inside a character", async () => {
    const nc = await TextClient.join(server.port, "Leo");
    const c = await IrcClient.register(ircPort(server), "mia");
    const text = `${"ção ".repeat(200)}${"😀".repeat(120)}`.trim();
    assert.ok(Buffer.byteLength(text) <= 2048 && Buffer.byteLength(text) > 1500);
    const from = c.lines.length;
    nc.line(text);
    const pieces = () =>
      c.lines.slice(from).filter((l) => l.startsWith(":Leo!") && / PRIVMSG #lobby /.test(l));
    const deadline = Date.now() + 3000;
    while (
      pieces()
        .map((l) => parseMessage(l)?.params[1])
        .join("").length < text.length &&
      Date.now() < deadline
    )
      await sleep(20);
    assert.ok(pieces().length >= 4, `${pieces().length} pieces`);
    for (const l of pieces()) assert.ok(Buffer.byteLength(l) + 2 <= 512, `${Buffer.byteLength(l)} bytes`);
    const joined = pieces()
      .map((l) => parseMessage(l)?.params[1])
      .join("");
    assert.equal(joined, text);
    nc.close();
    c.close();
  });

  it("lists members as nick!user@host with userhost-in-names", async () => {
    const c = await IrcClient.register(ircPort(server), "uli", {
      caps: ["userhost-in-names", "multi-prefix"],
    });
    assert.match(c.lines.find((l) => / 353 /.test(l)) ?? "", /(^| |:)uli!papo@127\.0\.0\.1( |$)/);
    c.close();
  });

  it("tags messages with server-time and echoes them with echo-message", async () => {
    const c = await IrcClient.register(ircPort(server), "nei", { caps: ["server-time", "echo-message"] });
    const before = Date.now();
    c.send("PRIVMSG #lobby :eco");
    const m = await c.waitFor(/ PRIVMSG #lobby :eco/);
    const time = Date.parse(m.tags?.get("time") ?? "");
    assert.ok(time >= before - 5 && time <= Date.now() + 5, m.line);
    c.close();
  });

  it("asks for the server password (PASS), and refuses a wrong one with 464 and ERROR", async () => {
    const locked = await startTestServer({
      ircPort: 0,
      password: "s3gredo",
      limits: { passwordDelayMs: 10 },
    });
    try {
      const ok = await IrcClient.register(ircPort(locked), "olga", { pass: "s3gredo" });
      const bad = new IrcClient(ircPort(locked));
      await bad.text.ready;
      bad.send("PASS errado");
      bad.send("NICK pia");
      bad.send("USER pia 0 * :Pia");
      await bad.waitFor(/ 464 \* /);
      await bad.waitFor(/^ERROR :/);
      await bad.waitClosed();
      ok.close();
    } finally {
      await locked.close();
    }
  });

  it("tells IRC users the operator's shutdown reason in an ERROR line", async () => {
    const s = await startTestServer({ ircPort: 0 });
    const c = await IrcClient.register(ircPort(s), "quim");
    const closing = s.close("manutenção");
    const e = await c.waitFor(/^ERROR :/);
    assert.match(e.params[0] ?? "", /manutenção/);
    await closing;
  });
});

describe("IRC with irc-framework 4.14 (a real client library)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ircPort: 0 });
  });
  after(() => server.close());

  function connect(nick: string, echo = false): Promise<IrcFrameworkClient> {
    const client = new irc.Client();
    return new Promise((resolve, reject) => {
      client.once("registered", () => {
        // IRC clients choose their channels: these two meet the nc user in the lobby.
        client.join("#lobby");
        client.once("join", () => resolve(client));
      });
      client.once("close", () => reject(new Error(`${nick}: closed before registration`)));
      client.connect({
        host: "127.0.0.1",
        port: ircPort(server),
        nick,
        username: nick,
        gecos: nick,
        auto_reconnect: false,
        enable_echomessage: echo,
      });
    });
  }

  function nextMessage(
    client: IrcFrameworkClient,
    pred: (e: MessageEvent) => boolean,
  ): Promise<MessageEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no message")), 3000);
      const on = (e: MessageEvent) => {
        if (!pred(e)) return;
        clearTimeout(timer);
        client.off("message", on);
        resolve(e);
      };
      client.on("message", on);
    });
  }

  it("two irc-framework clients and an nc user see one conversation", async () => {
    const nc = await TextClient.join(server.port, "Rui");
    const a = await connect("sara", true);
    const b = await connect("tom");
    assert.ok(a.network.cap.isEnabled("server-time"));
    await nc.waitFor("tom joined");

    const gotB = nextMessage(b, (e) => e.message === "bom dia");
    const echoA = nextMessage(a, (e) => e.message === "bom dia");
    a.say("#lobby", "bom dia");
    const [mb, ea] = await Promise.all([gotB, echoA]);
    assert.equal(mb.nick, "sara");
    assert.equal(mb.target, "#lobby");
    assert.equal(ea.nick, "sara");
    assert.ok(typeof mb.time === "number" && Math.abs((mb.time ?? 0) - Date.now()) < 5000);
    await nc.waitFor("sara: bom dia");

    const fromNc = Promise.all([
      nextMessage(a, (e) => e.message === "olá do nc"),
      nextMessage(b, (e) => e.message === "olá do nc"),
    ]);
    nc.line("olá do nc");
    for (const e of await fromNc) assert.equal(e.nick, "Rui");

    const priv = nextMessage(a, (e) => e.target === "sara");
    b.say("sara", "só pra você");
    assert.equal((await priv).message, "só pra você");

    const act = nextMessage(b, (e) => e.type === "action");
    a.action("#lobby", "dança");
    assert.equal((await act).message, "dança");
    await nc.waitFor("* sara dança");

    const quit = new Promise<string>((resolve) => a.once("quit", (e: { nick: string }) => resolve(e.nick)));
    b.quit("fui");
    assert.equal(await quit, "tom");
    await nc.waitFor("tom left: fui");
    a.quit();
    nc.close();
  });
});

describe("papo's rules for IRC users (issue 11, ROBUSTNESS)", () => {
  it("A4: a registered client trickling half a line is closed, and the fragment is never relayed", async () => {
    const s = await startTestServer({ ircPort: 0, limits: { lineTimeoutMs: 300 } });
    try {
      const nc = await TextClient.join(s.port, "vera");
      const c = await IrcClient.register(ircPort(s), "wes");
      c.text.send("PRIVMSG #lobby :half a li");
      const e = await c.waitFor(/^ERROR :/, { ms: 2000 });
      assert.match(e.params[0] ?? "", /Closing link/);
      await c.waitClosed();
      await nc.waitFor("wes was disconnected");
      assert.ok(!nc.lines.some((l) => l.includes("half a li")));
      nc.close();
    } finally {
      await s.close();
    }
  });

  it("D21 (issue 10 item 2): a flood of PRIVMSGs is paced, not dropped, with one notice to the sender only", async () => {
    const s = await startTestServer({ ircPort: 0, limits: { floodBurst: 5, floodIntervalMs: 40 } });
    try {
      const nc = await TextClient.join(s.port, "xica");
      const c = await IrcClient.register(ircPort(s), "yuri");
      c.send(Array.from({ length: 30 }, (_, i) => `PRIVMSG #lobby :flood ${i}`).join("\r\n"));
      await c.waitFor(/ NOTICE yuri :/);
      await nc.waitFor("yuri: flood 29", { ms: 5000 });
      const relayed = nc.lines.filter((l) => l.startsWith("yuri: flood"));
      assert.deepEqual(
        relayed,
        Array.from({ length: 30 }, (_, i) => `yuri: flood ${i}`),
      );
      assert.equal(c.lines.filter((l) => / NOTICE yuri :/.test(l)).length, 1);
      assert.ok(!nc.lines.some((l) => /slow|devagar/i.test(l)));
      nc.close();
      c.close();
    } finally {
      await s.close();
    }
  });

  it("D21: a sender whose held lines pass the backlog cap is disconnected with ERROR", async () => {
    const s = await startTestServer({
      ircPort: 0,
      limits: { floodBurst: 2, floodIntervalMs: 60_000, floodMaxBacklogBytes: 200 },
    });
    try {
      const c = await IrcClient.register(ircPort(s), "zuza");
      c.send(Array.from({ length: 40 }, (_, i) => `PRIVMSG #lobby :line ${i}`).join("\r\n"));
      await c.waitFor(/^ERROR :/);
      await c.waitClosed();
    } finally {
      await s.close();
    }
  });
});

describe("IRC channels are papo rooms (issue 11)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ircPort: 0, limits: { historyOnJoin: 50 } });
  });
  after(() => server.close());

  it("JOIN, PRIVMSG, TOPIC, NAMES, LIST and PART with a text user in the same room", async () => {
    const nc = await TextClient.join(server.port, "Zeca");
    nc.line("/join #sala");
    await nc.waitFor("#sala");
    const c = await IrcClient.register(ircPort(server), "ana");
    c.send("JOIN #sala,#nova");
    await c.waitFor(/^:ana!papo@127\.0\.0\.1 JOIN :?#sala$/);
    const names = await c.waitFor(/ 353 ana = #sala /);
    // Zeca made the room: its operator (room-modes.ts).
    assert.deepEqual(names.params.at(-1)?.split(" ").sort(), ["@Zeca", "ana"]);
    await c.waitFor(/ 366 ana #sala /);
    await c.waitFor(/ JOIN :?#nova$/);
    await nc.waitFor("ana joined");
    c.send("PRIVMSG #sala :oi sala");
    await nc.waitFor("oi sala");
    nc.line("/join #sala");
    nc.line("respondo na sala");
    const m = await c.waitFor(/ PRIVMSG #sala :respondo na sala/);
    assert.equal(m.source, "Zeca!papo@127.0.0.1");
    // Setting and asking for the topic.
    c.send("TOPIC #sala :estudo de redes");
    await c.waitFor(/ TOPIC #sala :estudo de redes/);
    await nc.waitFor("estudo de redes");
    c.send("TOPIC #sala");
    await c.waitFor(/ 332 ana #sala :estudo de redes/);
    c.send("TOPIC #nova");
    await c.waitFor(/ 331 ana #nova /);
    c.send("NAMES #lobby");
    await c.waitFor(/ 366 ana #lobby /);
    c.send("LIST");
    const list = await c.waitFor(/ 322 ana #sala /);
    assert.equal(list.params[2], "2");
    assert.equal(list.params[3], "estudo de redes");
    await c.waitFor(/ 323 ana /);
    // MODE: the room's modes (only `n` by default), said the way clients expect.
    c.send("MODE #sala");
    await c.waitFor(/ 324 ana #sala :?\+n$/);
    await c.waitFor(/ 329 ana #sala :?\d+$/);
    c.send("MODE #sala b");
    await c.waitFor(/ 368 ana #sala /);
    c.send("MODE #sala +o Zeca");
    await c.waitFor(/ 482 ana #sala /);
    c.send("MODE ana");
    await c.waitFor(/ 221 ana :?\+$/);
    c.send("MODE ana +x");
    await c.waitFor(/ 501 ana /);
    c.send("MODE Zeca");
    await c.waitFor(/ 502 ana /);
    // Not in a room: cannot send there; no such room: 403.
    c.send("PART #nova");
    await c.waitFor(/^:ana!\S+ PART :?#nova$/);
    c.send("PRIVMSG #nova :x");
    await c.waitFor(/ 403 ana #nova /);
    nc.line("/join #fechada");
    await nc.waitFor("#fechada");
    c.send("PRIVMSG #fechada :x");
    await c.waitFor(/ 404 ana #fechada /);
    // A PART seen by others is a PART, not a QUIT.
    c.send("PART #sala :até");
    await nc.waitFor("ana left");
    // An IRC client may leave every channel, the lobby too: it is still online.
    c.send("PART #lobby");
    await c.waitFor(/^:ana!\S+ PART :?#lobby$/);
    await nc.waitFor("ana left");
    nc.close();
    c.close();
  });

  it("a user leaving the chat is one QUIT, however many rooms are shared", async () => {
    const a = await IrcClient.register(ircPort(server), "bel");
    const b = await IrcClient.register(ircPort(server), "cid");
    for (const c of [a, b]) c.send("JOIN #x,#y");
    await b.waitFor(/ 366 cid #y /);
    await a.waitFor(/ JOIN :?#y$/, { from: a.lines.findIndex((l) => / 366 bel #y /.test(l)) + 1 });
    b.send("QUIT :fui");
    await a.waitFor(/^:cid!\S+ QUIT :fui$/);
    a.send("PING :sync");
    await a.waitFor(/PONG irc\.papo :sync/);
    assert.equal(a.lines.filter((l) => / QUIT /.test(l)).length, 1);
    a.close();
  });

  it("replays a room's history on JOIN inside a chathistory batch, with the original times", async () => {
    const nc = await TextClient.join(server.port, "Dora");
    nc.line("/join #historia");
    await nc.waitFor("#historia");
    nc.line("primeira");
    nc.line("/me segunda");
    await sleep(30);
    const stamped = Date.now();
    await sleep(30);
    const c = await IrcClient.register(ircPort(server), "eli", { caps: ["server-time", "batch"] });
    c.send("JOIN #historia");
    const open = await c.waitFor(/ BATCH \+\S+ chathistory #historia/);
    const id = open.params[0]?.slice(1) ?? "";
    const first = await c.waitFor(/PRIVMSG #historia :primeira/);
    assert.equal(first.tags?.get("batch"), id);
    assert.ok(Date.parse(first.tags?.get("time") ?? "") < stamped);
    const second = await c.waitFor(/PRIVMSG #historia :\u0001ACTION segunda\u0001/);
    assert.equal(second.tags?.get("batch"), id);
    await c.waitFor(new RegExp(` BATCH :?-${id}$`));
    // Without server-time, nothing old is shown as if it were new.
    const plain = await IrcClient.register(ircPort(server), "fred");
    plain.send("JOIN #historia");
    await plain.waitFor(/ 366 fred #historia /);
    plain.send("PING :sync");
    await plain.waitFor(/PONG irc\.papo :sync/);
    assert.ok(!plain.lines.some((l) => l.includes("primeira")));
    nc.close();
    c.close();
    plain.close();
  });
});
