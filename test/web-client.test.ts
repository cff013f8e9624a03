/**
 * The browser client's logic (src/client/web/client.ts) with a fake socket and mocked timers:
 * name refusals inline (S5), reconnection with back-off and automatic re-join (S12), the
 * shutdown dialog (S11), Leave (S9), the unread count, the server password.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import {
  backoffMs,
  ChatClient,
  type ClientState,
  type Connect,
  type Link,
  MAX_ITEMS,
  type Mention,
  socketUrl,
  socketUrls,
  viewRoom,
} from "../src/client/web/client.ts";
import type { RoomEvent, ServerEvent } from "../src/protocol/events.ts";

class FakeLink implements Link {
  readonly sent: Array<Record<string, unknown>> = [];
  closed = false;
  constructor(readonly on: Parameters<Connect>[1]) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.on.open();
  }
  recv(...events: ServerEvent[]): void {
    for (const e of events) this.on.message(JSON.stringify(e));
  }
  drop(): void {
    this.on.close();
  }
  /** Opens and greets like the server does. */
  greet(online = 0, need: "name" | "password" = "name"): void {
    this.open();
    this.recv({ type: "hello", protocol: 1, server: "papo/test", online }, { type: "prompt", need });
  }
}

const at = 1_763_750_000_000;
const welcome = (name: string, users = [name]): ServerEvent => ({
  type: "welcome",
  name,
  address: "127.0.0.1:5000",
  users: users.map((n) => ({ name: n, address: "127.0.0.1:5000" })),
  at,
});

/** The shown room's pane and members. */
const items = (s: ClientState) => viewRoom(s)?.items ?? [];
const users = (s: ClientState) => viewRoom(s)?.users ?? [];

function setup(hidden = { value: false }) {
  const links: FakeLink[] = [];
  const notes: Mention[] = [];
  const client = new ChatClient({
    url: "ws://test/ws",
    connect: (_url, on) => {
      const l = new FakeLink(on);
      links.push(l);
      return l;
    },
    isHidden: () => hidden.value,
    now: () => 0,
    pingMs: 25_000,
    pongTimeoutMs: 10_000,
    cidPrefix: "t",
    notify: (m) => notes.push(m),
  });
  const last = () => links.at(-1) as FakeLink;
  return { client, links, last, hidden, notes };
}

