/**
 * Issue 14, lossless reconnects (json mode over real sockets): the token at welcome, resume after
 * the connection died, resume while the old connection is still half-open (the ghost), refused
 * tokens, gaps (another epoch, a pruned range, a long absence), and client ids that keep a resent
 * line from being posted twice.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RoomEvent, ServerEvent } from "../src/protocol/events.ts";
import { isRoomEvent } from "../src/protocol/events.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { JsonClient, sleep, startTestServer, type TestServer, TextClient } from "./helpers.ts";
import { DelegatingStore } from "./store-wrappers.ts";

type Ev<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;

/** A json client that keeps what a resuming client must: its token and its place in each room. */
class Resumer {
  c: JsonClient;
  readonly places = new Map<string, { room: string; epoch: string; seq: number }>();
  constructor(c: JsonClient) {
    this.c = c;
  }
  get token(): string {
    const w = this.c.events.find((e): e is Ev<"welcome"> => e.type === "welcome");
    assert.ok(w?.token, "a token in welcome");
    return w.token;
  }
  /** Records the last seq seen in every room, from everything received so far. */
  note(): void {
    let epoch = "";
    for (const e of this.c.events) {
      if (e.type === "welcome") epoch = e.epoch ?? "";
      if (e.type === "room") epoch = e.epoch;
      if (e.type === "history" && e.kind !== "request")
        for (const h of e.events) this.places.set(h.room, { room: h.room, epoch, seq: h.seq });
      if (e.type === "room" && !this.places.has(e.room))
        this.places.set(e.room, { room: e.room, epoch, seq: e.seq });
      if (isRoomEvent(e)) this.places.set(e.room, { room: e.room, epoch, seq: e.seq });
    }
  }
  async resume(port: number): Promise<JsonClient> {
    this.note();
    const token = this.token;
    const c = new JsonClient(port);
    await c.waitEvent("prompt");
    c.request({ type: "resume", token, rooms: [...this.places.values()] });
    this.c = c;
    return c;
  }
}

/** Another store's log under a given secret (tokens stay valid across a new epoch). */
class SameSecret extends DelegatingStore {
  readonly #secret: string;
  constructor(inner: MemoryStore, secret: string) {
    super(inner);
    this.#secret = secret;
  }
  override get secret() {
    return this.#secret;
  }
  override close() {}
}

/** Room events of `room` in what `c` received after `from` (history replays and live). */
function viewOf(c: JsonClient, room: string): RoomEvent[] {
  const out: RoomEvent[] = [];
  for (const e of c.events) {
    if (e.type === "history" && e.room === room && e.kind !== "request") out.push(...e.events);
    else if (isRoomEvent(e) && e.room === room) out.push(e);
  }
  return out;
}

async function joinRoom(c: JsonClient, room: string): Promise<void> {
  c.request({ type: "join", room });
  await c.waitEvent("joined", (e) => e.room === room);
}

