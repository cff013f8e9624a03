/**
 * Issue 14, "What a user must be able to do", server side, over real sockets on port 0: rooms
 * (/join, /part, /rooms, current room, the `[#room] ` prefix, confusable names, limits), notices
 * to members only, history on join (no gap, no duplicate with live), /history and json `history`,
 * topics, and the seeds' behaviour for people who never type a room command.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RoomEvent, ServerEvent } from "../src/protocol/events.ts";
import { isRoomEvent } from "../src/protocol/events.ts";
import { JsonClient, legacyFrame, sleep, startTestServer, type TestServer, TextClient } from "./helpers.ts";

type Ev<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;

/** The room events a json client received for `room` (history replays and live), in order. */
function roomView(c: JsonClient, room: string): RoomEvent[] {
  const out: RoomEvent[] = [];
  for (const e of c.events) {
    if (e.type === "history" && e.room === room && e.kind !== "request") out.push(...e.events);
    else if (isRoomEvent(e) && e.room === room) out.push(e);
  }
  return out;
}

function assertContiguous(events: RoomEvent[], what: string): void {
  for (let i = 1; i < events.length; i++)
    assert.equal(
      events[i]?.seq,
      (events[i - 1]?.seq ?? 0) + 1,
      `${what}: seq ${events[i - 1]?.seq} then ${events[i]?.seq}`,
    );
}

/** Waits until `c` has received `n` events matching `pred`. */
async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