describe("web client logic", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setInterval"] }));
  afterEach(() => mock.timers.reset());

  it("S5: connects at once, shows who is online, shows a refusal inline, then joins", () => {
    const { client, last } = setup();
    client.start();
    assert.equal(client.state.link, "connecting");
    last().greet(3);
    assert.equal(client.state.online, 3);
    client.join(" ana maria ");
    assert.deepEqual(last().sent.at(-1), { type: "name", name: "ana maria" });
    assert.equal(client.state.joining, true);
    last().recv({ type: "error", code: "name_invalid", params: { reason: "space" }, at });
    assert.equal(client.state.nameError?.code, "name_invalid");
    assert.equal(client.state.joining, false);
    assert.equal(client.state.screen, "name");
    client.join("ana");
    assert.equal(client.state.nameError, null);
    last().recv(welcome("ana", ["bob", "ana"]));
    assert.equal(client.state.screen, "chat");
    assert.equal(client.state.me, "ana");
    assert.deepEqual(
      users(client.state).map((u) => u.name),
      ["bob", "ana"],
    );
  });

  it("S6/S7/S8: keeps the user list and the pane; marks own and private messages", () => {
    const { client, last } = setup();
    client.start();
    last().greet();
    client.join("ana");
    last().recv(welcome("ana", ["ana"]));
    last().recv(
      { type: "joined", room: "#lobby", seq: 1, name: "bob", address: "10.0.0.2:4000", at },
      { type: "message", room: "#lobby", seq: 1, from: "bob", text: "oi", at },
      { type: "message", room: "#lobby", seq: 1, from: "ana", text: "olá", at },
      { type: "private", from: "bob", to: "ana", text: "psst", at },
      { type: "renamed", room: "#lobby", seq: 1, from: "bob", to: "roberto", at },
    );
    assert.deepEqual(users(client.state), [
      { name: "ana", address: "127.0.0.1:5000" },
      { name: "roberto", address: "10.0.0.2:4000" },
    ]);
    assert.deepEqual(
      items(client.state).map((i) => i.kind),
      ["system", "join", "message", "own", "private", "system"],
    );
    last().recv({ type: "left", room: "#lobby", seq: 1, name: "roberto", reason: "quit", at });
    assert.deepEqual(
      users(client.state).map((u) => u.name),
      ["ana"],
    );
    client.say("@roberto tchau");
    assert.deepEqual(last().sent.at(-2), { type: "line", text: "@roberto tchau", cid: "t-1" });
    client.say("   ");
    assert.deepEqual(last().sent.at(-2), { type: "line", text: "@roberto tchau", cid: "t-1" });
    for (let i = 0; i < MAX_ITEMS + 50; i++)
      last().recv({ type: "message", room: "#lobby", seq: 10 + i, from: "x", text: `${i}`, at });
    assert.equal(items(client.state).length, MAX_ITEMS);
  });

  it("S12: a drop while chatting shows 'lost', retries with back-off and re-joins by itself", () => {
    const { client, links, last } = setup();
    client.start();
    last().greet();
    client.join("ana");
    last().recv(welcome("ana"));
    last().drop();
    assert.equal(client.state.dialog?.kind, "lost");
    assert.equal(client.state.screen, "chat", "the conversation stays behind the dialog");
    assert.equal(links.length, 1);
    mock.timers.tick(backoffMs(0, () => 1));
    assert.equal(links.length, 2, "retried after the first back-off");
    // The retry fails too: still "lost", the next wait is longer.
    last().drop();
    assert.equal(client.state.dialog?.kind, "lost");
    mock.timers.tick(backoffMs(0, () => 1));
    assert.equal(links.length, 2, "the second wait is longer than the first");
    mock.timers.tick(backoffMs(1, () => 1));
    assert.equal(links.length, 3);
    last().greet();
    assert.equal(client.state.dialog, null);
    assert.deepEqual(last().sent.at(-1), { type: "name", name: "ana" });
    last().recv(welcome("ana"));
    assert.equal(items(client.state).at(-1)?.kind, "reconnected");
  });

  it("S12: a server that cannot be reached shows 'unreachable'; Retry now tries at once", () => {
    const { client, links, last } = setup();
    client.start();
    last().drop();
    assert.equal(client.state.dialog?.kind, "unreachable");
    const d = client.state.dialog;
    assert.ok(d && "retryAt" in d && d.retryAt !== null && d.retryAt > 0);
    client.retryNow();
    assert.equal(links.length, 2);
    last().greet(1);
    assert.equal(client.state.dialog, null);
    assert.equal(client.state.online, 1);
  });

  it("S12: a server gone silent (no pong) counts as a drop", () => {
    const { client, links, last } = setup();
    client.start();
    last().greet();
    client.join("ana");
    last().recv(welcome("ana"));
    mock.timers.tick(25_000);
    assert.equal(last().sent.at(-1)?.type, "ping");
    last().recv({ type: "pong", id: last().sent.at(-1)?.id });
    mock.timers.tick(10_000);
    // Read through a function: an assertion on client.state.dialog would narrow it for good.
    const dialogKind = () => client.state.dialog?.kind;
    assert.equal(dialogKind(), undefined, "answered in time");
    // Timers created inside a tick's callbacks run on a later tick: step through.
    mock.timers.tick(15_000);
    assert.equal(last().sent.filter((r) => r.type === "ping").length, 2);
    mock.timers.tick(10_000);
    assert.equal(dialogKind(), "lost");
    assert.equal(links[0]?.closed, true);
  });

  it("issue 10 item 3: after a shutdown it keeps retrying (countdown, Retry now) until the user leaves", () => {
    const { client, links, last } = setup();
    client.start();
    last().greet();
    client.join("ana");
    last().recv(welcome("ana"));
    last().recv({ type: "bye", reason: "shutdown", text: "manutenção", at });
    last().drop();
    const d = client.state.dialog;
    assert.ok(d?.kind === "shutdown" && d.text === "manutenção" && d.retryAt !== null && d.retryAt > 0);
    assert.equal(client.state.screen, "chat", "the conversation stays behind the dialog");
    // The server is still down: each attempt fails, the waits grow to the cap, and it never stops.
    for (let i = 0; i < 12; i++) {
      mock.timers.tick(15_000 * 1.2);
      assert.equal(links.length, 2 + i);
      last().drop();
      assert.equal(client.state.dialog?.kind, "shutdown", "the operator's reason stays up");
    }
    client.retryNow();
    assert.equal(links.length, 14, "Retry now tries at once");
    last().greet();
    assert.equal(client.state.dialog, null);
    assert.deepEqual(last().sent.at(-1), { type: "name", name: "ana" });
    last().recv(welcome("ana"));
    assert.equal(items(client.state).filter((i) => i.kind === "system").length, 1, "no second welcome");
    assert.equal(items(client.state).at(-1)?.kind, "reconnected");
    // Leave on the dialog stops the retries for good.
    last().recv({ type: "bye", reason: "shutdown", at });
    last().drop();
    client.dismiss();
    assert.equal(client.state.screen, "name");
    assert.equal(client.state.dialog, null);
    mock.timers.tick(120_000);
    assert.equal(links.length, 14);
  });

  it("kicked: a dialog with the reason; OK returns to the name screen", () => {
    const { client, last } = setup();
    client.start();
    last().greet();
    client.join("ana");
    last().recv(welcome("ana"));
    last().recv({ type: "bye", reason: "kicked", text: "spam", at });
    last().drop();
    assert.deepEqual(client.state.dialog, { kind: "closed", reason: "kicked", text: "spam" });
    client.dismiss();
    assert.equal(client.state.screen, "name");
    assert.equal(client.state.dialog, null);
  });

  it("S9: Leave sends /quit; bye quit returns to the name screen with a fresh connection", () => {
    const { client, links, last } = setup();
    client.start();
    last().greet();
    client.join("ana");
    last().recv(welcome("ana"));
    client.leave();
    assert.deepEqual(last().sent.at(-1), { type: "line", text: "/quit" });
    last().recv({ type: "bye", reason: "quit", at });
    last().drop();
    assert.equal(client.state.screen, "name");
    assert.equal(client.state.dialog, null);
    assert.deepEqual(items(client.state), []);
    assert.equal(links.length, 2);
    last().greet();
    assert.equal(last().sent.length, 0, "no automatic re-join after leaving");
  });

  it("registration timeout on the name screen is silent; the next Join reconnects", () => {
    const { client, links, last } = setup();
    client.start();
    last().greet();
    last().recv({ type: "bye", reason: "registration_timeout", at });
    last().drop();
    assert.equal(client.state.dialog, null);
    assert.equal(client.state.link, "idle");
    client.join("ana");
    assert.equal(links.length, 2);
    last().greet();
    assert.deepEqual(last().sent.at(-1), { type: "name", name: "ana" });
  });

  it("counts unread messages while the tab is hidden", () => {
    const hidden = { value: false };
    const { client, last } = setup(hidden);
    client.start();
    last().greet();
    client.join("ana");
    last().recv(welcome("ana"));
    last().recv({ type: "message", room: "#lobby", seq: 1, from: "bob", text: "1", at });
    assert.equal(client.state.unread, 0);
    hidden.value = true;
    last().recv(
      { type: "message", room: "#lobby", seq: 1, from: "bob", text: "2", at },
      { type: "private", from: "bob", to: "ana", text: "3", at },
      { type: "message", room: "#lobby", seq: 1, from: "ana", text: "mine", at },
      { type: "joined", room: "#lobby", seq: 1, name: "carla", address: null, at },
    );
    assert.equal(client.state.unread, 2);
    hidden.value = false;
    client.visible();
    assert.equal(client.state.unread, 0);
  });

  it("asks for the server password before the name; a wrong one is shown on the name screen", () => {
    const { client, links, last } = setup();
    client.start();
    last().greet(0, "password");
    assert.equal(client.state.needPassword, true);
    client.join("ana", "wrong");
    assert.deepEqual(last().sent.at(-1), { type: "password", password: "wrong" });
    last().recv({ type: "bye", reason: "bad_password", at });
    last().drop();
    assert.equal(client.state.passwordRefused, true);
    assert.equal(client.state.dialog, null);
    client.join("ana", "secret");
    assert.equal(links.length, 2);
    last().greet(0, "password");
    assert.deepEqual(last().sent.at(-1), { type: "password", password: "secret" });
    last().recv({ type: "prompt", need: "name" });
    assert.deepEqual(last().sent.at(-1), { type: "name", name: "ana" });
  });

  it("back-off grows to 15 s; the socket URL follows the page", () => {
    assert.equal(
      backoffMs(0, () => 0.5),
      500,
    );
    assert.equal(
      backoffMs(3, () => 0.5),
      4000,
    );
    assert.equal(
      backoffMs(30, () => 0.5),
      15_000,
    );
    assert.ok(backoffMs(0, () => 0) >= 400 && backoffMs(0, () => 1) <= 600);
    assert.equal(socketUrl("http://192.168.1.7:7780/"), "ws://192.168.1.7:7780/ws");
    assert.equal(socketUrl("https://chat.example.org/papo/?x=1#y"), "wss://chat.example.org/papo/ws");
  });

  it("?servers= in the page's address adds other nodes' sockets, after the page's own", () => {
    assert.deepEqual(socketUrls("http://a:7780/"), ["ws://a:7780/ws"]);
    assert.deepEqual(
      socketUrls("http://a:7780/?servers=b:7780,%20http://c:80/papo/,wss://d/ws,a:7780,::bad,javascript:x"),
      ["ws://a:7780/ws", "ws://b:7780/ws", "ws://c/papo/ws", "wss://d/ws"],
    );
    assert.deepEqual(socketUrls("https://a/?servers=b:443"), ["wss://a/ws", "wss://b/ws"]);
  });

  it("with several URLs, each reconnection after a drop or a failure goes to the next one", () => {
    const urls: string[] = [];
    const links: FakeLink[] = [];
    const client = new ChatClient({
      url: ["ws://a/ws", "ws://b/ws"],
      connect: (url, on) => {
        urls.push(url);
        const l = new FakeLink(on);
        links.push(l);
        return l;
      },
      isHidden: () => false,
      now: () => 0,
      cidPrefix: "t",
    });
    client.start();
    (links.at(-1) as FakeLink).drop(); // a cannot be reached
    mock.timers.tick(20_000);
    (links.at(-1) as FakeLink).greet();
    (links.at(-1) as FakeLink).drop(); // b dies
    mock.timers.tick(20_000);
    assert.deepEqual(urls, ["ws://a/ws", "ws://b/ws", "ws://a/ws"]);
  });
});

