/**
 * Issue 13, the browser's comforts, in Chromium (playwright-core) against a real server: mentions
 * (highlight, the room's mark, a desktop notification while the tab is hidden, permission asked on
 * the first message sent and never on load), Tab completion, Up/Down recall, http(s) links, and
 * name colours in both schemes. Without Chromium the suite is skipped (test/web-e2e.test.ts says
 * so loudly, and fails under CI).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { buildWeb } from "../scripts/build-web.ts";
import {
  CHROMIUM,
  pageJoin as join,
  launchChromium,
  pageSeen as seen,
  pageSend as send,
} from "./chromium.ts";
import { sleep, TextClient } from "./helpers.ts";
import { startWebTestServer, type WebTestServer } from "./web-helpers.ts";

// PAPO_E2E_MS: more time on a busy machine (the waits are for the UI, not speed assertions).
const UI_MS = Number(process.env.PAPO_E2E_MS ?? 15000);

// Page-side code is given as strings: the test program is type-checked without the DOM library,
// and tsx would wrap nested functions in a helper the page lacks.
const setHidden = (hidden: boolean) =>
  `Object.defineProperty(document, "hidden", { configurable: true, value: ${hidden} });` +
  `document.dispatchEvent(new Event("visibilitychange"));`;

/**
 * The page's globals as waitForFunction's predicates see them. Those are functions, not strings:
 * Playwright polls a string predicate with eval, which the app's Content-Security-Policy (no
 * 'unsafe-eval') refuses whenever the condition is not already true at the first look.
 */
interface Page$ {
  __notes: unknown[];
  document: { querySelectorAll(selector: string): { length: number } };
}

/** Records every Notification shown and every permission request, before the app's code runs. */
const NOTIFICATION_SPY = `(() => {
  window.__notes = [];
  window.__asked = 0;
  const Real = window.Notification;
  if (!Real) return;
  class Spy extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notes.push({ title, body: options && options.body });
    }
  }
  Spy.requestPermission = () => {
    window.__asked++;
    return Real.requestPermission();
  };
  window.Notification = Spy;
})();`;