describe("issue 14: rooms over real sockets", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ limits: { historyOnJoin: 50 } });
  });
  after(async () => {
    await server.close();
  });

  it("/join creates a room and makes it current; plain lines go there; /part goes back to the lobby", async () => {
    const ana = await TextClient.join(server.port, "r1_ana");
    const bia = await TextClient.join(server.port, "r1_bia");
    const out = await TextClient.join(server.port, "r1_out");
    ana.line("/join #r1");
    await ana.waitFor("* You are in #r1.");
    bia.line("/join #r1");
    // Who is there, the joiner counted (json clients get the others, then their own `joined`).
    await bia.waitFor("* You are in #r1 (2 here: r1_ana, r1_bia).");
    const from = out.lines.length;
    ana.line("só na sala");
    await bia.waitFor("r1_ana: só na sala");
    ana.line("/part");
    await ana.waitFor("* You left #r1; now talking in #lobby.");
    await bia.waitFor("[#r1]", { ms: 50 }).then(
      () => assert.fail("bia's current room is #r1: no prefix expected"),
      () => {},
    );
    await bia.waitFor("* r1_ana left");
    ana.line("de volta ao lobby");
    await out.waitFor("r1_ana: de volta ao lobby", { from });
    // The lobby never heard what was said in #r1.
    assert.ok(!out.lines.slice(from).some((l) => l.includes("só na sala")), out.lines.join("\n"));
    // bia's current room is #r1: a lobby line reaches her prefixed with the lobby.
    await bia.waitFor("[#lobby] r1_ana: de volta ao lobby");
    for (const c of [ana, bia, out]) c.close();
  });

  it("/rooms lists the rooms with how many are in each (json and text)", async () => {
    const a = await JsonClient.join(server.port, "r2_a");
    const b = await JsonClient.join(server.port, "r2_b");
    a.request({ type: "join", room: "#r2" });
    b.request({ type: "join", room: "#r2" });
    await b.waitEvent("room", (e) => e.room === "#r2");
    await a.waitEvent("joined", (e) => e.room === "#r2" && e.name === "r2_b");
    const from = a.events.length;
    a.request({ type: "rooms" });
    const rooms = await a.waitEvent("rooms", () => true, { from });
    const r2 = rooms.rooms.find((r) => r.room === "#r2");
    assert.deepEqual(r2, { room: "#r2", users: 2 });
    assert.ok(rooms.rooms.some((r) => r.room === "#lobby" && r.users >= 2));
    const t = await TextClient.join(server.port, "r2_t");
    t.line("/rooms");
    await t.waitFor("*   #r2: 2 people");
    for (const c of [a, b]) c.close();
    t.close();
  });

  it("/join on a room you are in makes it current; a text user sees other rooms' lines prefixed", async () => {
    const t = await TextClient.join(server.port, "r3_t");
    const j = await JsonClient.join(server.port, "r3_j");
    t.line("/join #r3a");
    await t.waitFor("* You are in #r3a.");
    t.line("/join #r3b");
    await t.waitFor("* You are in #r3b.");
    j.request({ type: "join", room: "#r3a" });
    await j.waitEvent("history", (e) => e.room === "#r3a");
    j.request({ type: "line", text: "para a", room: "#r3a" });
    await t.waitFor("[#r3a] r3_j: para a");
    let from = t.lines.length;
    t.line("/join #r3a");
    await t.waitFor("* Now talking in #r3a.", { from });
    j.request({ type: "line", text: "de novo", room: "#r3a" });
    const line = await t.waitFor("r3_j: de novo", { from });
    assert.equal(line, "r3_j: de novo");
    // Plain lines now go to #r3a.
    from = j.events.length;
    t.line("agora em a");
    const m = await j.waitEvent("message", (e) => e.text === "agora em a", { from });
    assert.equal(m.room, "#r3a");
    // Json: `current` says so.
    from = j.events.length;
    j.request({ type: "line", text: "/join #r3a" });
    assert.equal((await j.waitEvent("current", () => true, { from })).room, "#r3a");
    t.close();
    j.close();
  });

  it("confusable room names are one room: #Geral, #GERAL, and #gеral (Cyrillic е) while #Geral exists", async () => {
    const a = await JsonClient.join(server.port, "r4_a");
    const b = await JsonClient.join(server.port, "r4_b");
    const c = await TextClient.join(server.port, "r4_c");
    // A mixed-script name cannot create a room (it could pose as another)...
    a.request({ type: "join", room: "#g\u0435ral" });
    const refused = await a.waitEvent("error");
    assert.deepEqual([refused.code, refused.params], ["room_invalid", { reason: "mixed_script" }]);
    a.request({ type: "join", room: "#Geral" });
    await a.waitEvent("room", (e) => e.room === "#Geral");
    // ...but once #Geral exists, that spelling is #Geral.
    b.request({ type: "join", room: "#g\u0435ral" });
    const entered = await b.waitEvent("room", (e) => e.type === "room" && !e.initial);
    assert.equal(entered.room, "#Geral");
    assert.deepEqual(
      entered.users.map((u) => u.name),
      ["r4_a"],
    );
    c.line("/join #GERAL");
    await c.waitFor("* You are in #Geral (3 here: r4_a, r4_b, r4_c).");
    await a.waitEvent("joined", (e) => e.name === "r4_c" && e.room === "#Geral");
    b.request({ type: "line", text: "olá", room: "#GER\u0410L" });
    await c.waitFor("r4_b: olá");
    b.request({ type: "part", room: "#g\u0435ral" });
    assert.equal((await b.waitEvent("parted")).room, "#Geral");
    for (const x of [a, b]) x.close();
    c.close();
  });

  it("join and leave notices go to the room's members only; a disconnect tells each room once", async () => {
    const x = await JsonClient.join(server.port, "r6_x");
    const inA = await JsonClient.join(server.port, "r6_inA");
    const inAB = await JsonClient.join(server.port, "r6_inAB");
    const lobbyOnly = await JsonClient.join(server.port, "r6_lobby");
    for (const [c, rooms] of [
      [inA, ["#r6a"]],
      [inAB, ["#r6a", "#r6b"]],
      [x, ["#r6a", "#r6b"]],
    ] as const)
      for (const r of rooms) {
        c.request({ type: "join", room: r });
        await c.waitEvent("history", (e) => e.room === r);
      }
    await inAB.waitEvent("joined", (e) => e.name === "r6_x" && e.room === "#r6b");
    x.close();
    await inA.waitEvent("left", (e) => e.name === "r6_x" && e.room === "#r6a");
    await inAB.waitEvent("left", (e) => e.name === "r6_x" && e.room === "#r6b");
    await inAB.waitEvent("left", (e) => e.name === "r6_x" && e.room === "#r6a");
    await lobbyOnly.waitEvent("left", (e) => e.name === "r6_x" && e.room === "#lobby");
    await sleep(50);
    const lefts = (c: JsonClient) =>
      c.events
        .filter((e): e is Ev<"left"> => e.type === "left" && e.name === "r6_x")
        .map((e) => e.room)
        .sort();
    assert.deepEqual(lefts(inA), ["#lobby", "#r6a"]);
    assert.deepEqual(lefts(inAB), ["#lobby", "#r6a", "#r6b"]);
    assert.deepEqual(lefts(lobbyOnly), ["#lobby"]);
    // Joins of rooms one is not in are not seen either.
    assert.ok(!lobbyOnly.events.some((e) => e.type === "joined" && e.room !== "#lobby"));
    assert.ok(!inA.events.some((e) => "room" in e && e.room === "#r6b"));
    for (const c of [inA, inAB, lobbyOnly]) c.close();
  });

  it("private messages stay global, by name, whatever rooms people are in", async () => {
    const a = await TextClient.join(server.port, "r7_a");
    const b = await TextClient.join(server.port, "r7_b");
    a.line("/join #r7a");
    await a.waitFor("* You are in #r7a.");
    b.line("/join #r7b");
    await b.waitFor("* You are in #r7b.");
    a.line("@r7_b só para ti");
    assert.equal(await b.waitFor("(private)"), "r7_a (private): só para ti");
    await a.waitFor("-> r7_b (private): só para ti");
    a.close();
    b.close();
  });

  it("/topic sets and shows a room's topic; joiners and /rooms see it", async () => {
    const a = await TextClient.join(server.port, "r8_a");
    const j = await JsonClient.join(server.port, "r8_j");
    a.line("/join #r8");
    await a.waitFor("* You are in #r8.");
    j.request({ type: "join", room: "#r8" });
    await j.waitEvent("history", (e) => e.room === "#r8");
    a.line("/topic trabalho de redes");
    const t = await j.waitEvent("topic", (e) => e.room === "#r8");
    assert.equal(t.topic, "trabalho de redes");
    assert.equal(t.by, "r8_a");
    await a.waitFor("* r8_a set the topic: trabalho de redes");
    const from = a.lines.length;
    a.line("/topic");
    await a.waitFor("* Topic of #r8: trabalho de redes", { from });
    // A look at the topic is not an entry into the room: no "You are in #r8" line.
    assert.ok(!a.lines.slice(from).some((l) => l.includes("You are in")), a.lines.slice(from).join("\n"));
    a.line("/join #r8b");
    await a.waitFor("* You are in #r8b.");
    const before = a.lines.length;
    a.line("/topic");
    await a.waitFor("* #r8b has no topic.", { from: before });
    const late = await TextClient.join(server.port, "r8_late");
    late.line("/join #r8");
    await late.waitFor("* Topic of #r8: trabalho de redes");
    late.line("/rooms");
    await late.waitFor("*   #r8: 3 people — trabalho de redes");
    for (const c of [a, late]) c.close();
    j.close();
  });
});

