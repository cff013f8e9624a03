/**
 * Issue 11: "An nc user, a terminal client, a browser and two IRC clients in one room see the
 * same conversation, in the same order, with the same names." Everyone talks at once; each of them
 * must show the others' lines in the room log's order. Real sockets, a real `papo connect` child
 * process, Debian's Chromium, two irc-framework clients.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import irc, { type Client as IrcFrameworkClient, type MessageEvent } from "irc-framework";
import type { Browser, Page } from "playwright-core";
import { buildWeb } from "../scripts/build-web.ts";
import { CHROMIUM, launchChromium } from "./chromium.ts";
import { ClientProcess } from "./client-helpers.ts";
import { JsonClient, sleep, TextClient } from "./helpers.ts";
import { startWebTestServer, type WebTestServer } from "./web-helpers.ts";

const UI_MS = Number(process.env.PAPO_E2E_MS ?? 5000) * 3;
const inCI = process.env.CI === "true";
const skip = !existsSync(CHROMIUM) && !inCI ? "Chromium is not installed" : false;

/** An irc-framework client that records the room's messages in the order it got them. */
function ircUser(port: number, nick: string): Promise<{ client: IrcFrameworkClient; got: string[] }> {
  const client = new irc.Client();
  const got: string[] = [];
  client.on("message", (e: MessageEvent) => {
    if (e.target === "#lobby" && e.type === "privmsg") got.push(`${e.nick}: ${e.message}`);
  });
  return new Promise((resolve, reject) => {
    client.once("registered", () => {
      // IRC clients choose their channels: everyone meets in the lobby.
      client.join("#lobby");
      client.once("join", () => resolve({ client, got }));
    });
    client.once("close", () => reject(new Error(`${nick}: closed before registration`)));
    client.connect({
      host: "127.0.0.1",
      port,
      nick,
      username: nick,
      gecos: nick,
      auto_reconnect: false,
      enable_echomessage: true,
    });
  });
}

describe("one room, five kinds of client (issue 11)", { skip }, () => {
  let server: WebTestServer;
  let browser: Browser;
  let webRoot: string;
  before(async () => {
    webRoot = await mkdtemp(path.join(os.tmpdir(), "papo-mixed-"));
    [browser] = await Promise.all([launchChromium(), buildWeb(webRoot)]);
    server = await startWebTestServer({ webRoot, ircPort: 0 });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
  });

  it("nc, papo connect, a browser and two IRC clients see one conversation, in one order, with the same names", async () => {
    const ircPort = server.ircAddress?.port as number;
    const log = await JsonClient.join(server.port, "registro");
    const nc = await TextClient.join(server.port, "nc_user");
    const term = new ClientProcess([`127.0.0.1:${server.port}`, "--name", "term_user"]);
    const context = await browser.newContext({ locale: "en-US" });
    const ircA = await ircUser(ircPort, "irc_a");
    const ircB = await ircUser(ircPort, "irc_b");
    try {
      context.setDefaultTimeout(UI_MS);
      const page: Page = await context.newPage();
      await page.goto(server.origin);
      await page.locator("#name").fill("web_user");
      await page.locator("#name").press("Enter");
      const input = page.locator(".composer input");
      await input.waitFor();
      await term.waitFor("Hello, term_user!");
      await log.waitEvent("joined", (e) => e.name === "web_user");
      await log.waitEvent("joined", (e) => e.name === "term_user");

      // Everyone at once, three lines each.
      for (let i = 0; i < 3; i++) {
        nc.line(`nc ${i}`);
        term.send(`term ${i}`);
        ircA.client.say("#lobby", `ircA ${i}`);
        ircB.client.say("#lobby", `ircB ${i}`);
        await input.fill(`web ${i}`);
        await input.press("Enter");
      }
      const last = (who: string) => (e: { type: string; text?: string }) => e.text === `${who} 2`;
      for (const who of ["nc", "term", "ircA", "ircB", "web"]) await log.waitEvent("message", last(who));
      // The room's order: the log's (the json client gets every message with its seq).
      const order = log.events.flatMap((e) => (e.type === "message" ? [`${e.from}: ${e.text}`] : []));
      assert.equal(order.length, 15);
      const others = (self: string) => order.filter((l) => !l.startsWith(`${self}: `));
      const settle = async (get: () => string[], self: string, what: string) => {
        const want = others(self);
        for (let i = 0; i < 300 && get().filter((l) => want.includes(l)).length < want.length; i++)
          await sleep(50);
        assert.deepEqual(
          get().filter((l) => want.includes(l)),
          want,
          what,
        );
      };
      await settle(() => nc.lines, "nc_user", "nc");
      await settle(() => term.lines.map((l) => l.replace(/^\d\d:\d\d /, "")), "term_user", "papo connect");
      await settle(() => ircA.got, "irc_a", "IRC client A");
      await settle(() => ircB.got, "irc_b", "IRC client B");
      const webLines = async () => {
        const items = page.locator(".pane .msg");
        const n = await items.count();
        const out: string[] = [];
        for (let i = 0; i < n; i++) {
          const item = items.nth(i);
          out.push(`${await item.locator(".from").innerText()}: ${await item.locator(".text").innerText()}`);
        }
        return out;
      };
      const want = others("web_user");
      let seen: string[] = [];
      for (let i = 0; i < 100; i++) {
        seen = (await webLines()).filter((l) => want.includes(l));
        if (seen.length >= want.length) break;
        await sleep(100);
      }
      assert.deepEqual(seen, want, "the browser");
    } finally {
      ircA.client.quit();
      ircB.client.quit();
      term.kill();
      nc.close();
      log.close();
      await context.close();
    }
  });
});