/** A server with rooms: the welcome carries an epoch and a token (docs/protocol.md §6). */
const E = "epoch-1";
const roomsWelcome = (name: string): ServerEvent => ({
  type: "welcome",
  name,
  address: "127.0.0.1:5000",
  users: [{ name, address: "127.0.0.1:5000" }],
  at,
  room: "#lobby",
  epoch: E,
  token: "tok-1",
});
const msg = (room: string, seq: number, from: string, text: string, cid?: string): RoomEvent => ({
  type: "message",
  room,
  seq,
  from,
  text,
  at,
  ...(cid ? { cid } : {}),
});
const roomEv = (
  room: string,
  seq: number,
  extra: Partial<Extract<ServerEvent, { type: "room" }>> = {},
): ServerEvent => ({
  type: "room",
  room,
  users: [{ name: "ana", address: null }],
  epoch: E,
  seq,
  current: true,
  ...extra,
});
const hist = (
  room: string,
  kind: "join" | "resume" | "request",
  events: RoomEvent[],
  more = false,
): ServerEvent => ({
  type: "history",
  room,
  events,
  more,
  kind,
});

/** Ana registered on a rooms server: the lobby's last events as history. */
function joined(
  lobbyHistory: RoomEvent[] = [msg("#lobby", 1, "bob", "old 1"), msg("#lobby", 2, "bob", "old 2")],
) {
  const t = setup();
  t.client.start();
  t.last().greet();
  t.client.join("ana");
  t.last().recv(
    roomsWelcome("ana"),
    roomEv("#lobby", lobbyHistory.at(-1)?.seq ?? 0, { initial: true }),
    hist("#lobby", "join", lobbyHistory),
  );
  return t;
}

