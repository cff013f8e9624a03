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
  type Connect,
  type Link,
  MAX_ITEMS,
  socketUrl,
} from "../src/client/web/client.ts";
import type { ServerEvent } from "../src/protocol/events.ts";

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

function setup(hidden = { value: false }) {
  const links: FakeLink[] = [];
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
  });
  const last = () => links.at(-1) as FakeLink;
  return { client, links, last, hidden };
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
      client.state.users.map((u) => u.name),
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
    assert.deepEqual(client.state.users, [
      { name: "ana", address: "127.0.0.1:5000" },
      { name: "roberto", address: "10.0.0.2:4000" },
    ]);
    assert.deepEqual(
      client.state.items.map((i) => i.kind),
      ["system", "join", "message", "own", "private", "system"],
    );
    last().recv({ type: "left", room: "#lobby", seq: 1, name: "roberto", reason: "quit", at });
    assert.deepEqual(
      client.state.users.map((u) => u.name),
      ["ana"],
    );
    client.say("@roberto tchau");
    assert.deepEqual(last().sent.at(-1), { type: "line", text: "@roberto tchau" });
    client.say("   ");
    assert.deepEqual(last().sent.at(-1), { type: "line", text: "@roberto tchau" });
    for (let i = 0; i < MAX_ITEMS + 50; i++)
      last().recv({ type: "message", room: "#lobby", seq: 1, from: "x", text: `${i}`, at });
    assert.equal(client.state.items.length, MAX_ITEMS);
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
    assert.equal(client.state.items.at(-1)?.kind, "reconnected");
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

  it("S11: shutdown shows the operator's reason and does not retry; 'Connect again' re-joins", () => {
    const { client, links, last } = setup();
    client.start();
    last().greet();
    client.join("ana");
    last().recv(welcome("ana"));
    last().recv({ type: "bye", reason: "shutdown", text: "manutenção", at });
    last().drop();
    assert.deepEqual(client.state.dialog, { kind: "shutdown", text: "manutenção" });
    mock.timers.tick(60_000);
    assert.equal(links.length, 1, "no automatic retry after a shutdown");
    client.reconnect();
    assert.equal(client.state.dialog, null);
    last().greet();
    assert.deepEqual(last().sent.at(-1), { type: "name", name: "ana" });
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
    assert.deepEqual(client.state.items, []);
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
});
