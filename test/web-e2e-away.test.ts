/**
 * Issue 13, away in the browser, in Chromium (playwright-core) against a real server: an away
 * user is dimmed in the member list with their message, your own away state shows in the top
 * bar, and a private message to someone away is answered by one "NAME is away: MSG" line. Without
 * Chromium the suite is skipped (test/web-e2e.test.ts says so loudly, and fails under CI).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext } from "playwright-core";
import { buildWeb } from "../scripts/build-web.ts";
import { CHROMIUM, launchChromium, pageSend as send } from "./chromium.ts";
import { sleep, TextClient } from "./helpers.ts";
import { startWebTestServer, type WebTestServer } from "./web-helpers.ts";

// PAPO_E2E_MS: more time on a busy machine (the waits are for the UI, not speed assertions).
const UI_MS = Number(process.env.PAPO_E2E_MS ?? 15000);

describe("browser away end to end (issue 13, Chromium)", {
  skip: existsSync(CHROMIUM) ? false : "Chromium not installed",
  timeout: 5 * 60_000,
}, () => {
  let browser: Browser;
  let webRoot: string;
  let server: WebTestServer;
  let context: BrowserContext | undefined;
  let bruno: TextClient | undefined;

  before(async () => {
    webRoot = await mkdtemp(path.join(os.tmpdir(), "papo-web-away-"));
    [browser] = await Promise.all([launchChromium(), buildWeb(webRoot)]);
    server = await startWebTestServer({ webRoot });
  });

  after(async () => {
    bruno?.close();
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.close();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
  });

  it("away users are marked in the list; a private message to them gets one 'is away' line; your own state is in the top bar", async () => {
    context = await browser.newContext({ locale: "en-US" });
    context.setDefaultTimeout(UI_MS);
    const ana = await context.newPage();
    ana.on("pageerror", (err) => process.stderr.write(`page error: ${err.message}\n`));
    await ana.goto(server.origin);
    await ana.locator("#name").fill("ana");
    await ana.locator("#name").press("Enter");
    await ana.locator(".composer input").waitFor({ timeout: UI_MS });

    bruno = await TextClient.join(server.port, "bruno");
    bruno.line("/away lunch");
    await bruno.waitFor("You are away: lunch");
    // The server does not broadcast others' away changes: the next user list carries them.
    await send(ana, "/users");
    const entry = ana.locator(".users li.away", { hasText: "bruno" });
    await entry.waitFor({ timeout: UI_MS });
    assert.equal(await entry.locator(".away-hint").innerText(), "away: lunch");
    assert.equal(await entry.locator(".user").getAttribute("title"), "away: lunch");
    assert.notEqual(await entry.locator(".user").evaluate("e => getComputedStyle(e).opacity"), "1", "dimmed");

    await send(ana, "@bruno are you there?");
    const reply = ana.locator(".pane .item", { hasText: "bruno is away: lunch" });
    await reply.first().waitFor({ timeout: UI_MS });
    await bruno.waitFor("are you there?");
    await sleep(200);
    assert.equal(await reply.count(), 1, "once per reply");

    // Your own state: shown in the top bar until /back.
    assert.equal(await ana.locator(".topbar .away-state").count(), 0);
    await send(ana, "/away coffee");
    await ana.locator(".pane .item", { hasText: "You are away: coffee" }).waitFor({ timeout: UI_MS });
    assert.equal(await ana.locator(".topbar .away-state").innerText(), "away: coffee");
    assert.ok(await ana.locator(".users li.away", { hasText: "ana" }).isVisible(), "your own entry too");
    await send(ana, "/back");
    await ana.locator(".pane .item", { hasText: "You are back." }).waitFor({ timeout: UI_MS });
    await ana.locator(".topbar .away-state").waitFor({ state: "detached", timeout: UI_MS });
  });
});