describe("issue 14: room limits", () => {
  let limited: TestServer;
  before(async () => {
    limited = await startTestServer({
      limits: { maxRoomsPerUser: 4, maxRooms: 6, maxRoomNameLength: 12 },
    });
  });
  after(async () => {
    await limited.close();
  });

  it("room limits: rooms per user, rooms in all, name length, bad names (limits.ts)", async () => {
    const a = await JsonClient.join(limited.port, "r5_a");
    // maxRoomsPerUser 4, the lobby included.
    for (const r of ["#r5a", "#r5b", "#r5c"]) {
      a.request({ type: "join", room: r });
      await a.waitEvent("room", (e) => e.room === r);
    }
    let from = a.events.length;
    a.request({ type: "join", room: "#r5d" });
    const tooMany = await a.waitEvent("error", () => true, { from });
    assert.deepEqual([tooMany.code, tooMany.params], ["too_many_rooms", { limit: 4 }]);
    // maxRooms 6 in all: the lobby, #r5a-c and one more; then the server is full of rooms.
    const b = await JsonClient.join(limited.port, "r5_b");
    b.request({ type: "join", room: "#r5e" });
    await b.waitEvent("room", (e) => e.room === "#r5e");
    const roomsNow = (await (async () => {
      const f = b.events.length;
      b.request({ type: "rooms" });
      return b.waitEvent("rooms", () => true, { from: f });
    })()) as Ev<"rooms">;
    const free = 6 - roomsNow.rooms.length;
    for (let i = 0; i < free; i++) {
      b.request({ type: "join", room: `#r5f${i}` });
      await b.waitEvent("room", (e) => e.room === `#r5f${i}`);
    }
    from = b.events.length;
    b.request({ type: "join", room: "#r5full" });
    const full = await b.waitEvent("error", () => true, { from });
    assert.deepEqual([full.code, full.params], ["rooms_full", { limit: 6 }]);
    // An existing room can still be joined.
    b.request({ type: "join", room: "#r5a" });
    await b.waitEvent("room", (e) => e.room === "#r5a");
    // Name length 12 and the nickname rules.
    const t = await TextClient.join(limited.port, "r5_t");
    t.line("/join #abcdefghijklm");
    await t.waitFor("! Invalid room name: it is too long.");
    t.line("/join ##x");
    await t.waitFor("! Invalid room name: write it with one # (like #geral).");
    t.line("/join #a,b");
    await t.waitFor("! Invalid room name: it may not contain a comma.");
    from = a.events.length;
    a.request({ type: "join", room: "#a b" });
    assert.equal((await a.waitEvent("error", () => true, { from })).code, "room_invalid");
    // Once rooms empty out, they stop counting.
    a.close();
    b.close();
    while (limited.chat.online > 1) await sleep(5);
    t.line("/join #r5later");
    await t.waitFor("* You are in #r5later.");
    t.close();
  });
});