const room = (s: ClientState, name: string) => s.rooms.find((r) => r.name === name);
const texts = (s: ClientState, name: string) =>
  (room(s, name)?.items ?? []).map((i) =>
    i.kind === "divider" || i.kind === "gap"
      ? `--${i.kind}--`
      : i.event && "text" in i.event
        ? i.event.text
        : i.kind,
  );

describe("web client logic: rooms, resume and the outbox (issues 14, 10 item 3)", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setInterval"] }));
  afterEach(() => mock.timers.reset());

  it("issue 14: history greyed with a divider; join from the page; unread per room; topic; load older; part", () => {
    const { client, last } = joined();
    assert.deepEqual(texts(client.state, "#lobby"), ["system", "old 1", "old 2", "--divider--"]);
    assert.deepEqual(
      items(client.state).map((i) => i.history ?? false),
      [false, true, true, false],
    );
    client.joinRoom("dev");
    assert.deepEqual(last().sent.at(-1), { type: "join", room: "#dev" });
    last().recv(
      roomEv("#dev", 80, { topic: "the build" }),
      hist("#dev", "join", [msg("#dev", 79, "bob", "d79"), msg("#dev", 80, "bob", "d80")], true),
    );
    assert.equal(client.state.view, "#dev", "the joined room is shown");
    assert.equal(viewRoom(client.state)?.topic, "the build");
    assert.deepEqual(texts(client.state, "#dev"), ["d79", "d80", "--divider--"]);
    // Live in the lobby while #dev is shown: counted there, shown once however often it comes.
    last().recv(
      msg("#lobby", 3, "bob", "new 3"),
      msg("#lobby", 3, "bob", "new 3"),
      msg("#dev", 81, "bob", "d81"),
    );
    assert.equal(room(client.state, "#lobby")?.unread, 1);
    assert.equal(room(client.state, "#dev")?.unread, 0);
    assert.deepEqual(texts(client.state, "#lobby"), ["system", "old 1", "old 2", "--divider--", "new 3"]);
    assert.equal(room(client.state, "#dev")?.seq, 81);
    // Load older: before the oldest seq shown; what comes back goes on top, greyed, once.
    client.loadOlder("#dev");
    assert.deepEqual(last().sent.at(-1), { type: "history", room: "#dev", before: 79, limit: 50 });
    assert.equal(viewRoom(client.state)?.loadingOlder, true);
    client.loadOlder("#dev");
    assert.equal(last().sent.filter((r) => r.type === "history").length, 1, "one request at a time");
    last().recv(
      hist("#dev", "request", [msg("#dev", 77, "bob", "d77"), msg("#dev", 78, "bob", "d78")], false),
    );
    assert.deepEqual(texts(client.state, "#dev"), ["d77", "d78", "d79", "d80", "--divider--", "d81"]);
    assert.equal(viewRoom(client.state)?.more, false);
    // The topic changes live; a message typed goes to the shown room.
    last().recv({ type: "topic", room: "#dev", seq: 82, by: "bob", topic: "release", at });
    assert.equal(viewRoom(client.state)?.topic, "release");
    client.say("hello dev");
    assert.deepEqual(last().sent.at(-2), { type: "line", text: "hello dev", room: "#dev", cid: "t-1" });
    client.show("#lobby");
    assert.equal(room(client.state, "#lobby")?.unread, 0);
    client.partRoom("#dev");
    assert.deepEqual(last().sent.at(-1), { type: "part", room: "#dev" });
    last().recv({ type: "parted", room: "#dev", current: "#lobby" });
    assert.deepEqual(
      client.state.rooms.map((r) => r.name),
      ["#lobby"],
    );
    assert.equal(client.state.view, "#lobby");
  });

  it("issue 14/10.3: a drop resumes each room after its last seq, shows what was missed once, resends the outbox", () => {
    const { client, last } = joined();
    client.joinRoom("#dev");
    last().recv(roomEv("#dev", 0), hist("#dev", "join", []));
    client.show("#lobby");
    client.say("sent before the drop");
    assert.deepEqual(last().sent.at(-2), {
      type: "line",
      text: "sent before the drop",
      room: "#lobby",
      cid: "t-1",
    });
    last().drop();
    client.say("typed while down");
    assert.deepEqual(
      client.state.outbox.map((o) => [o.text, o.state]),
      [
        ["sent before the drop", "sent"],
        ["typed while down", "queued"],
      ],
    );
    mock.timers.tick(1000);
    last().greet();
    assert.deepEqual(last().sent, [
      {
        type: "resume",
        token: "tok-1",
        rooms: [
          { room: "#lobby", epoch: E, seq: 2 },
          { room: "#dev", epoch: E, seq: 0 },
        ],
      },
    ]);
    // The first message had reached the server: it comes back in the replay, with its cid.
    last().recv(
      roomsWelcome("ana"),
      roomEv("#lobby", 4, { initial: true }),
      hist("#lobby", "resume", [
        msg("#lobby", 3, "bob", "during"),
        msg("#lobby", 4, "ana", "sent before the drop", "t-1"),
      ]),
    );
    assert.deepEqual(
      last()
        .sent.filter((r) => r.type === "line")
        .map((r) => r.cid),
      ["t-2"],
      "only what did not come back is sent again",
    );
    last().recv(
      msg("#lobby", 5, "ana", "typed while down", "t-2"),
      msg("#lobby", 4, "ana", "sent before the drop", "t-1"),
    );
    assert.deepEqual(client.state.outbox, []);
    assert.deepEqual(texts(client.state, "#lobby"), [
      "system",
      "old 1",
      "old 2",
      "--divider--",
      "reconnected",
      "during",
      "sent before the drop",
      "typed while down",
    ]);
    // #dev could not be replayed: a gap marker, then its last events.
    last().recv(
      // Taken over from a half-open connection: no `joined` of her own comes, she is listed anyway.
      roomEv("#dev", 9, { current: false, users: [{ name: "bob", address: null }] }),
      { type: "gap", room: "#dev", reason: "pruned", epoch: E, seq: 9 },
      hist("#dev", "join", [msg("#dev", 9, "bob", "d9")]),
    );
    assert.deepEqual(texts(client.state, "#dev"), ["--gap--", "d9", "--divider--"]);
    assert.equal(room(client.state, "#dev")?.seq, 9);
    assert.deepEqual(
      room(client.state, "#dev")?.users.map((u) => u.name),
      ["bob", "ana"],
    );
    assert.equal(client.state.view, "#lobby", "a resume does not change the shown room");
  });

  it("issue 12/14: a room whose modes refuse the resume (a key set meanwhile) leaves the list; what waited for it is kept, marked", () => {
    const { client, last } = joined();
    client.joinRoom("#dev");
    last().recv(roomEv("#dev", 0), hist("#dev", "join", []));
    assert.equal(client.state.view, "#dev");
    last().drop();
    client.say("for dev");
    mock.timers.tick(1000);
    last().greet();
    assert.equal(last().sent[0]?.type, "resume");
    last().recv(roomsWelcome("ana"), roomEv("#lobby", 2, { initial: true }), hist("#lobby", "resume", []), {
      type: "error",
      code: "room_key",
      params: { room: "#dev" },
      at,
    });
    assert.deepEqual(
      client.state.rooms.map((r) => r.name),
      ["#lobby"],
    );
    assert.equal(client.state.view, "#lobby");
    assert.deepEqual(
      client.state.outbox.map((o) => [o.text, o.room, o.state]),
      [["for dev", "#lobby", "failed"]],
    );
    assert.ok(items(client.state).some((i) => i.kind === "error"));
  });

  it("issue 10 item 3: a message the server refuses is marked not delivered, its text kept; Send again", () => {
    const { client, last } = joined();
    client.say("too fast");
    const ping = last().sent.at(-1);
    assert.equal(ping?.type, "ping");
    last().recv(
      { type: "error", code: "flood", params: { retryMs: 1000 }, at },
      { type: "pong", id: ping?.id },
    );
    assert.deepEqual(
      client.state.outbox.map((o) => [o.text, o.state]),
      [["too fast", "failed"]],
    );
    client.resend("t-1");
    assert.deepEqual(last().sent.at(-2), { type: "line", text: "too fast", room: "#lobby", cid: "t-1" });
    last().recv(msg("#lobby", 3, "ana", "too fast", "t-1"));
    assert.deepEqual(client.state.outbox, []);
    // No error before the pong: the server may only be slow (flood control delays lines).
    client.say("another");
    last().recv({ type: "pong", id: last().sent.at(-1)?.id });
    // (Read through a function: the assertion above narrowed client.state.outbox to [].)
    const states = () => client.state.outbox.map((o) => o.state);
    assert.deepEqual(states(), ["sent"]);
    last().recv(msg("#lobby", 4, "ana", "another", "t-2"));
    assert.deepEqual(client.state.outbox, []);
    client.say("to discard");
    last().recv(
      { type: "error", code: "flood", params: { retryMs: 1000 }, at },
      { type: "pong", id: last().sent.at(-1)?.id },
    );
    client.discard("t-3");
    assert.deepEqual(client.state.outbox, []);
  });

  it("issue 10 item 3: a private message unacknowledged at a drop is not sent twice; one typed offline goes once", () => {
    const { client, last } = joined();
    client.say("@bob are you there?");
    assert.deepEqual(last().sent.at(-2), { type: "line", text: "@bob are you there?", cid: "t-1" });
    last().drop();
    client.say("@bob second");
    mock.timers.tick(1000);
    last().greet();
    last().recv(roomsWelcome("ana"), roomEv("#lobby", 2, { initial: true }), hist("#lobby", "resume", []));
    assert.deepEqual(
      last().sent.filter((r) => r.type === "line"),
      [{ type: "line", text: "@bob second", cid: "t-2" }],
    );
    assert.deepEqual(
      client.state.outbox.map((o) => [o.text, o.state]),
      [
        ["@bob are you there?", "failed"],
        ["@bob second", "sent"],
      ],
    );
  });

  it("issue 14: a refused resume registers again under the same name and rejoins the rooms, marking what may be missing", () => {
    const { client, last } = joined();
    client.joinRoom("#dev");
    last().recv(roomEv("#dev", 4), hist("#dev", "join", [msg("#dev", 4, "bob", "d4")]));
    last().drop();
    mock.timers.tick(1000);
    last().greet();
    assert.equal(last().sent[0]?.type, "resume");
    last().recv(
      { type: "error", code: "resume_failed", params: { reason: "expired" }, at },
      { type: "prompt", need: "name" },
    );
    assert.deepEqual(last().sent.at(-1), { type: "name", name: "ana" });
    assert.equal(client.state.screen, "chat");
    last().recv(roomsWelcome("ana"));
    assert.deepEqual(last().sent.at(-1), { type: "join", room: "#dev" });
    last().recv(
      roomEv("#lobby", 2, { initial: true }),
      hist("#lobby", "join", [msg("#lobby", 1, "bob", "old 1"), msg("#lobby", 2, "bob", "old 2")]),
      roomEv("#dev", 7),
      hist("#dev", "join", [msg("#dev", 6, "bob", "d6"), msg("#dev", 7, "bob", "d7")]),
    );
    // Nothing missed in the lobby (no marker, nothing twice); in #dev, 5 is unknown.
    assert.deepEqual(texts(client.state, "#lobby"), ["system", "old 1", "old 2", "--divider--"]);
    assert.deepEqual(texts(client.state, "#dev"), [
      "d4",
      "--divider--",
      "reconnected",
      "--gap--",
      "d6",
      "d7",
      "--divider--",
    ]);
    assert.equal(client.state.view, "#dev");
  });

  it("issue 10 item 3: /me waits in the outbox like a message; other commands typed offline go once when back", () => {
    const { client, last } = joined();
    client.say("/me acena");
    assert.deepEqual(last().sent.at(-2), { type: "line", text: "/me acena", room: "#lobby", cid: "t-1" });
    last().recv({ type: "action", room: "#lobby", seq: 3, from: "ana", text: "acena", cid: "t-1", at });
    assert.deepEqual(client.state.outbox, []);
    client.say("/users");
    assert.deepEqual(last().sent.at(-1), { type: "line", text: "/users", room: "#lobby" });
    last().drop();
    client.say("/topic novo");
    mock.timers.tick(1000);
    last().greet();
    last().recv(roomsWelcome("ana"));
    assert.deepEqual(
      last().sent.filter((r) => r.type === "line"),
      [{ type: "line", text: "/topic novo", room: "#lobby" }],
    );
  });

  it("keeps each pane bounded; what is dropped can be loaded again", () => {
    const { client, last } = joined([]);
    for (let i = 1; i <= MAX_ITEMS + 20; i++) last().recv(msg("#lobby", i, "bob", `m${i}`));
    const r = viewRoom(client.state);
    assert.equal(r?.items.length, MAX_ITEMS);
    assert.equal(r?.more, true);
    client.loadOlder("#lobby");
    assert.deepEqual(last().sent.at(-1), { type: "history", room: "#lobby", before: 21, limit: 50 });
  });
});

