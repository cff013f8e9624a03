/**
 * The browser client end to end (issue 3; S5-S13): playwright-core drives Debian's Chromium
 * against a real server (its web app built into a temporary directory from the current source).
 * One browser for the whole file, one context per user. Without Chromium the suite says so
 * loudly and skips — except under CI (`CI=true`), where a missing browser is a failure.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { buildWeb } from "../scripts/build-web.ts";
import { loadSqlite, SqliteStore } from "../src/store/sqlite.ts";
import {
  CHROMIUM,
  pageJoin as join,
  launchChromium,
  pageSeen as seen,
  pageSend as send,
} from "./chromium.ts";
import { sleep, TextClient } from "./helpers.ts";
import { startWebTestServer, type WebTestServer } from "./web-helpers.ts";

// The functions given to page.evaluate run in the page; these are the DOM names they use (the test
// program itself is type-checked without the DOM library).
declare const document: {
  title: string;
  body: object;
  documentElement: { scrollWidth: number };
  querySelector(selector: string): {
    scrollHeight: number;
    scrollTop: number;
    clientHeight: number;
    getBoundingClientRect(): { right: number };
  } | null;
};
declare const window: { __pwned?: number };
declare function getComputedStyle(element: object): { backgroundColor: string };

// PAPO_E2E_MS: more time on a busy machine (the waits are for the UI, not speed assertions).
const UI_MS = Number(process.env.PAPO_E2E_MS ?? 5000);

const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === "true";
if (!haveChromium) {
  const line = "!".repeat(78);
  process.stderr.write(
    `\n${line}\n!! Chromium not found at ${CHROMIUM}: the browser end-to-end tests are ${inCI ? "FAILING (CI=true)" : "SKIPPED"}.\n` +
      `!! Install it with: apt-get install -y chromium   (or set PAPO_CHROMIUM=/path/to/chromium)\n${line}\n\n`,
  );
}

if (!haveChromium && inCI) {
  describe("browser end-to-end tests", () => {
    it("needs Chromium under CI", () => {
      assert.fail(`Chromium is missing at ${CHROMIUM}; CI must install it (apt-get install -y chromium)`);
    });
  });
}

/** A TCP relay in front of the HTTP port: it can refuse WebSocket handshakes and cut every connection. */
class Relay {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  mode: "forward" | "refuse-ws" = "forward";

  constructor(target: number) {
    this.server = net.createServer((client) => {
      this.#track(client);
      client.once("data", (first: Buffer) => {
        if (this.mode === "refuse-ws" && /^upgrade:\s*websocket/im.test(first.toString("latin1"))) {
          client.destroy();
          return;
        }
        const upstream = net.connect(target, "127.0.0.1");
        this.#track(upstream);
        upstream.write(first);
        client.pipe(upstream);
        upstream.pipe(client);
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
      });
    });
  }