describe("issue 14: resume (json)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ limits: { historyOnJoin: 10, roomRingSize: 5, resumeMaxEvents: 60 } });
  });
  after(async () => {
    await server.close();
  });

  it("json clients get a token at welcome; text clients do not", async () => {
    const j = await JsonClient.join(server.port, "t1_j");
    const w = j.events.find((e): e is Ev<"welcome"> => e.type === "welcome");
    assert.ok(w?.token && w.token.length >= 20 && w.epoch);
    const t = await TextClient.join(server.port, "t1_t");
    assert.ok(!t.lines.some((l) => l.includes(w.token ?? "-")));
    j.close();
    t.close();
  });

  it("a resume that names a room its user was not in is checked against the room's modes; a member whose connection dropped comes back", async () => {
    const op = await JsonClient.join(server.port, "m_op");
    await joinRoom(op, "#m_priv");
    await op.waitEvent("joined", (e) => e.room === "#m_priv" && e.name === "m_op");
    op.request({ type: "line", room: "#m_priv", text: "/mode #m_priv +i" });
    await op.waitEvent("mode", (e) => e.room === "#m_priv" && e.modes === "+i");
    // A user's own fresh token, resumed with a room it never joined.
    const x = new Resumer(await JsonClient.join(server.port, "m_x"));
    const epoch = (await x.c.waitEvent("welcome")).epoch ?? "";
    const token = x.token;
    x.c.close();
    const c = new JsonClient(server.port);
    await c.waitEvent("prompt");
    c.request({ type: "resume", token, rooms: [{ room: "#m_priv", epoch, seq: 0 }] });
    assert.equal((await c.waitEvent("welcome")).name, "m_x");
    assert.equal((await c.waitEvent("error")).code, "room_invite_only");
    op.request({ type: "line", room: "#m_priv", text: "só nós" });
    await op.waitEvent("message", (e) => e.text === "só nós");
    c.request({ type: "line", text: "marca" });
    await c.waitEvent("message", (e) => e.text === "marca");
    assert.ok(!c.events.some((e) => e.type === "message" && e.text === "só nós"));
    assert.ok(!op.events.some((e) => e.type === "joined" && e.name === "m_x" && e.room === "#m_priv"));
    // A member whose connection dropped comes back in by resume, key and invitation or not.
    const mem = new Resumer(await JsonClient.join(server.port, "m_mem"));
    op.request({ type: "line", room: "#m_priv", text: "/invite m_mem" });
    await mem.c.waitEvent("invited", (e) => e.room === "#m_priv");
    await joinRoom(mem.c, "#m_priv");
    op.request({ type: "line", room: "#m_priv", text: "/mode #m_priv +k chave" });
    await mem.c.waitEvent("mode", (e) => e.modes === "+k");
    mem.note();
    mem.c.close();
    const gone = await op.waitEvent("left", (e) => e.name === "m_mem" && e.room === "#m_priv");
    assert.equal(gone.reason, "disconnected");
    op.request({ type: "line", room: "#m_priv", text: "enquanto fora" });
    await op.waitEvent("message", (e) => e.text === "enquanto fora");
    const back = await mem.resume(server.port);
    await back.waitEvent("history", (e) => e.room === "#m_priv" && e.kind === "resume");
    await op.waitEvent("joined", (e) => e.name === "m_mem" && e.room === "#m_priv");
    assert.ok(!back.events.some((e) => e.type === "error"));
    op.close();
    c.close();
    back.close();
  });

  it("after the connection died (name free): the same name back, missed events replayed exactly once per room", async () => {
    const a = new Resumer(await JsonClient.join(server.port, "d_ana"));
    const b = await JsonClient.join(server.port, "d_bia");
    await joinRoom(a.c, "#d1");
    await joinRoom(b, "#d1");
    await a.c.waitEvent("joined", (e) => e.room === "#d1" && e.name === "d_bia");
    b.request({ type: "line", text: "antes", room: "#d1" });
    await a.c.waitEvent("message", (e) => e.text === "antes");
    a.note();
    a.c.close();
    await b.waitEvent("left", (e) => e.name === "d_ana" && e.room === "#d1");
    // Missed: 20 in #d1 (beyond the ring of 5..10, so read from the store) and 3 in the lobby.
    for (let i = 0; i < 20; i++) b.request({ type: "line", text: `perdida ${i}`, room: "#d1" });
    for (let i = 0; i < 3; i++) b.request({ type: "line", text: `lobby ${i}`, room: "#lobby" });
    const lastMissed = await b.waitEvent("message", (e) => e.text === "lobby 2");
    const c = await a.resume(server.port);
    const welcome = await c.waitEvent("welcome");
    assert.equal(welcome.name, "d_ana");
    assert.ok(welcome.token);
    await c.waitEvent("history", (e) => e.room === "#d1");
    await c.waitEvent("history", (e) => e.room === "#lobby");
    // Others see the name come back.
    await b.waitEvent("joined", (e) => e.name === "d_ana" && e.room === "#d1");
    b.request({ type: "line", text: "depois", room: "#d1" });
    await c.waitEvent("message", (e) => e.text === "depois");
    for (const room of ["#d1", "#lobby"]) {
      const before = a.places.get(room)?.seq ?? 0;
      const view = viewOf(c, room);
      assert.equal(view[0]?.seq, before + 1, `${room} continues after ${before}`);
      for (let i = 1; i < view.length; i++)
        assert.equal(view[i]?.seq, (view[i - 1]?.seq ?? 0) + 1, `${room}: no gap, no duplicate`);
    }
    const texts = viewOf(c, "#d1")
      .filter((e): e is Extract<RoomEvent, { type: "message" }> => e.type === "message")
      .map((e) => e.text);
    assert.deepEqual(texts, [...Array.from({ length: 20 }, (_, i) => `perdida ${i}`), "depois"]);
    assert.ok(viewOf(c, "#lobby").some((e) => e.seq === lastMissed.seq));
    b.close();
    c.close();
  });

  it("while the old connection is still half-open (a ghost): replaced silently, no left or joined", async () => {
    const a = new Resumer(await JsonClient.join(server.port, "g_ana"));
    const b = await JsonClient.join(server.port, "g_bia");
    await joinRoom(a.c, "#g1");
    await joinRoom(b, "#g1");
    await a.c.waitEvent("joined", (e) => e.room === "#g1" && e.name === "g_bia");
    a.note();
    const ghost = a.c;
    // The old connection stays open (the server cannot tell it is dead); it stops being read.
    ghost.text.socket.pause();
    for (let i = 0; i < 4; i++) b.request({ type: "line", text: `fantasma ${i}`, room: "#g1" });
    await b.waitEvent("message", (e) => e.text === "fantasma 3");
    const fromB = b.events.length;
    const c = await a.resume(server.port);
    const welcome = await c.waitEvent("welcome");
    assert.equal(welcome.name, "g_ana");
    assert.equal(welcome.resumed, true);
    // Who is in the lobby, with this user under its name and new address.
    const me = welcome.users.filter((u) => u.name === "g_ana");
    assert.deepEqual(me, [{ name: "g_ana", address: welcome.address }]);
    assert.ok(
      welcome.users.every((u) => u.name.length > 0),
      JSON.stringify(welcome.users),
    );
    const h = await c.waitEvent("history", (e) => e.room === "#g1");
    assert.equal(h.kind, "resume");
    assert.deepEqual(
      h.events.map((e) => (e.type === "message" ? e.text : e.type)),
      ["fantasma 0", "fantasma 1", "fantasma 2", "fantasma 3"],
    );
    ghost.text.socket.resume();
    const bye = await ghost.waitEvent("bye");
    assert.equal(bye.reason, "replaced");
    await ghost.text.waitClosed();
    b.request({ type: "line", text: "ainda aqui?", room: "#g1" });
    await c.waitEvent("message", (e) => e.text === "ainda aqui?");
    await sleep(30);
    assert.ok(
      !b.events.slice(fromB).some((e) => (e.type === "left" || e.type === "joined") && e.name === "g_ana"),
      "others saw a leave or a join",
    );
    // The name is still held once: a newcomer cannot take it.
    const x = new JsonClient(server.port);
    await x.waitEvent("prompt");
    x.request({ type: "name", name: "g_ana" });
    assert.equal((await x.waitEvent("error")).code, "name_taken");
    for (const y of [b, c, x]) y.close();
  });

  it("after /nick, the token still finds the session (a ghost under its new name is replaced)", async () => {
    const a = new Resumer(await JsonClient.join(server.port, "n_old"));
    const b = await JsonClient.join(server.port, "n_bia");
    a.c.request({ type: "name", name: "n_new" });
    await b.waitEvent("renamed", (e) => e.to === "n_new");
    a.note();
    a.c.text.socket.pause();
    const fromB = b.events.length;
    const c = await a.resume(server.port);
    const w = await c.waitEvent("welcome");
    assert.equal(w.name, "n_new");
    assert.equal(w.resumed, true);
    b.request({ type: "line", text: "/users #lobby" });
    const users = await b.waitEvent("users", () => true, { from: fromB });
    const names = users.users.map((u) => u.name);
    assert.ok(names.includes("n_new") && !names.includes("n_old"), names.join(","));
    assert.ok(!b.events.slice(fromB).some((e) => e.type === "joined" || e.type === "left"));
    for (const y of [a.c, b, c]) y.close();
  });

  it("invalid, expired and taken tokens: resume_failed, then the name prompt", async () => {
    const x = new JsonClient(server.port);
    await x.waitEvent("prompt");
    x.request({ type: "resume", token: "abc.def", rooms: [] });
    const invalid = await x.waitEvent("error");
    assert.deepEqual([invalid.code, invalid.params], ["resume_failed", { reason: "invalid" }]);
    await x.waitEvent("prompt", () => true, { from: 2 });
    // A forged body under another token's MAC.
    const a = new Resumer(await JsonClient.join(server.port, "k_ana"));
    const mac = a.token.split(".")[1];
    const forged = `${Buffer.from(JSON.stringify({ n: "k_eve", r: "x", x: Date.now() + 1e6 })).toString("base64url")}.${mac}`;
    const from = x.events.length;
    x.request({ type: "resume", token: forged, rooms: [] });
    const forgedAnswer = await x.waitEvent("error", () => true, { from });
    assert.deepEqual([forgedAnswer.code, forgedAnswer.params], ["resume_failed", { reason: "invalid" }]);
    // Taken: the name was freed and someone else has it now.
    a.c.close();
    while (server.chat.users().some((u) => u.name === "k_ana")) await sleep(5);
    const thief = await JsonClient.join(server.port, "k_ana");
    const r = await a.resume(server.port);
    const taken = await r.waitEvent("error");
    assert.deepEqual([taken.code, taken.params], ["resume_failed", { reason: "taken" }]);
    await r.waitEvent("prompt", () => true, { from: r.events.findIndex((e) => e.type === "error") });
    r.request({ type: "name", name: "k_ana2" });
    await r.waitEvent("welcome");
    for (const y of [x, thief, r]) y.close();

    // Expired: a server whose tokens last 1 ms.
    const short = await startTestServer({ limits: { resumeTtlMs: 1 } });
    try {
      const s = new Resumer(await JsonClient.join(short.port, "k_short"));
      s.c.close();
      await sleep(20);
      const again = await s.resume(short.port);
      const expired = await again.waitEvent("error");
      assert.deepEqual([expired.code, expired.params], ["resume_failed", { reason: "expired" }]);
      again.close();
    } finally {
      await short.close();
    }
  });

  it("a long absence (more than resumeMaxEvents) -> gap pruned, then the last N", async () => {
    const a = new Resumer(await JsonClient.join(server.port, "l_ana"));
    const b = await JsonClient.join(server.port, "l_bia");
    await joinRoom(a.c, "#l1");
    await joinRoom(b, "#l1");
    await a.c.waitEvent("joined", (e) => e.room === "#l1" && e.name === "l_bia");
    a.note();
    a.c.close();
    await b.waitEvent("left", (e) => e.name === "l_ana" && e.room === "#l1");
    for (let i = 0; i < 70; i++) b.request({ type: "line", text: `longe ${i}`, room: "#l1" });
    await b.waitEvent("message", (e) => e.text === "longe 69");
    const c = await a.resume(server.port);
    const gap = await c.waitEvent("gap", (e) => e.room === "#l1");
    assert.equal(gap.reason, "pruned");
    const h = await c.waitEvent("history", (e) => e.room === "#l1");
    assert.equal(h.kind, "join");
    assert.equal(h.events.length, 10);
    const at = (t: string) => c.events.findIndex((e) => e.type === t && "room" in e && e.room === "#l1");
    assert.ok(at("gap") < at("history"), "the gap comes first");
    void gap;
    b.close();
    c.close();
  });
});