describe("browser comforts end to end (issue 13, Chromium)", {
  skip: existsSync(CHROMIUM) ? false : "Chromium not installed",
  timeout: 10 * 60_000,
}, () => {
  let browser: Browser;
  let webRoot: string;
  let server: WebTestServer;
  const contexts: Array<{ close(): Promise<void> }> = [];
  const texts: TextClient[] = [];

  before(async () => {
    webRoot = await mkdtemp(path.join(os.tmpdir(), "papo-web-comforts-"));
    [browser] = await Promise.all([launchChromium(), buildWeb(webRoot)]);
    server = await startWebTestServer({ webRoot });
  });

  after(async () => {
    for (const t of texts) t.close();
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
  });

  async function open(url: string, options: BrowserContextOptions = {}): Promise<Page> {
    const context = await browser.newContext({ locale: "en-US", ...options });
    contexts.push(context);
    context.setDefaultTimeout(UI_MS);
    await context.addInitScript(NOTIFICATION_SPY);
    const page = await context.newPage();
    page.on("pageerror", (err) => process.stderr.write(`page error: ${err.message}\n`));
    await page.goto(url);
    return page;
  }

  async function textClient(port: number, name: string): Promise<TextClient> {
    const t = await TextClient.join(port, name);
    texts.push(t);
    return t;
  }

  describe("in one room", () => {
    let ana: Page;
    let bruno: TextClient;

    before(async () => {
      ana = await open(server.origin, { permissions: ["notifications"] });
      await join(ana, "ana");
      bruno = await textClient(server.port, "bruno");
      await seen(ana, "bruno joined", "join");
    });

    it("a mention is highlighted; hidden, it raises a desktop notification and marks the room", async () => {
      await ana.evaluate(setHidden(true));
      bruno.line("banana split");
      bruno.line("hey @ANA, look");
      await seen(ana, "hey @ANA, look", "msg.mention");
      assert.equal(await ana.locator(".pane .msg.mention").count(), 1, "banana is no mention");
      await ana.waitForFunction(() => (globalThis as unknown as Page$).__notes.length === 1, undefined, {
        timeout: UI_MS,
      });
      assert.deepEqual(await ana.evaluate("window.__notes"), [
        { title: "bruno in #lobby", body: "hey @ANA, look" },
      ]);
      const badge = ana.locator(".rooms .room", { hasText: "#lobby" }).locator(".mention-badge");
      assert.equal(await badge.innerText(), "@1");
      assert.equal(await badge.getAttribute("title"), "1 message mentions you");
      // A private message is for you too.
      bruno.line("@ana psst");
      await ana.waitForFunction(() => (globalThis as unknown as Page$).__notes.length === 2, undefined, {
        timeout: UI_MS,
      });
      assert.deepEqual(await ana.evaluate("window.__notes[1]"), { title: "bruno (private)", body: "psst" });
      // Back on the tab: the room's mark goes; a mention now is highlighted, not notified.
      await ana.evaluate(setHidden(false));
      await badge.waitFor({ state: "detached", timeout: UI_MS });
      bruno.line("ana: still there?");
      await seen(ana, "ana: still there?", "msg.mention");
      await sleep(200);
      assert.equal(await ana.evaluate("window.__notes.length"), 2);
      assert.equal(await ana.locator(".rooms .mention-badge").count(), 0);
    });

    it("a mention in a room not shown marks that room, apart from its unread count", async () => {
      await ana.locator(".join-room input").fill("#dev");
      await ana.locator(".join-room input").press("Enter");
      await ana.locator(".room.current", { hasText: "#dev" }).waitFor({ timeout: UI_MS });
      bruno.line("who is around?");
      bruno.line("ana do you have a minute");
      const lobby = ana.locator(".rooms .room", { hasText: "#lobby" });
      await lobby.locator(".unread", { hasText: "2" }).waitFor({ timeout: UI_MS });
      assert.equal(await lobby.locator(".mention-badge").innerText(), "@1");
      await lobby.locator(".room-button").click();
      await lobby.locator(".mention-badge").waitFor({ state: "detached", timeout: UI_MS });
    });

    it("permission is asked on the first message sent, once, never on load", async () => {
      const eva = await open(server.origin);
      await join(eva, "eva");
      assert.equal(await eva.evaluate("Notification.permission"), "default");
      assert.equal(await eva.evaluate("window.__asked"), 0, "not on load");
      await send(eva, "hello");
      await seen(eva, "hello", "own");
      await send(eva, "again");
      await seen(eva, "again", "own");
      assert.equal(await eva.evaluate("window.__asked"), 1, "once");
      await eva.reload();
      await join(eva, "eva2");
      await send(eva, "after a reload");
      await seen(eva, "after a reload", "own");
      assert.equal(await eva.evaluate("window.__asked"), 0, "not again after a reload");
      await eva.locator(".leave-button").click();
    });

    it("Tab completes names, rooms and commands, and cycles; Up/Down recall what was sent", async () => {
      await textClient(server.port, "carla");
      await textClient(server.port, "carol");
      await ana.locator(".users .user", { hasText: "carol" }).waitFor({ timeout: UI_MS });
      const input = ana.locator(".composer input");
      await input.fill("car");
      await input.press("Tab");
      assert.equal(await input.inputValue(), "carla: ");
      await input.press("Tab");
      assert.equal(await input.inputValue(), "carol: ");
      await input.press("Tab");
      assert.equal(await input.inputValue(), "carla: ");
      await input.pressSequentially("oi @br");
      await input.press("Tab");
      assert.equal(await input.inputValue(), "carla: oi @bruno ");
      await input.fill("/jo");
      await input.press("Tab");
      assert.equal(await input.inputValue(), "/join ");
      await input.pressSequentially("#d");
      await input.press("Tab");
      assert.equal(await input.inputValue(), "/join #dev ");
      await input.fill("see #lo");
      await input.press("Tab");
      assert.equal(await input.inputValue(), "see #lobby ");
      // Nothing to complete: Tab leaves the field as usual.
      await input.fill("");
      await input.press("Tab");
      assert.equal(
        await ana.evaluate("document.activeElement === document.querySelector('.composer input')"),
        false,
      );

      await send(ana, "first line");
      await seen(ana, "first line", "own");
      await send(ana, "second line");
      await seen(ana, "second line", "own");
      await input.fill("a draft");
      await input.press("ArrowUp");
      assert.equal(await input.inputValue(), "second line");
      await input.press("ArrowUp");
      assert.equal(await input.inputValue(), "first line");
      await input.press("ArrowDown");
      assert.equal(await input.inputValue(), "second line");
      await input.press("ArrowDown");
      assert.equal(await input.inputValue(), "a draft", "the draft is kept");
      await input.press("ArrowUp");
      await input.press("Enter");
      await sleep(100);
      assert.equal(
        await ana.locator(".pane .own", { hasText: "second line" }).count(),
        2,
        "recalled and sent",
      );
    });

    it("http(s) links are clickable with noopener noreferrer; javascript: and markup stay text", async () => {
      const line =
        'see https://example.org/a?b=1&c=2, (http://x.test/y) javascript:alert(1) <script>window.__pwned=1</script> <a href="javascript:alert(2)">z</a>';
      bruno.line(line);
      await seen(ana, "see https://example.org", "msg");
      const msg = ana.locator(".pane .msg", { hasText: "see https://example.org" }).last();
      const links = msg.locator("a");
      assert.equal(await links.count(), 2);
      assert.deepEqual(
        await ana.evaluate(
          `Array.from([...document.querySelectorAll(".pane .msg")].at(-1).querySelectorAll("a"), (a) => [a.getAttribute("href"), a.textContent, a.target, a.rel])`,
        ),
        [
          ["https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2", "_blank", "noopener noreferrer"],
          ["http://x.test/y", "http://x.test/y", "_blank", "noopener noreferrer"],
        ],
      );
      // The whole line is there as text, markup included; nothing ran, nothing else is a link.
      assert.equal(await msg.locator(".text").innerText(), line);
      assert.equal(await ana.locator(".pane script, .pane a[href^='javascript']").count(), 0);
      assert.equal(await ana.evaluate("window.__pwned"), undefined);
    });
  });

  it("12 people present get 12 different name colours, in the dark and the light scheme", async () => {
    const own = await startWebTestServer({ webRoot });
    try {
      const names = [
        "ana",
        "bruno",
        "carla",
        "davi",
        "eva",
        "felipe",
        "gabi",
        "hugo",
        "iris",
        "joão",
        "kátia",
      ];
      for (const n of names) await textClient(own.port, n);
      for (const colorScheme of ["dark", "light"] as const) {
        const page = await open(own.origin, { colorScheme });
        await join(page, `lucas_${colorScheme}`);
        await page.waitForFunction(
          () => (globalThis as unknown as Page$).document.querySelectorAll(".users .user").length === 12,
          undefined,
          {
            timeout: UI_MS,
          },
        );
        const colours = (await page.evaluate(
          `[...document.querySelectorAll(".users .user")].map((e) => getComputedStyle(e).color)`,
        )) as string[];
        assert.equal(new Set(colours).size, 12, `${colorScheme}: ${colours.join(" ")}`);
        await page.locator(".leave-button").click();
      }
    } finally {
      await own.close();
    }
  });
});