  #track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => this.sockets.delete(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Cuts every connection at once, like a network that went away. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe("browser client end to end (Chromium)", {
  skip: haveChromium ? false : "Chromium not installed",
}, () => {
  let browser: Browser;
  let webRoot: string;
  let server: WebTestServer;
  const contexts: Array<{ close(): Promise<void> }> = [];

  before(async () => {
    webRoot = await mkdtemp(path.join(os.tmpdir(), "papo-web-e2e-"));
    [browser] = await Promise.all([launchChromium(), buildWeb(webRoot)]);
    server = await startWebTestServer({ webRoot });
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
  });

  /** A fresh browser profile (context) with one page at `url`. */
  async function open(url: string, options: BrowserContextOptions = {}): Promise<Page> {
    const context = await browser.newContext({ locale: "en-US", ...options });
    contexts.push(context);
    context.setDefaultTimeout(UI_MS);
    const page = await context.newPage();
    page.on("pageerror", (err) => process.stderr.write(`page error: ${err.message}\n`));
    await page.goto(url);
    return page;
  }

  async function users(page: Page): Promise<string[]> {
    return page.locator(".users .user").allInnerTexts();
  }

  describe("one room: two browsers and a terminal", () => {
    let ana: Page;
    let bruno: Page;
    let carla: TextClient;

    before(async () => {
      ana = await open(server.origin);
      bruno = await open(server.origin);
      await join(ana, "ana");
      await join(bruno, "bruno");
      carla = await TextClient.join(server.port, "carla");
    });
    after(() => carla?.close());

    it("S7/S13: two browser users and one raw TCP user converse", async () => {
      await send(ana, "oi pessoal");
      await seen(bruno, "oi pessoal", "msg");
      await carla.waitFor("ana: oi pessoal");
      // Your own message is shown, marked as yours.
      await seen(ana, "oi pessoal", "own");
      carla.line("olá do terminal");
      await seen(ana, "olá do terminal", "msg");
      await seen(bruno, "olá do terminal", "msg");
      await send(bruno, "tudo bem? ção 👋");
      await seen(ana, "tudo bem? ção 👋", "msg");
      await carla.waitFor("bruno: tudo bem? ção 👋");
      const entry = ana.locator(".pane .msg", { hasText: "olá do terminal" }).first();
      assert.equal(await entry.locator(".from").innerText(), "carla");
      assert.match(await entry.locator("time").innerText(), /^\d{2}:\d{2}$/);
    });

    it("S8: clicking a name starts a private message, which reaches only its target", async () => {
      await ana.locator(".users .user", { hasText: "bruno" }).click();
      assert.equal(await ana.locator(".composer input").inputValue(), "@bruno ");
      await ana.locator(".composer input").press("End");
      await ana.locator(".composer input").pressSequentially("segredo");
      await ana.locator(".composer input").press("Enter");
      await seen(bruno, "segredo", "private");
      const got = bruno.locator(".pane .private", { hasText: "segredo" });
      assert.equal(await got.locator(".badge").innerText(), "PRIVATE");
      assert.equal(await got.locator(".from").innerText(), "ana");
      await seen(ana, "to bruno", "private");
      carla.line("@ana psst do terminal");
      await seen(ana, "psst do terminal", "private");
      carla.line("marker after the privates");
      await seen(bruno, "marker after the privates");
      await carla.waitFor("-> ana (private): psst do terminal");
      assert.ok(!carla.lines.some((l) => l.includes("segredo")), "carla never sees ana's private message");
      assert.equal(await bruno.locator(".pane", { hasText: "psst do terminal" }).count(), 0);
      // Errors come back to the sender only, in the pane.
      await send(ana, "@nobody hi");
      await seen(ana, "No user named nobody", "error");
    });

    it("S6: the user list shows addresses and follows joins and leaves", async () => {
      assert.deepEqual((await users(ana)).sort(), ["ana (you)", "bruno", "carla"]);
      const addrs = await ana.locator(".users .addr").allInnerTexts();
      assert.equal(addrs.length, 3);
      for (const a of addrs) assert.match(a, /^127\.0\.0\.1:\d+$/);
      const davi = await TextClient.join(server.port, "davi");
      await seen(ana, "davi joined from 127.0.0.1:", "join");
      await ana.locator(".users .user", { hasText: "davi" }).waitFor({ timeout: UI_MS });
      davi.line("/quit fui");
      await seen(bruno, "davi left: fui", "leave");
      await ana.locator(".users .user", { hasText: "davi" }).waitFor({ state: "detached", timeout: UI_MS });
      assert.deepEqual((await users(ana)).sort(), ["ana (you)", "bruno", "carla"]);
    });

    it("S5: refusals are shown inline on the name screen, in Portuguese too", async () => {
      const page = await open(server.origin, { locale: "pt-BR" });
      assert.equal(await page.locator("button[type=submit]").innerText(), "Entrar");
      await page.locator("#name").fill("ana maria");
      await page.locator("#name").press("Enter");
      const error = page.locator("#name-error");
      await error.waitFor({ timeout: UI_MS });
      assert.match(await error.innerText(), /não pode conter espaços/);
      await page.locator("#name").fill("ANA");
      await page.locator("#name").press("Enter");
      await page.locator("#name-error", { hasText: "já está em uso" }).waitFor({ timeout: UI_MS });
      // The language switch changes the page's texts at once.
      await page.locator("select.lang").selectOption("en");
      assert.equal(await page.locator("button[type=submit]").innerText(), "Join");
      assert.match(await error.innerText(), /already in use/);
      await join(page, "eva");
      await seen(ana, "eva joined", "join");
      await page.locator(".leave-button").click();
    });

    it("S9: the Leave (Sair) button: others are told, the page returns to the name screen", async () => {
      await bruno.locator(".leave-button").click();
      await bruno.locator("#name").waitFor({ timeout: UI_MS });
      await seen(ana, "bruno left", "leave");
      await carla.waitFor("* bruno left");
      await ana.locator(".users .user", { hasText: "bruno" }).waitFor({ state: "detached", timeout: UI_MS });
      // The name is free again, and the name screen remembers it.
      assert.equal(await bruno.locator("#name").inputValue(), "bruno");
      await join(bruno, "bruno");
      await seen(ana, "bruno joined", "join");
    });

    it("safety: markup in messages and names shows as text and runs nothing", async () => {
      const eve = await TextClient.join(server.port, "<i>eve</i>");
      eve.line('<img src=x onerror="window.__pwned=1">');
      eve.line("<script>window.__pwned=2</script>");
      await send(ana, "<img src=x onerror=window.__pwned=3><b>bold?</b>");
      await seen(bruno, '<img src=x onerror="window.__pwned=1">', "msg");
      await seen(bruno, "<script>window.__pwned=2</script>", "msg");
      await seen(bruno, "<img src=x onerror=window.__pwned=3><b>bold?</b>", "msg");
      await bruno.locator(".users .user", { hasText: "<i>eve</i>" }).waitFor({ timeout: UI_MS });
      await sleep(200);
      for (const page of [ana, bruno]) {
        assert.equal(await page.locator(".pane img, .pane script, .pane b, .users i").count(), 0);
        assert.equal(
          await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
          undefined,
        );
      }
      eve.close();
    });

    it("counts unread messages in the tab title while the tab is hidden", async () => {
      // Strings, not functions: tsx would wrap nested functions in a helper the page lacks.
      const setHidden = (hidden: boolean) =>
        `Object.defineProperty(document, "hidden", { configurable: true, value: ${hidden} });` +
        `document.dispatchEvent(new Event("visibilitychange"));`;
      await ana.evaluate(setHidden(true));
      await send(bruno, "are you there?");
      await send(bruno, "hello?");
      await ana.waitForFunction(() => document.title === "(2) ana · papo", undefined, { timeout: UI_MS });
      await ana.evaluate(setHidden(false));
      await ana.waitForFunction(() => document.title === "ana · papo", undefined, { timeout: UI_MS });
    });

    it("stays on the newest message unless the user scrolled up", async () => {
      const pane = ana.locator(".pane");
      const atBottom = () => pane.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 4);
      for (let i = 0; i < 60; i++) server.chat.announce(`filler ${i}`);
      await seen(ana, "filler 59");
      assert.ok(await atBottom());
      await pane.evaluate((el) => {
        el.scrollTop = 0;
      });
      await sleep(100);
      server.chat.announce("newest while reading");
      await seen(ana, "newest while reading");
      // Older lines may come in on top (the pane is at its top): the reader is not moved down.
      assert.ok(!(await atBottom()), "the reader's position is kept");
      await ana.locator(".new-messages").click();
      await ana.waitForFunction(() => {
        const el = document.querySelector(".pane");
        return el !== null && el.scrollHeight - el.scrollTop - el.clientHeight < 4;
      });
    });

    it("usable at phone width, in the system's dark scheme", async () => {
      const phone = await open(server.origin, {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        colorScheme: "dark",
      });
      await join(phone, "fone");
      const bg = await phone.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, "rgb(18, 22, 28)");
      assert.ok(
        await phone.evaluate(() => document.documentElement.scrollWidth <= 390),
        "no sideways scroll",
      );
      // Issue 14: the rooms are a compact strip of chips above the room, not a sidebar.
      const strip = await phone.locator(".rooms").boundingBox();
      const lobbyChip = await phone.locator(".rooms .room", { hasText: "#lobby" }).boundingBox();
      assert.ok(strip && strip.width >= 380 && strip.height < 60, `a strip: ${JSON.stringify(strip)}`);
      assert.ok(
        lobbyChip && lobbyChip.y >= strip.y && lobbyChip.y + lobbyChip.height <= strip.y + strip.height,
      );
      // The user list is a drawer behind the "People (n)" button.
      const toggle = phone.locator(".users-toggle");
      assert.ok(await toggle.isVisible());
      const drawer = phone.locator(".users");
      const closedBox = await drawer.boundingBox();
      assert.ok(closedBox && closedBox.x >= 390, "drawer off screen");
      await toggle.click();
      await phone.waitForFunction(() => {
        const r = document.querySelector(".users")?.getBoundingClientRect();
        return r !== undefined && r.right <= 391;
      });
      await phone.locator(".users .user", { hasText: "ana" }).click();
      assert.equal(await phone.locator(".composer input").inputValue(), "@ana ");
      const light = await open(server.origin, { colorScheme: "light" });
      assert.equal(
        await light.evaluate(() => getComputedStyle(document.body).backgroundColor),
        "rgb(243, 245, 247)",
      );
    });
  });

  it("G32: a WebSocket from a page on another origin is refused before the upgrade", async () => {
    // Another site on this machine (another port is another origin; a public site would be
    // stopped by Chromium's private-network rules before reaching the server at all).
    const evil = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<!doctype html><title>evil</title>");
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    const evilOrigin = `http://127.0.0.1:${(evil.address() as net.AddressInfo).port}`;
    try {
      const page = await open(`${evilOrigin}/`);
      const tryOpen = (url: string) =>
        page.evaluate(
          `new Promise((resolve) => { const ws = new WebSocket(${JSON.stringify(url)});` +
            "ws.onopen = () => { resolve('open'); ws.close(); }; ws.onclose = (e) => resolve('closed ' + e.code); })",
        );
      assert.equal(await tryOpen(server.wsUrl), "closed 1006");
      assert.ok(server.logs.some((l) => l.includes("ws_origin_refused") && l.includes(evilOrigin)));
      // The same page may connect once the operator allows its origin (--allow-origin).
      const allowing = await startWebTestServer({ webRoot, allowOrigins: [evilOrigin] });
      assert.equal(await tryOpen(allowing.wsUrl), "open");
      await allowing.close();
    } finally {
      evil.close();
    }
  });

  it("S12: the unreachable-server dialog, Retry now, and automatic reconnection after a drop", async () => {
    const relay = new Relay(server.httpPort);
    const port = await relay.listen();
    try {
      relay.mode = "refuse-ws";
      const page = await open(`http://127.0.0.1:${port}/`);
      const dialog = page.locator("[role=alertdialog]");
      await dialog.locator("h2", { hasText: "Cannot reach the server" }).waitFor({ timeout: UI_MS });
      // Wait until the back-off is long enough that a click beats the next automatic attempt.
      await dialog.locator(".retry", { hasText: /in ([3-9]|1\d) s/ }).waitFor({ timeout: 10_000 });
      relay.mode = "forward";
      await dialog.getByRole("button", { name: "Retry now" }).click();
      await dialog.waitFor({ state: "detached", timeout: UI_MS });
      await join(page, "rita");
      const watcher = await TextClient.join(server.port, "s12_watch");
      // The network goes away while chatting.
      relay.mode = "refuse-ws";
      relay.dropAll();
      await dialog.locator("h2", { hasText: "Connection lost" }).waitFor({ timeout: UI_MS });
      await dialog.locator(".retry", { hasText: /Trying/ }).waitFor();
      await watcher.waitFor("* rita lost the connection", { ms: UI_MS });
      // It comes back: the page reconnects by itself and takes its name back.
      relay.mode = "forward";
      await dialog.waitFor({ state: "detached", timeout: 20_000 });
      await seen(page, "Reconnected.");
      await watcher.waitFor("* rita joined", { ms: UI_MS });
      watcher.line("welcome back");
      await seen(page, "welcome back", "msg");
      watcher.close();
    } finally {
      await relay.close();
    }
  });

  it("issue 10 item 2: 200 quick messages from the browser all arrive; the page says they go out slowly", async () => {
    // Real flood control (burst 8), at 20 lines/s so the test is short: the page sends faster.
    const own = await startWebTestServer({ webRoot, limits: { floodBurst: 8, floodIntervalMs: 50 } });
    try {
      const page = await open(own.origin);
      await join(page, "paste_web");
      const rx = await TextClient.join(own.port, "paste_rx");
      // Typed and sent from inside the page, as fast as the page can (playwright's own round
      // trips would be slower than the flood rate on a busy machine).
      await page.evaluate(`(async () => {
        const input = document.querySelector(".composer input");
        const form = document.querySelector(".composer");
        const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
        const turn = () => new Promise((r) => setTimeout(r, 0));
        for (let i = 0; i < 200; i++) {
          setValue.call(input, "quick " + i);
          input.dispatchEvent(new Event("input", { bubbles: true }));
          await turn();
          form.requestSubmit();
          await turn();
        }
      })()`);
      const banner = page.locator(".sending-slowly");
      await banner.waitFor({ timeout: UI_MS });
      assert.match(
        await banner.innerText(),
        /^Sending slowly: \d+ of your messages wait their turn \(about \d+ s\)/,
      );
      await rx.waitFor("paste_web: quick 199", { ms: 20_000 });
      const got = rx.lines
        .filter((l) => l.startsWith("paste_web: "))
        .map((l) => l.slice("paste_web: ".length));
      assert.deepEqual(
        got,
        Array.from({ length: 200 }, (_, i) => `quick ${i}`),
      );
      // The banner goes once everything is out; the page is still connected, no dialog.
      await banner.waitFor({ state: "detached", timeout: UI_MS });
      await seen(page, "quick 199", "own");
      assert.equal(await page.locator("[role=alertdialog]").count(), 0);
      rx.close();
    } finally {
      await own.close();
    }
  });

  it("S11: the shutdown dialog shows the operator's reason", async () => {
    const own = await startWebTestServer({ webRoot });
    const page = await open(own.origin, { locale: "pt-BR" });
    await join(page, "sofia");
    const other = await open(own.origin);
    await join(other, "otto");
    await own.close("manutenção às 18h");
    const dialog = page.locator("[role=alertdialog]");
    await dialog.locator("h2", { hasText: "O servidor está sendo encerrado" }).waitFor({ timeout: UI_MS });
    assert.equal(await dialog.locator(".reason").innerText(), "manutenção às 18h");
    await other.locator("[role=alertdialog] h2", { hasText: "The server is shutting down" }).waitFor();
    // Issue 10 item 3: it keeps trying (operators restart servers), with a countdown and
    // "Retry now", until the user leaves ("Sair"), which returns to the name screen.
    await dialog.locator(".retry", { hasText: /Tentando de novo em \d+ s/ }).waitFor({ timeout: UI_MS });
    assert.equal(await dialog.getByRole("button", { name: "Tentar agora" }).count(), 1);
    await dialog.getByRole("button", { name: "Sair" }).click();
    await page.locator("#name").waitFor();
  });
  describe("rooms, history and resume (issue 14; issue 10 item 3)", () => {
    /** The room list's entry for `room`. */
    const roomEntry = (page: Page, room: string) => page.locator(".rooms .room", { hasText: room });

    async function joinRoom(page: Page, room: string): Promise<void> {
      await page.locator(".join-room input").fill(room);
      await page.locator(".join-room input").press("Enter");
      await page.locator(".room-head .room-name", { hasText: room }).waitFor({ timeout: UI_MS });
    }

    it("issue 14: join a room from the page; an nc user's message shows there, and counts as unread while another room is shown", async () => {
      const own = await startWebTestServer({ webRoot, limits: { historyOnJoin: 50 } });
      const nino = await TextClient.join(own.port, "nino");
      try {
        const page = await open(own.origin);
        await join(page, "lia");
        nino.line("/join #estudo");
        await nino.waitFor("#estudo", { ms: UI_MS });
        await joinRoom(page, "#estudo");
        assert.equal(await roomEntry(page, "#estudo").locator("[aria-current=true]").count(), 1);
        assert.deepEqual((await users(page)).sort(), ["lia (you)", "nino"]);
        nino.line("oi estudo");
        await seen(page, "oi estudo", "msg");
        // Shown in its own pane only.
        await roomEntry(page, "#lobby").locator(".room-button").click();
        await page.locator(".room-head .room-name", { hasText: "#lobby" }).waitFor();
        assert.equal(await page.locator(".pane", { hasText: "oi estudo" }).count(), 0);
        nino.line("mais uma");
        nino.line("e outra");
        await roomEntry(page, "#estudo").locator(".unread", { hasText: "2" }).waitFor({ timeout: UI_MS });
        assert.equal(await roomEntry(page, "#lobby").locator(".unread").count(), 0);
        // What the page sends goes to the room it shows.
        await send(page, "no saguão");
        await seen(page, "no saguão", "own");
        await roomEntry(page, "#estudo").locator(".room-button").click();
        await seen(page, "e outra", "msg");
        assert.equal(await roomEntry(page, "#estudo").locator(".unread").count(), 0);

        await send(page, "na sala");
        await nino.waitFor("lia: na sala", { ms: UI_MS });
        // The topic in the room's header.
        nino.line("/topic prova na sexta");
        await page.locator(".room-head .topic", { hasText: "prova na sexta" }).waitFor({ timeout: UI_MS });
        // Leave the room from the list: back to the lobby; nino is told.
        await roomEntry(page, "#estudo").getByRole("button", { name: "Leave #estudo" }).click();
        await roomEntry(page, "#estudo").waitFor({ state: "detached", timeout: UI_MS });
        await page.locator(".room-head .room-name", { hasText: "#lobby" }).waitFor();
        await nino.waitFor("lia left", { ms: UI_MS });
      } finally {
        nino.close();
        await own.close();
      }
    });

    it("issue 14: history greyed with a divider on joining a room; older lines load when scrolled to the top", async () => {
      const own = await startWebTestServer({ webRoot, limits: { historyOnJoin: 20 } });
      const otto = await TextClient.join(own.port, "otto");
      try {
        otto.line("/join #arquivo");
        for (let i = 1; i <= 40; i++) otto.line(`linha ${i}`);
        await sleep(100);
        // In the lobby at registration too: the join and the 40 lines are not there.
        const page = await open(own.origin, { viewport: { width: 1000, height: 520 } });
        await join(page, "ivo");
        await joinRoom(page, "#arquivo");
        const history = page.locator(".pane .msg.history");
        await history.filter({ hasText: "linha 40" }).waitFor({ timeout: UI_MS });
        assert.equal(await history.count(), 20, "the last historyOnJoin events, greyed");
        assert.equal(await page.locator(".pane .divider").count(), 1);
        otto.line("ao vivo");
        await seen(page, "ao vivo", "msg");
        // The divider sits between history and live; the live line is not greyed.
        const order = await page
          .locator(".pane .msg, .pane .divider")
          .evaluateAll((els) =>
            els.map((e) =>
              e.className.includes("divider") ? "|" : e.className.includes("history") ? "h" : "l",
            ),
          );
        assert.equal(order.join(""), `${"h".repeat(20)}|l`);
        // Scrolled to the top: the 20 before come in above, greyed, and the reader stays put.
        const pane = page.locator(".pane");
        const top = page.locator(".pane .msg .text", { hasText: /^linha 21$/ });
        await pane.evaluate((el) => {
          el.scrollTop = 0;
        });
        await page.locator(".pane .msg.history .text", { hasText: /^linha 1$/ }).waitFor({ timeout: UI_MS });
        assert.equal(await history.count(), 40);
        await page.locator(".pane .history-start").waitFor({ timeout: UI_MS });
        assert.ok(
          (await pane.evaluate((el) => el.scrollTop)) > 0,
          "the view did not jump to the oldest line",
        );
        assert.ok(await top.isVisible());
        const texts = await page.locator(".pane .msg .text").allInnerTexts();
        assert.deepEqual(texts, [...Array.from({ length: 40 }, (_, i) => `linha ${i + 1}`), "ao vivo"]);
      } finally {
        otto.close();
        await own.close();
      }
    });

    it("issue 14/10.3: a server restart on the same data: the page resumes under its name, shows the outage's lines once, delivers what was sent meanwhile once", async () => {
      const sqlite = loadSqlite();
      assert.ok(sqlite.ok, "better-sqlite3 loads");
      const dir = await mkdtemp(path.join(os.tmpdir(), "papo-web-restart-"));
      const limits = { historyOnJoin: 50 };
      let own = await startWebTestServer({ webRoot, limits, store: new SqliteStore(sqlite.Database, dir) });
      const ports = { port: own.port, httpPort: own.httpPort };
      // The page reaches the server through a relay, so the test decides when it can come back.
      const relay = new Relay(own.httpPort);
      const relayPort = await relay.listen();
      let ze = await TextClient.join(own.port, "ze");
      try {
        const page = await open(`http://127.0.0.1:${relayPort}/`);
        await join(page, "rui");
        ze.line("/join #obra");
        await joinRoom(page, "#obra");
        ze.line("antes da queda");
        await seen(page, "antes da queda", "msg");
        // The operator restarts the server.
        relay.mode = "refuse-ws";
        await own.close("reinício");
        const banner = page.locator("[role=alertdialog]");
        await banner.locator("h2", { hasText: "The server is shutting down" }).waitFor({ timeout: UI_MS });
        await banner.locator(".retry", { hasText: /Trying again in \d+ s/ }).waitFor({ timeout: UI_MS });
        // While it is down: one message sent (it waits), one line typed and not sent (kept).
        await send(page, "enviada no escuro");
        await page.locator(".pane .outgoing.queued", { hasText: "enviada no escuro" }).waitFor();
        await page.locator(".composer input").fill("rascunho");
        own = await startWebTestServer({
          webRoot,
          limits,
          ...ports,
          store: new SqliteStore(sqlite.Database, dir),
        });
        ze.close();
        ze = await TextClient.join(own.port, "ze");
        ze.line("/join #obra");
        ze.line("durante 1");
        ze.line("durante 2");
        // A text user does not get its own lines back: a command answered after them says they are in.
        ze.line("/rooms");
        await ze.waitFor("Rooms (", { ms: UI_MS });
        // Wait until the back-off is long enough that the click beats the next automatic attempt.
        await banner.locator(".retry", { hasText: /in ([3-9]|1\d) s/ }).waitFor({ timeout: 15_000 });
        relay.mode = "forward";
        await banner.getByRole("button", { name: "Retry now" }).click();
        await banner.waitFor({ state: "detached", timeout: UI_MS });
        await seen(page, "durante 2", "msg");
        await ze.waitFor("rui: enviada no escuro", { ms: UI_MS });
        await page.locator(".pane .outgoing").waitFor({ state: "detached", timeout: UI_MS });
        await seen(page, "enviada no escuro", "own");
        ze.line("depois");
        await seen(page, "depois", "msg");
        await sleep(300);
        const count = (text: string) =>
          page.locator(".pane .msg .text", { hasText: new RegExp(`^${text}$`) }).count();
        for (const text of ["antes da queda", "durante 1", "durante 2", "enviada no escuro", "depois"])
          assert.equal(await count(text), 1, `"${text}" shown once`);
        assert.equal(ze.lines.filter((l) => l.includes("enviada no escuro")).length, 1, "delivered once");
        // Replayed by the resume as the live lines they were, not as greyed history of a new join.
        assert.equal(await page.locator(".pane .msg.history").count(), 0);
        // Same name, same rooms, no second welcome, the draft still there.
        assert.match(await page.locator(".topbar .me").innerText(), /^rui/);
        assert.deepEqual(await page.locator(".rooms .room-label").allInnerTexts(), ["#lobby", "#obra"]);
        await roomEntry(page, "#lobby").locator(".room-button").click();
        await page.locator(".pane .item.system", { hasText: "Hello, rui" }).waitFor();
        assert.equal(await page.locator(".pane .item.system", { hasText: "Hello, rui" }).count(), 1);
        assert.equal(await page.locator(".composer input").inputValue(), "rascunho");
      } finally {
        ze.close();
        await relay.close();
        await own.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