describe("issue 14: history on join, /history and json history", () => {
  let server: TestServer;
  before(async () => {
    // The defaults of limits.ts (historyOnJoin 50), but a smaller cap per request.
    server = await startTestServer({ limits: { historyOnJoin: 50, historyMaxPerRequest: 20 } });
  });
  after(async () => {
    await server.close();
  });

  it("a joiner sees the last 50 events with their original time, before anything live (json and text)", async () => {
    const w = await JsonClient.join(server.port, "h1_w");
    w.request({ type: "join", room: "#h1" });
    await w.waitEvent("history", (e) => e.room === "#h1");
    for (let i = 0; i < 70; i++) w.request({ type: "line", text: `m${i}`, room: "#h1" });
    const lastLive = await w.waitEvent("message", (e) => e.text === "m69");
    await sleep(5);
    const j = await JsonClient.join(server.port, "h1_j");
    j.request({ type: "join", room: "#h1" });
    const room = await j.waitEvent("room", (e) => e.room === "#h1");
    const h = await j.waitEvent("history", (e) => e.room === "#h1");
    assert.equal(h.kind, "join");
    assert.equal(h.events.length, 50);
    assert.equal(h.more, true);
    assert.equal(h.events.at(-1)?.seq, room.seq);
    assert.equal(room.seq, lastLive.seq);
    assertContiguous(h.events, "history");
    // The original events: same seq, same time, same text as they were live.
    const live = new Map(w.events.filter(isRoomEvent).map((e) => [e.seq, e]));
    for (const e of h.events) if (e.room === "#h1") assert.deepEqual(e, live.get(e.seq));
    // Nothing live came before the history.
    const idx = j.events.indexOf(
      j.events.find((e) => e.type === "history" && e.room === "#h1") as ServerEvent,
    );
    assert.ok(!j.events.slice(0, idx).some((e) => isRoomEvent(e) && e.room === "#h1"));
    // Then live follows with the next seq: its own join.
    const joined = await j.waitEvent("joined", (e) => e.room === "#h1");
    assert.equal(joined.seq, room.seq + 1);

    // Text: a header, "[HH:MM] name: text" lines (messages only), an end line, before live lines.
    const t = await TextClient.join(server.port, "h1_t");
    t.line("/join #h1");
    await t.waitFor("* --- end of history ---");
    const start = t.lines.findIndex((l) => l.startsWith("* History of #h1"));
    assert.match(
      t.lines[start] ?? "",
      /^\* History of #h1, the last \d+ events \(\/history N shows more\):$/,
    );
    const end = t.lines.indexOf("* --- end of history ---");
    const body = t.lines.slice(start + 1, end);
    assert.ok(body.length > 0 && body.length <= 50);
    const hhmm = (at: number) => {
      const d = new Date(at);
      return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    };
    assert.equal(body.at(-1), `[${hhmm(lastLive.at)}] h1_w: m69`);
    w.request({ type: "line", text: "ao vivo", room: "#h1" });
    const liveIdx = t.lines.indexOf(await t.waitFor("h1_w: ao vivo"));
    assert.ok(liveIdx > end);
    w.close();
    j.close();
    t.close();
  });

  it("no gap and no duplicate between history and live while someone sends continuously", async () => {
    const s = await JsonClient.join(server.port, "h2_s");
    s.request({ type: "join", room: "#h2" });
    await s.waitEvent("history", (e) => e.room === "#h2");
    let sending = true;
    let n = 0;
    const sender = (async () => {
      while (sending) {
        for (let i = 0; i < 5; i++) s.request({ type: "line", text: `c${n++}`, room: "#h2" });
        await new Promise((r) => setImmediate(r));
      }
    })();
    await sleep(30);
    const joiners = await Promise.all([0, 1, 2].map((i) => JsonClient.join(server.port, `h2_j${i}`)));
    for (const j of joiners) j.request({ type: "join", room: "#h2" });
    await Promise.all(joiners.map((j) => j.waitEvent("history", (e) => e.room === "#h2")));
    await sleep(30);
    sending = false;
    await sender;
    const last = `c${n - 1}`;
    await Promise.all(joiners.map((j) => j.waitEvent("message", (e) => e.text === last)));
    for (const j of joiners) {
      const view = roomView(j, "#h2");
      assertContiguous(view, j === joiners[0] ? "joiner 0" : "joiner");
      const h = j.events.find((e): e is Ev<"history"> => e.type === "history" && e.room === "#h2");
      const live = view.slice(h?.events.length ?? 0);
      // The join happened mid-burst: both history and live have messages.
      assert.ok((h?.events.length ?? 0) > 0, "history");
      assert.ok(
        live.some((e) => e.type === "message"),
        "live messages",
      );
    }
    s.close();
    for (const j of joiners) j.close();
  });

  it("/history N counts what was said: N lines even where joins and leaves come between", async () => {
    const w = await JsonClient.join(server.port, "h5_w");
    w.request({ type: "join", room: "#h5" });
    await w.waitEvent("history", (e) => e.room === "#h5");
    for (let i = 0; i < 8; i++) {
      w.request({ type: "line", text: `fala${i}`, room: "#h5" });
      await w.waitEvent("message", (e) => e.text === `fala${i}`);
      // Three comings and goings after every message.
      for (let k = 0; k < 3; k++) {
        w.request({ type: "part", room: "#h5" });
        await w.waitEvent("parted", (e) => e.room === "#h5");
        w.request({ type: "join", room: "#h5" });
        await w.waitEvent("history", (e) => e.room === "#h5");
      }
    }
    const t = await TextClient.join(server.port, "h5_t");
    t.line("/join #h5");
    await t.waitFor("* You are in #h5");
    const from = t.lines.length;
    t.line("/history 5");
    await t.waitFor("* --- end of history ---", { from });
    const shown = t.lines.slice(from).filter((l) => /^\[\d\d:\d\d\] /.test(l));
    assert.deepEqual(
      shown.map((l) => l.replace(/^\[\d\d:\d\d\] /, "")),
      ["h5_w: fala3", "h5_w: fala4", "h5_w: fala5", "h5_w: fala6", "h5_w: fala7"],
    );
    w.close();
    t.close();
  });

  it("/history N shows more, capped per request; json history pages back with before", async () => {
    const w = await JsonClient.join(server.port, "h3_w");
    w.request({ type: "join", room: "#h3" });
    await w.waitEvent("history", (e) => e.room === "#h3");
    for (let i = 0; i < 40; i++) w.request({ type: "line", text: `p${i}`, room: "#h3" });
    const last = await w.waitEvent("message", (e) => e.text === "p39");
    const t = await TextClient.join(server.port, "h3_t");
    t.line("/join #h3");
    await t.waitFor("* --- end of history ---");
    const from = t.lines.length;
    t.line("/history 1000");
    await t.waitFor("* --- end of history ---", { from });
    const header = t.lines.slice(from).find((l) => l.startsWith("* History of #h3")) ?? "";
    // Capped at historyMaxPerRequest (20); the events are the newest (its own join is the last).
    assert.match(header, /the last \d+ events/);
    const shown = t.lines.slice(from).filter((l) => /^\[\d\d:\d\d\] /.test(l));
    assert.ok(shown.length <= 20 && shown.length >= 18, `${shown.length} lines`);
    assert.ok(shown.some((l) => l.endsWith("h3_w: p39")));

    // Json: before a seq, at most `limit`, ascending, `more` while older ones exist.
    let before = last.seq + 1;
    const seen: RoomEvent[] = [];
    for (;;) {
      const f = w.events.length;
      w.request({ type: "history", room: "#h3", before, limit: 1000 });
      const page = await w.waitEvent("history", (e) => e.kind === "request", { from: f });
      assert.ok(page.events.length <= 20);
      assertContiguous(page.events, "page");
      if (page.events.length) assert.equal(page.events.at(-1)?.seq, before - 1);
      seen.unshift(...page.events);
      if (!page.more) break;
      before = page.events[0]?.seq ?? 0;
    }
    assert.equal(seen[0]?.seq, 1);
    assert.equal(seen.length, last.seq);
    assertContiguous(seen, "all pages");
    const f = w.events.length;
    w.request({ type: "history", room: "#h3", before: 5, limit: 2 });
    const two = await w.waitEvent("history", (e) => e.kind === "request", { from: f });
    assert.deepEqual(
      two.events.map((e) => e.seq),
      [3, 4],
    );
    assert.equal(two.more, true);
    w.close();
    t.close();
  });
});

