/**
 * The clients show that a long paste is being sent slowly (issue 10 item 2): the terminal client
 * prints the server's `throttled` notice from the catalogue, and the browser client keeps it in
 * its state (the page shows a banner with a countdown) and does not take the late pong of a
 * throttled connection for a dead link.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { makeColors } from "../src/client/colors.ts";
import { createFormatter } from "../src/client/format.ts";
import { parseServerLine } from "../src/client/server-events.ts";
import { clientTexts } from "../src/client/texts.ts";
import { ChatClient, type Connect, type Link } from "../src/client/web/client.ts";
import { catalogue } from "../src/i18n/index.ts";
import type { ServerEvent } from "../src/protocol/events.ts";

const AT = new Date(2026, 0, 2, 9, 5).getTime();

describe("terminal client: a paste being sent slowly", () => {
  for (const [lang, start, done] of [
    [
      "en",
      "09:05 * Sending slowly: 150 of your lines wait their turn (about 75 s).",
      "* All your lines have been sent.",
    ],
    [
      "pt-BR",
      "09:05 * Enviando devagar: 150 das suas linhas aguardam a vez (cerca de 75 s).",
      "* Todas as suas linhas foram enviadas.",
    ],
  ] as const) {
    it(`shows the throttled notice and its end (${lang})`, () => {
      const f = createFormatter({
        colors: makeColors(false),
        chat: catalogue(lang).chat,
        client: clientTexts(lang),
        now: () => AT,
      });
      const event = parseServerLine(
        JSON.stringify({ type: "throttled", queued: 150, delayMs: 75_000, at: AT }),
      );
      assert.ok(event, "the client understands the event");
      const [line] = f.event(event, "ana");
      assert.ok(line?.startsWith(start), line);
      const end = parseServerLine(JSON.stringify({ type: "throttled", queued: 0, delayMs: 0, at: AT }));
      assert.ok(end);
      assert.equal(f.event(end, "ana")[0], `09:05 ${done}`);
      // A malformed one is ignored rather than shown wrongly.
      assert.equal(parseServerLine('{"type":"throttled","queued":"x"}'), undefined);
    });
  }
});

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
  recv(...events: ServerEvent[]): void {
    for (const e of events) this.on.message(JSON.stringify(e));
  }
}

describe("browser client: a paste being sent slowly", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setInterval"] }));
  afterEach(() => mock.timers.reset());

  it("keeps the backlog in its state, and a late pong while throttled is not a drop", () => {
    let now = 0;
    const links: FakeLink[] = [];
    const client = new ChatClient({
      url: "ws://test/ws",
      connect: (_url, on) => {
        const l = new FakeLink(on);
        links.push(l);
        return l;
      },
      isHidden: () => false,
      now: () => now,
      pingMs: 25_000,
      pongTimeoutMs: 10_000,
    });
    const link = () => links.at(-1) as FakeLink;
    const dialog = () => client.state.dialog?.kind;
    client.start();
    link().on.open();
    link().recv(
      { type: "hello", protocol: 1, server: "papo/test", online: 0 },
      { type: "prompt", need: "name" },
    );
    client.join("ana");
    link().recv({
      type: "welcome",
      name: "ana",
      address: null,
      users: [{ name: "ana", address: null }],
      at: 0,
    });
    link().recv({ type: "throttled", queued: 150, delayMs: 75_000, at: 0 });
    assert.deepEqual(client.state.throttled, { queued: 150, until: 75_000 });
    // The server reads nothing while it holds our lines: the ping's pong comes late.
    now = 25_000;
    mock.timers.tick(25_000);
    now = 35_000;
    mock.timers.tick(10_000);
    assert.equal(dialog(), undefined, "not a drop while the paste goes out");
    link().recv({ type: "throttled", queued: 0, delayMs: 0, at: 0 });
    assert.equal(client.state.throttled, null);
    // Once it is all out, silence is a drop again.
    now = 60_000;
    mock.timers.tick(15_000);
    now = 70_000;
    mock.timers.tick(10_000);
    assert.equal(dialog(), "lost");
    assert.equal(client.state.throttled, null);
  });

  it("a throttled link that stays silent long past its expected end is a drop", () => {
    let now = 0;
    const links: FakeLink[] = [];
    const client = new ChatClient({
      url: "ws://test/ws",
      connect: (_url, on) => {
        const l = new FakeLink(on);
        links.push(l);
        return l;
      },
      isHidden: () => false,
      now: () => now,
      pingMs: 25_000,
      pongTimeoutMs: 10_000,
    });
    const link = () => links.at(-1) as FakeLink;
    client.start();
    link().on.open();
    link().recv(
      { type: "hello", protocol: 1, server: "papo/test", online: 0 },
      { type: "prompt", need: "name" },
    );
    client.join("ana");
    link().recv({
      type: "welcome",
      name: "ana",
      address: null,
      users: [{ name: "ana", address: null }],
      at: 0,
    });
    link().recv({ type: "throttled", queued: 4, delayMs: 2000, at: 0 });
    now = 25_000;
    mock.timers.tick(25_000);
    now = 35_000;
    mock.timers.tick(10_000);
    assert.equal(client.state.dialog?.kind, "lost");
  });
});
