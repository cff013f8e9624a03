/**
 * IRC commands beyond the basics (issue 11) and Away (issue 13), over real sockets, each with a
 * text (nc) or json user in the same room where it matters: WHO, WHOIS, WHOWAS, LUSERS,
 * USERHOST, TIME, OPER, AWAY, NOTICE, PART reasons, TOPIC clearing, room operators and channel
 * modes (+o +v +k +l +i +m +n +s +b), KICK, INVITE and msgid.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { JsonClient, sleep, startTestServer, type TestServer, TextClient } from "./helpers.ts";
import { IrcClient } from "./irc-helpers.ts";

const ircPort = (s: TestServer): number => s.ircAddress?.port ?? 0;

/** The server of the suite running now: each suite below starts its own, with an IRC port. */
let server: TestServer;
function useServer(): void {
  before(async () => {
    server = await startTestServer({ ircPort: 0 });
  });
  after(() => server.close());
}

describe("IRC WHO, WHOIS, WHOWAS, LUSERS, USERHOST, TIME, OPER (issue 11)", { timeout: 60_000 }, () => {
  useServer();

  it("WHO a channel, a nick and a mask: 352 per user (with the USER name and real name), then 315", async () => {
    const nc = await TextClient.join(server.port, "Nina");
    nc.line("/join #who");
    await nc.waitFor("#who");
    const c = await IrcClient.register(ircPort(server), "wanda");
    c.send("JOIN #who");
    await c.waitFor(/ 366 wanda #who /);
    c.send("WHO #who");
    const nina = await c.waitFor(/ 352 wanda #who \S+ \S+ \* Nina /);
    // Nina made the room: its operator (`@`); here (`H`); a text user's real name is their name.
    assert.deepEqual(nina.params.slice(2), ["papo", "127.0.0.1", "*", "Nina", "H@", "0 Nina"]);
    const me = await c.waitFor(/ 352 wanda #who \S+ \S+ \* wanda /);
    assert.deepEqual(me.params.slice(2), ["~wanda", "127.0.0.1", "*", "wanda", "H", "0 wanda"]);
    await c.waitFor(/ 315 wanda #who /);
    const from = c.lines.length;
    c.send("WHO nin*");
    await c.waitFor(/ 352 wanda \* papo \S+ \* Nina H :0 Nina/, { from });
    await c.waitFor(/ 315 wanda nin\* /, { from });
    c.send("WHO nobody");
    const end = await c.waitFor(/ 315 wanda nobody /, { from });
    assert.ok(
      !c.lines.slice(from, c.lines.indexOf(end.line)).some((l) => / 352 \S+ \* \S+ \S+ \* nobody/.test(l)),
    );
    nc.close();
    c.close();
  });

  it("WHOIS a text user and an IRC user; 401 and 318 for nobody", async () => {
    const nc = await TextClient.join(server.port, "Olga");
    const c = await IrcClient.register(ircPort(server), "otto");
    c.send("WHOIS Olga");
    const user = await c.waitFor(/ 311 otto Olga /);
    assert.deepEqual(user.params.slice(2), ["papo", "127.0.0.1", "*", "Olga"]);
    await c.waitFor(/ 319 otto Olga :#lobby/);
    await c.waitFor(/ 312 otto Olga irc\.papo /);
    await c.waitFor(/ 318 otto Olga /);
    c.send("WHOIS irc.papo otto");
    await c.waitFor(/ 311 otto otto ~otto 127\.0\.0\.1 \* :otto/);
    c.send("WHOIS ninguem");
    await c.waitFor(/ 401 otto ninguem /);
    await c.waitFor(/ 318 otto ninguem /);
    nc.close();
    c.close();
  });

  it("WHOWAS: a name that left (or was renamed away) is remembered; 406 and 369 for a name never seen", async () => {
    const nc = await TextClient.join(server.port, "Paula");
    nc.line("/nick Paulinha");
    await nc.waitFor("Paulinha");
    const c = await IrcClient.register(ircPort(server), "pedro", { lobby: false });
    c.send("WHOWAS Paula");
    await c.waitFor(/ 314 pedro Paula papo 127\.0\.0\.1 \* :Paula/);
    await c.waitFor(/ 369 pedro Paula /);
    c.send("WHOWAS jamais");
    await c.waitFor(/ 406 pedro jamais /);
    await c.waitFor(/ 369 pedro jamais /);
    c.send("WHOWAS");
    await c.waitFor(/ 461 pedro WHOWAS /);
    nc.close();
    c.close();
  });

  it("LUSERS counts users, unregistered connections and channels; USERHOST, TIME; OPER is refused (491)", async () => {
    const c = await IrcClient.register(ircPort(server), "quim", { lobby: false });
    const nc = await TextClient.join(server.port, "Rita");
    const waiting = new TextClient(server.port); // connected, no name yet
    await waiting.waitFor("Choose a name");
    c.send("LUSERS");
    const client = await c.waitFor(/ 251 quim /);
    // Clients of the tests before may still be closing: at least these two, one waiting.
    assert.match(client.params[1] ?? "", / \d+ users and 0 invisible on 1 servers/);
    await c.waitFor(/ 253 quim [1-9]\d* /);
    await c.waitFor(/ 254 quim \d+ /);
    await c.waitFor(/ 255 quim :I have \d+ clients/);
    await c.waitFor(/ 266 quim :Current global users \d+, max \d+/);
    c.send("USERHOST Rita quim");
    await c.waitFor(/ 302 quim :Rita=\+papo@127\.0\.0\.1 quim=\+~quim@127\.0\.0\.1$/);
    c.send("TIME");
    await c.waitFor(/ 391 quim irc\.papo :/);
    c.send("OPER quim secret");
    await c.waitFor(/ 491 quim /);
    waiting.close();
    nc.close();
    c.close();
  });
});

describe("Away for every kind of client (issue 13), IRC AWAY mapped to it", { timeout: 60_000 }, () => {
  useServer();

  it("a text user's /away is told to whoever writes privately (text, json, IRC 301) and shown in /users", async () => {
    const nc = await TextClient.join(server.port, "Sofia");
    const json = await JsonClient.join(server.port, "Tiago");
    const c = await IrcClient.register(ircPort(server), "ulla");
    nc.line("/away almoçando");
    await nc.waitFor("* You are away: almoçando");
    // IRC: 301 with the message, after the PRIVMSG went through.
    c.send("PRIVMSG Sofia :oi?");
    await nc.waitFor("ulla (private): oi?");
    await c.waitFor(/ 301 ulla Sofia :almoçando/);
    // A NOTICE never gets the automatic answer.
    const from = c.lines.length;
    c.send("NOTICE Sofia :só avisando");
    await nc.waitFor("-ulla (private)- só avisando");
    c.send("PING :fim");
    await c.waitFor(/ PONG \S+ :fim/, { from });
    assert.ok(!c.lines.slice(from).some((l) => / 301 /.test(l)));
    // json: an `away` event after the private copy.
    json.say("@Sofia tudo bem?");
    const away = await json.waitEvent("away");
    assert.deepEqual(
      { name: away.name, away: away.away, text: away.text },
      {
        name: "Sofia",
        away: true,
        text: "almoçando",
      },
    );
    // The user lists show it.
    json.say("/users");
    const users = await json.waitEvent("users");
    assert.equal(users.users.find((u) => u.name === "Sofia")?.away, "almoçando");
    nc.line("/users");
    await nc.waitFor(/Sofia \(.*\) — away: almoçando/);
    // WHO shows G (gone), WHOIS the message.
    c.send("WHO Sofia");
    await c.waitFor(/ 352 ulla \* papo \S+ \* Sofia G /);
    c.send("WHOIS Sofia");
    await c.waitFor(/ 301 ulla Sofia :almoçando/);
    nc.line("/back");
    await nc.waitFor("* You are back.");
    json.say("/users");
    const back = await json.waitEvent("users", (e) => e.users.every((u) => u.away === undefined));
    assert.ok(back);
    nc.close();
    json.close();
    c.close();
  });

  it("IRC AWAY sets and clears it (306, 305); a text user writing to the IRC user is told", async () => {
    const c = await IrcClient.register(ircPort(server), "vito");
    const nc = await TextClient.join(server.port, "Wilma");
    c.send("AWAY :no café");
    await c.waitFor(/ 306 vito /);
    nc.line("@vito volta logo?");
    await nc.waitFor("* vito is away: no café");
    c.send("AWAY");
    await c.waitFor(/ 305 vito /);
    const from = nc.lines.length;
    nc.line("@vito e agora?");
    await nc.waitFor("-> vito (private): e agora?", { from });
    await sleep(100);
    assert.ok(!nc.lines.slice(from).some((l) => l.includes("is away")));
    // Portuguese names work too.
    nc.line("/ausente volto já");
    await nc.waitFor("* You are away: volto já");
    nc.line("/voltei");
    await nc.waitFor("* You are back.");
    nc.close();
    c.close();
  });
});

describe("IRC NOTICE, PART reasons, TOPIC clearing and msgid (issue 11)", { timeout: 60_000 }, () => {
  useServer();

  it("a channel NOTICE reaches IRC users as NOTICE, text users marked as a notice, json users with notice: true", async () => {
    const nc = await TextClient.join(server.port, "Xena");
    const json = await JsonClient.join(server.port, "Yuri");
    const a = await IrcClient.register(ircPort(server), "zack");
    const b = await IrcClient.register(ircPort(server), "alma");
    a.send("NOTICE #lobby :aviso geral");
    await b.waitFor(/^:zack!\S+ NOTICE #lobby :aviso geral$/);
    await nc.waitFor("-zack- aviso geral");
    const m = await json.waitEvent("message", (e) => e.text === "aviso geral");
    assert.equal(m.notice, true);
    // A PRIVMSG stays a PRIVMSG.
    a.send("PRIVMSG #lobby :conversa");
    await b.waitFor(/^:zack!\S+ PRIVMSG #lobby :conversa$/);
    const plain = await json.waitEvent("message", (e) => e.text === "conversa");
    assert.equal(plain.notice, undefined);
    nc.close();
    json.close();
    a.close();
    b.close();
  });

  it("PART with a reason: the IRC client's own PART and the others carry it, text users read it", async () => {
    const nc = await TextClient.join(server.port, "Bruna");
    nc.line("/join #partida");
    await nc.waitFor("#partida");
    const c = await IrcClient.register(ircPort(server), "caio");
    c.send("JOIN #partida");
    await nc.waitFor("caio joined");
    c.send("PART #partida :até amanhã");
    await c.waitFor(/^:caio!\S+ PART #partida :até amanhã$/);
    await nc.waitFor("caio left: até amanhã");
    // A text user's reason reaches IRC users.
    c.send("JOIN #partida");
    await nc.waitFor("caio joined");
    nc.line("/part #partida fui");
    await c.waitFor(/^:Bruna!\S+ PART #partida :fui$/);
    nc.close();
    c.close();
  });

  it("TOPIC #room : clears the topic for everyone", async () => {
    const c = await IrcClient.register(ircPort(server), "dora");
    const json = await JsonClient.join(server.port, "Edu");
    c.send("TOPIC #lobby :um tema");
    await c.waitFor(/ TOPIC #lobby :um tema/);
    c.send("TOPIC #lobby :");
    await c.waitFor(/ TOPIC #lobby :$/);
    await json.waitEvent("topic", (e) => e.topic === "");
    c.send("TOPIC #lobby");
    await c.waitFor(/ 331 dora #lobby /);
    json.close();
    c.close();
  });

  it("message-tags: every message carries a msgid, the same for every recipient and in history", async () => {
    const a = await IrcClient.register(ircPort(server), "fabi", { caps: ["message-tags", "echo-message"] });
    const b = await IrcClient.register(ircPort(server), "gabi", { caps: ["message-tags"] });
    a.send("PRIVMSG #lobby :com id");
    const echoed = await a.waitFor(/ PRIVMSG #lobby :com id/);
    const got = await b.waitFor(/ PRIVMSG #lobby :com id/);
    assert.ok(echoed.tags?.get("msgid"));
    assert.equal(echoed.tags?.get("msgid"), got.tags?.get("msgid"));
    a.send("PRIVMSG gabi :privado");
    const p = await b.waitFor(/ PRIVMSG gabi :privado/);
    const pe = await a.waitFor(/ PRIVMSG gabi :privado/);
    assert.ok(p.tags?.get("msgid"));
    assert.equal(p.tags?.get("msgid"), pe.tags?.get("msgid"));
    a.close();
    b.close();
  });
});

describe("Room operators and channel modes, KICK and INVITE (issue 11), for every kind of client", {
  timeout: 60_000,
}, () => {
  useServer();

  it("whoever makes a room is its operator: NAMES shows @, +o/+v are announced, others get 482", async () => {
    const op = await IrcClient.register(ircPort(server), "hugo", { lobby: false });
    op.send("JOIN #ops");
    await op.waitFor(/ 353 hugo = #ops :@hugo$/);
    const nc = await TextClient.join(server.port, "Iris");
    nc.line("/join #ops");
    await op.waitFor(/^:Iris!\S+ JOIN #ops$/);
    const other = await IrcClient.register(ircPort(server), "joao", { lobby: false });
    other.send("JOIN #ops");
    await other.waitFor(/ 353 joao = #ops :/);
    other.send("MODE #ops +o joao");
    await other.waitFor(/ 482 joao #ops /);
    op.send("MODE #ops +v Iris");
    await other.waitFor(/^:hugo!\S+ MODE #ops \+v Iris$/);
    await nc.waitFor("* hugo set #ops +v Iris");
    op.send("MODE #ops +o joao");
    await other.waitFor(/^:hugo!\S+ MODE #ops \+o joao$/);
    const from = other.lines.length;
    other.send("NAMES #ops");
    const names = await other.waitFor(/ 353 joao = #ops /, { from });
    assert.deepEqual(names.params.at(-1)?.split(" ").sort(), ["+Iris", "@hugo", "@joao"]);
    // +o for someone online but not in the room: 441; for nobody: 401.
    op.send("MODE #ops +o Kiko");
    await op.waitFor(/ 401 hugo Kiko /);
    nc.close();
    op.close();
    other.close();
  });

  it("+k and +l hold for a text user's /join; +m silences the unvoiced; +t leaves the topic to operators", async () => {
    const op = await IrcClient.register(ircPort(server), "lara", { lobby: false });
    op.send("JOIN #fechada");
    await op.waitFor(/ 366 lara #fechada /);
    op.send("MODE #fechada +k segredo");
    await op.waitFor(/ MODE #fechada \+k segredo$/);
    const nc = await TextClient.join(server.port, "Mara");
    nc.line("/join #fechada");
    await nc.waitFor("! #fechada needs a key: /join #fechada KEY");
    nc.line("/join #fechada segredo");
    await op.waitFor(/^:Mara!\S+ JOIN #fechada$/);
    op.send("MODE #fechada -k *");
    op.send("MODE #fechada +l 2");
    await op.waitFor(/ MODE #fechada \+l 2$/);
    const json = await JsonClient.join(server.port, "Nara");
    json.request({ type: "join", room: "#fechada" });
    const full = await json.waitEvent("error");
    assert.equal(full.code, "room_full");
    const ircFull = await IrcClient.register(ircPort(server), "olav", { lobby: false });
    ircFull.send("JOIN #fechada");
    await ircFull.waitFor(/ 471 olav #fechada /);
    // +m: Mara may not talk until voiced.
    op.send("MODE #fechada +m");
    await nc.waitFor("* lara set #fechada +m");
    nc.line("/join #fechada");
    nc.line("posso falar?");
    await nc.waitFor("! #fechada is moderated");
    op.send("MODE #fechada +v Mara");
    await nc.waitFor("+v Mara");
    nc.line("agora sim");
    await op.waitFor(/ PRIVMSG #fechada :agora sim$/);
    // +t: the topic is the operators'.
    op.send("MODE #fechada +t");
    await nc.waitFor("+t");
    nc.line("/topic tema da Mara");
    await nc.waitFor("! Only the operators of #fechada can do that.");
    op.send("MODE #fechada");
    await op.waitFor(/ 324 lara #fechada \+mntl :?2$/);
    for (const c of [op, ircFull]) c.close();
    nc.close();
    json.close();
  });

  it("KICK removes a text user from the room (not from the chat): IRC users see KICK, the text user is told", async () => {
    const op = await IrcClient.register(ircPort(server), "paulo", { lobby: false });
    op.send("JOIN #kick");
    await op.waitFor(/ 366 paulo #kick /);
    const nc = await TextClient.join(server.port, "Quenia");
    nc.line("/join #kick");
    await op.waitFor(/^:Quenia!\S+ JOIN #kick$/);
    const json = await JsonClient.join(server.port, "Raul");
    json.request({ type: "join", room: "#kick" });
    await op.waitFor(/^:Raul!\S+ JOIN #kick$/);
    op.send("KICK #kick Quenia :fora do tema");
    await op.waitFor(/^:paulo!\S+ KICK #kick Quenia :fora do tema$/);
    await nc.waitFor("* paulo removed Quenia from the room: fora do tema");
    const left = await json.waitEvent("left", (e) => e.name === "Quenia");
    assert.equal(left.by, "paulo");
    assert.equal(left.reason, "kicked");
    // Still online, in the lobby.
    nc.line("ainda aqui");
    await json.waitEvent("message", (e) => e.text === "ainda aqui");
    // A member who is not an operator cannot kick; nobody can kick from the lobby.
    const irc2 = await IrcClient.register(ircPort(server), "sara", { lobby: true });
    irc2.send("JOIN #kick");
    await irc2.waitFor(/ 366 sara #kick /);
    irc2.send("KICK #kick Raul");
    await irc2.waitFor(/ 482 sara #kick /);
    irc2.send("KICK #lobby Quenia");
    await irc2.waitFor(/ 482 sara #lobby /);
    // The op kicks an IRC user: it sees its own KICK and is out of the channel.
    op.send("KICK #kick sara");
    await irc2.waitFor(/^:paulo!\S+ KICK #kick sara :paulo$/);
    irc2.send("PRIVMSG #kick :voltei?");
    await irc2.waitFor(/ 404 sara #kick /);
    for (const c of [op, irc2]) c.close();
    nc.close();
    json.close();
  });

  it("INVITE lets a user into an invite-only room; without it, 473; the invited text user is told", async () => {
    const op = await IrcClient.register(ircPort(server), "tati", { lobby: false });
    op.send("JOIN #convite");
    await op.waitFor(/ 366 tati #convite /);
    op.send("MODE #convite +i");
    await op.waitFor(/ MODE #convite \+i$/);
    const nc = await TextClient.join(server.port, "Ugo");
    nc.line("/join #convite");
    await nc.waitFor("! #convite is invite-only");
    op.send("INVITE Ugo #convite");
    await op.waitFor(/ 341 tati Ugo :?#convite$/);
    await nc.waitFor("* tati invites you to #convite (/join #convite).");
    nc.line("/join #convite");
    await op.waitFor(/^:Ugo!\S+ JOIN #convite$/);
    const c = await IrcClient.register(ircPort(server), "vera", { lobby: false });
    c.send("JOIN #convite");
    await c.waitFor(/ 473 vera #convite /);
    op.send("INVITE vera #convite");
    await c.waitFor(/^:tati!\S+ INVITE vera :?#convite$/);
    c.send("INVITE");
    await c.waitFor(/ 336 vera :?#convite$/);
    await c.waitFor(/ 337 vera /);
    c.send("JOIN #convite");
    await c.waitFor(/ 366 vera #convite /);
    op.send("INVITE Ugo #convite");
    await op.waitFor(/ 443 tati Ugo #convite /);
    op.send("INVITE ninguem #convite");
    await op.waitFor(/ 401 tati ninguem /);
    for (const x of [op, c]) x.close();
    nc.close();
  });

  it("+b keeps a matching user out; MODE #room +b lists the bans (367, 368)", async () => {
    const op = await IrcClient.register(ircPort(server), "wes", { lobby: false });
    op.send("JOIN #ban");
    await op.waitFor(/ 366 wes #ban /);
    op.send("MODE #ban +b Xavi");
    await op.waitFor(/ MODE #ban \+b Xavi!\*@\*$/);
    const nc = await TextClient.join(server.port, "Xavi");
    nc.line("/join #ban");
    await nc.waitFor("! You are banned from #ban.");
    op.send("MODE #ban +b");
    await op.waitFor(/ 367 wes #ban Xavi!\*@\* wes :?\d+$/);
    await op.waitFor(/ 368 wes #ban /);
    op.send("MODE #ban -b Xavi!*@*");
    await op.waitFor(/ MODE #ban -b Xavi!\*@\*$/);
    nc.line("/join #ban");
    await op.waitFor(/^:Xavi!\S+ JOIN #ban$/);
    op.close();
    nc.close();
  });
});

describe("draft/chathistory from the room log (issue 11)", { timeout: 60_000 }, () => {
  useServer();

  /** The PRIVMSG texts of the next chathistory batch after line `from`. */
  async function batch(c: IrcClient, from: number): Promise<string[]> {
    const open = await c.waitFor(/ BATCH \+\S+ chathistory #hist$/, { from });
    const id = open.params[0]?.slice(1) ?? "";
    const close = await c.waitFor(new RegExp(` BATCH -${id}$`), { from });
    const lines = c.lines.slice(c.lines.indexOf(open.line) + 1, c.lines.indexOf(close.line));
    return lines.filter((l) => l.includes(`batch=${id}`)).map((l) => l.slice(l.lastIndexOf(" :") + 2));
  }

  it("LATEST, BEFORE, AFTER, AROUND and BETWEEN by msgid answer from what a text user said", async () => {
    const nc = await TextClient.join(server.port, "Zelia");
    nc.line("/join #hist");
    await nc.waitFor("#hist");
    const c = await IrcClient.register(ircPort(server), "yara", {
      lobby: false,
      caps: ["draft/chathistory", "batch", "message-tags", "server-time"],
    });
    assert.match(c.lines.filter((l) => / 005 /.test(l)).join(" "), / CHATHISTORY=\d+ .*MSGREFTYPES=msgid /);
    c.send("JOIN #hist");
    await c.waitFor(/ 366 yara #hist /);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      nc.line(`linha ${i}`);
      const m = await c.waitFor(new RegExp(` PRIVMSG #hist :linha ${i}$`));
      ids.push(m.tags?.get("msgid") ?? "");
    }
    let from = c.lines.length;
    c.send("CHATHISTORY LATEST #hist * 3");
    assert.deepEqual(await batch(c, from), ["linha 3", "linha 4", "linha 5"]);
    from = c.lines.length;
    c.send(`CHATHISTORY LATEST #hist msgid=${ids[3]} 50`);
    assert.deepEqual(await batch(c, from), ["linha 4", "linha 5"]);
    from = c.lines.length;
    c.send(`CHATHISTORY BEFORE #hist msgid=${ids[2]} 2`);
    assert.deepEqual(await batch(c, from), ["linha 0", "linha 1"]);
    from = c.lines.length;
    c.send(`CHATHISTORY AFTER #hist msgid=${ids[3]} 10`);
    assert.deepEqual(await batch(c, from), ["linha 4", "linha 5"]);
    from = c.lines.length;
    c.send(`CHATHISTORY BETWEEN #hist msgid=${ids[0]} msgid=${ids[4]} 10`);
    assert.deepEqual(await batch(c, from), ["linha 1", "linha 2", "linha 3"]);
    from = c.lines.length;
    c.send(`CHATHISTORY AROUND #hist msgid=${ids[2]} 3`);
    assert.deepEqual(await batch(c, from), ["linha 1", "linha 2", "linha 3"]);
    c.send("CHATHISTORY LATEST #naoestou * 10");
    await c.waitFor(/^:irc\.papo FAIL CHATHISTORY INVALID_TARGET LATEST #naoestou /);
    c.send("CHATHISTORY BEFORE #hist timestamp=2026-01-01T00:00:00.000Z 10");
    await c.waitFor(/ FAIL CHATHISTORY INVALID_MSGREFTYPE BEFORE /);
    nc.close();
    c.close();
  });
});

describe("Room operators from text and json users: /mode, /kick, /invite (issue 11)", {
  timeout: 60_000,
}, () => {
  useServer();

  it("a text user who made a room keys it, invites and removes; an IRC member sees MODE, INVITE and KICK", async () => {
    const op = await TextClient.join(server.port, "Abel");
    op.line("/join #texto");
    await op.waitFor("#texto");
    const c = await IrcClient.register(ircPort(server), "bete", { lobby: false });
    c.send("JOIN #texto");
    await op.waitFor("bete joined");
    op.line("/mode +k chave");
    await c.waitFor(/^:Abel!\S+ MODE #texto \+k chave$/);
    await op.waitFor("* Abel set #texto +k chave");
    op.line("/modo #texto +i");
    await c.waitFor(/ MODE #texto \+i$/);
    const json = await JsonClient.join(server.port, "Ciro");
    json.request({ type: "join", room: "#texto" });
    assert.equal((await json.waitEvent("error")).code, "room_invite_only");
    op.line("/invite Ciro");
    const inv = await json.waitEvent("invited");
    assert.deepEqual([inv.room, inv.by, inv.name], ["#texto", "Abel", "Ciro"]);
    await op.waitFor("* Ciro is invited to #texto.");
    json.say("/join #texto chave");
    await c.waitFor(/^:Ciro!\S+ JOIN #texto$/);
    // A member who is not an operator is refused.
    json.request({ type: "line", text: "/kick bete", room: "#texto" });
    const refused = await json.waitEvent("error", (e) => e.code === "not_room_operator");
    assert.deepEqual(refused.params, { room: "#texto" });
    op.line("/kick bete chega");
    await c.waitFor(/^:Abel!\S+ KICK #texto bete :chega$/);
    await op.waitFor("* Abel removed bete from the room: chega");
    op.line("/mode");
    await op.waitFor("! Use: /mode [#room] +MODES [ARGS]");
    op.close();
    json.close();
    c.close();
  });
});