describe("issue 14: resume gaps that the store decides", () => {
  it("a pruned range -> gap pruned", async () => {
    const store = new MemoryStore();
    const server = await startTestServer({
      store,
      limits: { historyOnJoin: 2, roomRingSize: 2, resumeMaxEvents: 1000 },
    });
    try {
      const a = new Resumer(await JsonClient.join(server.port, "p_ana"));
      const b = await JsonClient.join(server.port, "p_bia");
      await a.c.waitEvent("joined", (e) => e.name === "p_bia");
      a.note();
      a.c.close();
      await b.waitEvent("left", (e) => e.name === "p_ana");
      for (let i = 0; i < 30; i++) b.say(`x${i}`);
      await b.waitEvent("message", (e) => e.text === "x29");
      // Retention removes all but the last 3 events of each room.
      while (store.prune(3, 0, 100) > 0);
      const c = await a.resume(server.port);
      const gap = await c.waitEvent("gap");
      assert.deepEqual([gap.room, gap.reason, gap.epoch], ["#lobby", "pruned", store.epoch]);
      b.close();
      c.close();
    } finally {
      await server.close();
    }
  });

  it("another epoch (the log was started again) -> gap epoch, then the last N", async () => {
    const first = new MemoryStore();
    let server = await startTestServer({ store: first, limits: { historyOnJoin: 5 } });
    const a = new Resumer(await JsonClient.join(server.port, "e_ana"));
    a.c.say("antes do recomeço");
    await a.c.waitEvent("message");
    a.note();
    await server.close();
    // A new log that still knows the old secret (tokens stay valid; sequence numbers do not).
    const fresh = new MemoryStore();
    const again = new SameSecret(fresh, first.secret);
    server = await startTestServer({ store: again, limits: { historyOnJoin: 5 } });
    try {
      const c = await a.resume(server.port);
      const w = await c.waitEvent("welcome");
      assert.equal(w.name, "e_ana");
      assert.equal(w.epoch, fresh.epoch);
      const gap = await c.waitEvent("gap");
      assert.deepEqual([gap.room, gap.reason, gap.epoch], ["#lobby", "epoch", fresh.epoch]);
      assert.equal((await c.waitEvent("history")).kind, "join");
      c.close();
    } finally {
      await server.close();
    }
  });
});