describe("issue 14: the seeds' behaviour is unchanged for people who never type a room command", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ limits: { historyOnJoin: 50 } });
  });
  after(async () => {
    await server.close();
  });

  it("text: join notices with IP:port, messages, @name, /sair: no room names anywhere", async () => {
    const ana = await TextClient.join(server.port, "Ana");
    const mae = await TextClient.join(server.port, "Notebook_Mãe");
    const joined = await ana.waitFor("Notebook_Mãe joined");
    assert.match(joined, /^\* Notebook_Mãe joined from 127\.0\.0\.1:\d+$/);
    mae.line("oi!");
    assert.equal(await ana.waitFor("oi!"), "Notebook_Mãe: oi!");
    ana.line("@Notebook_Mãe psst");
    assert.equal(await mae.waitFor("psst"), "Ana (private): psst");
    mae.line("/sair");
    await mae.waitFor("*** Goodbye.");
    await ana.waitFor("* Notebook_Mãe left");
    for (const c of [ana, mae])
      assert.ok(
        !c.lines.some((l) => l.startsWith("[#") || l.startsWith("* You are in")),
        `a room name in:\n${c.lines.join("\n")}`,
      );
    ana.close();
  });

  it("seed 000's 64-byte header clients: join, talk, receive, no room prefixes", async () => {
    const ana = await TextClient.join(server.port, "seed_rx");
    const net = await import("node:net");
    const s = net.connect(server.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    s.on("data", (d) => chunks.push(d));
    await new Promise((r) => s.once("connect", r));
    s.write(legacyFrame("seed_tx"));
    await ana.waitFor("seed_tx joined");
    s.write(legacyFrame("olá do seed"));
    assert.equal(await ana.waitFor("olá do seed"), "seed_tx: olá do seed");
    ana.line("resposta");
    await until(() => Buffer.concat(chunks).includes("seed_rx: resposta"), "the seed's frame");
    // Live lines carry no room prefix (history on registration names the lobby in its header).
    const all = Buffer.concat(chunks).toString("utf8");
    assert.ok(!all.includes("[#"), all);
    s.destroy();
    ana.close();
  });
});