describe("web client logic: mentions (issue 13)", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setInterval"] }));
  afterEach(() => mock.timers.reset());

  it("a mention while the tab is hidden notifies and marks the room; seen when the tab shows it", () => {
    const { client, last, hidden, notes } = joined();
    hidden.value = true;
    last().recv(msg("#lobby", 3, "bob", "hello everyone"), msg("#lobby", 4, "bob", "@ana look"));
    assert.deepEqual(notes, [{ room: "#lobby", from: "bob", text: "@ana look", private: false }]);
    assert.equal(room(client.state, "#lobby")?.mentions, 1);
    assert.equal(room(client.state, "#lobby")?.unread, 0, "the room is the one shown");
    last().recv({ type: "private", from: "bob", to: "ana", text: "psst", at });
    assert.deepEqual(notes.at(-1), { room: null, from: "bob", text: "psst", private: true });
    hidden.value = false;
    client.visible();
    assert.equal(room(client.state, "#lobby")?.mentions, 0);
    // Visible and shown: highlighted in the pane only (the page does that), no mark, no notification.
    last().recv(msg("#lobby", 5, "bob", "ANA: and now?"));
    assert.equal(room(client.state, "#lobby")?.mentions, 0);
    assert.equal(notes.length, 2);
  });

  it("a mention in a room not shown marks it (apart from its unread count) until it is shown", () => {
    const { client, last, notes } = joined();
    client.joinRoom("dev");
    last().recv(roomEv("#dev", 0), hist("#dev", "join", []));
    assert.equal(client.state.view, "#dev");
    last().recv(
      msg("#lobby", 3, "bob", "banana"),
      msg("#lobby", 4, "bob", "ana, the build?"),
      msg("#lobby", 5, "ana", "ana here"),
    );
    assert.equal(room(client.state, "#lobby")?.unread, 2);
    assert.equal(room(client.state, "#lobby")?.mentions, 1, "banana is no mention, nor one's own line");
    assert.equal(notes.length, 0, "the tab is visible: no notification");
    client.show("#lobby");
    assert.equal(room(client.state, "#lobby")?.mentions, 0);
  });
});