describe("issue 14: client ids (cid): a resent line is not posted twice", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ limits: { historyOnJoin: 5, roomRingSize: 5 } });
  });
  after(async () => {
    await server.close();
  });

  it("the same cid again is dropped, however many others spoke in between (ring of 5..10)", async () => {
    const a = await JsonClient.join(server.port, "c_ana");
    const b = await JsonClient.join(server.port, "c_bia");
    a.request({ type: "line", text: "uma vez", cid: "c-1" });
    const echo = await a.waitEvent("message", (e) => e.cid === "c-1");
    assert.equal(echo.text, "uma vez");
    for (let i = 0; i < 30; i++) b.say(`ruído ${i}`);
    await a.waitEvent("message", (e) => e.text === "ruído 29");
    a.request({ type: "line", text: "uma vez", cid: "c-1" });
    a.request({ type: "line", text: "/me acena", cid: "c-2" });
    a.request({ type: "line", text: "/me acena", cid: "c-2" });
    a.request({ type: "line", text: "fim", cid: "c-3" });
    await b.waitEvent("message", (e) => e.text === "fim");
    assert.equal(b.events.filter((e) => e.type === "message" && e.text === "uma vez").length, 1);
    assert.equal(b.events.filter((e) => e.type === "action" && e.text === "acena").length, 1);
    // Another user may use the same cid: it is theirs.
    b.request({ type: "line", text: "minha", cid: "c-1" });
    await a.waitEvent("message", (e) => e.text === "minha");
    a.close();
    b.close();
  });

  it("a private message resent with the same cid is not delivered twice", async () => {
    const a = await JsonClient.join(server.port, "pc_ana");
    const b = await JsonClient.join(server.port, "pc_bia");
    a.request({ type: "line", text: "@pc_bia segredo", cid: "p-1" });
    await b.waitEvent("private", (e) => e.cid === "p-1");
    a.request({ type: "line", text: "@pc_bia segredo", cid: "p-1" });
    a.request({ type: "line", text: "@pc_bia outro", cid: "p-2" });
    await b.waitEvent("private", (e) => e.cid === "p-2");
    assert.equal(b.events.filter((e) => e.type === "private" && e.text === "segredo").length, 1);
    // The sender is acknowledged each time (its copy, with the cid).
    await a.waitEvent("private", (e) => e.cid === "p-2");
    assert.equal(a.events.filter((e) => e.type === "private" && e.cid === "p-1").length, 2);
    a.close();
    b.close();
  });

  it("a resend after a resume is dropped: the replay holds the original with its cid", async () => {
    const a = new Resumer(await JsonClient.join(server.port, "c2_ana"));
    const b = await JsonClient.join(server.port, "c2_bia");
    a.note();
    // The line goes out, then the connection dies before its echo (the ack) is read.
    a.c.text.socket.pause();
    a.c.request({ type: "line", text: "enviada e perdida?", cid: "r-1" });
    await b.waitEvent("message", (e) => e.cid === "r-1");
    a.c.close();
    const c = await a.resume(server.port);
    const h = await c.waitEvent("history");
    assert.ok(h.events.some((e) => e.type === "message" && e.cid === "r-1"));
    c.request({ type: "line", text: "enviada e perdida?", cid: "r-1" });
    c.request({ type: "line", text: "depois", cid: "r-2" });
    await b.waitEvent("message", (e) => e.text === "depois");
    assert.equal(b.events.filter((e) => e.type === "message" && e.cid === "r-1").length, 1);
    b.close();
    c.close();
  });
});