describe("web client logic: away (issue 13)", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setInterval"] }));
  afterEach(() => mock.timers.reset());

  it("your own away state, others' from the user lists, and one line per away reply", () => {
    const { client, last } = setup();
    client.start();
    last().greet();
    client.join("ana");
    last().recv({
      type: "welcome",
      name: "ana",
      address: null,
      users: [
        { name: "ana", address: null },
        { name: "bob", address: null, away: "lunch" },
      ],
      at,
    });
    assert.equal(client.state.away, null);
    assert.equal(users(client.state).find((u) => u.name === "bob")?.away, "lunch");
    // You go away, then come back: the state and your entry in the list follow, one line each.
    last().recv({ type: "away", name: "ana", away: true, text: "brb", at });
    assert.equal(client.state.away, "brb");
    assert.equal(users(client.state).find((u) => u.name === "ana")?.away, "brb");
    last().recv({ type: "away", name: "ana", away: false, at });
    assert.equal(client.state.away, null);
    assert.equal(users(client.state).find((u) => u.name === "ana")?.away, undefined);
    // A private message to bob, who is away: the reply is shown once per event.
    const before = items(client.state).length;
    last().recv(
      { type: "private", from: "ana", to: "bob", text: "oi", at },
      { type: "away", name: "bob", away: true, text: "dinner", at },
    );
    const added = items(client.state).slice(before);
    assert.deepEqual(
      added.map((i) => [i.kind, i.event?.type]),
      [
        ["private", "private"],
        ["system", "away"],
      ],
    );
    assert.equal(users(client.state).find((u) => u.name === "bob")?.away, "dinner");
    // The next user list is the truth: bob is back.
    last().recv({
      type: "users",
      room: "#lobby",
      users: [
        { name: "ana", address: null },
        { name: "bob", address: null },
      ],
    });
    assert.equal(users(client.state).find((u) => u.name === "bob")?.away, undefined);
  });
});
