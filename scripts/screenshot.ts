/**
 * Takes docs/screenshot.png for the README: a real conversation between two browser users and a
 * terminal (nc) user on a real server, seen from one browser: the lobby's history greyed above the
 * "new" line, the topic, and a second room with unread messages. Needs Chromium (see the README).
 *
 *   node --import tsx scripts/screenshot.ts [out.png] [--dark]
 */

import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { startServer } from "../src/server/server.ts";
import { launchChromium } from "../test/chromium.ts";
import { buildWeb } from "./build-web.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const out = path.resolve(args.find((a) => !a.startsWith("--")) ?? path.join(ROOT, "docs/screenshot.png"));
const dark = args.includes("--dark");
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const webRoot = await mkdtemp(path.join(os.tmpdir(), "papo-shot-"));
await buildWeb(webRoot);
const server = await startServer(
  {
    host: "127.0.0.1",
    port: 0,
    httpPort: 0,
    lang: "en",
    hideAddresses: false,
    logMessages: false,
    limits: DEFAULT_LIMITS,
    webRoot,
  },
  () => {},
);
const url = `http://127.0.0.1:${server.httpAddress?.port}/`;
const browser = await launchChromium();

async function user(name: string, locale: string): Promise<Page> {
  const context = await browser.newContext({
    locale,
    viewport: { width: 1040, height: 560 },
    deviceScaleFactor: 1,
    colorScheme: dark ? "dark" : "light",
  });
  const page = await context.newPage();
  await page.goto(url);
  await page.locator("#name").fill(name);
  await page.locator("#name").press("Enter");
  await page.locator(".composer input").waitFor();
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.locator(".composer input").fill(text);
  await page.locator(".composer input").press("Enter");
  await pause(150);
}

/** An `nc` user: plain lines over TCP. */
const nc = net.connect(server.address.port, "127.0.0.1");
const line = async (text: string) => {
  nc.write(`${text}\n`);
  await pause(150);
};

// Bruno and the nc user talk first: Ana arrives to that history, greyed, above a "new" line.
const bruno = await user("Bruno", "pt-BR");
await line("Notebook_Mãe");
await line("/topic Redes · trabalho 1: um chat com sockets");
await say(bruno, "oi pessoal! alguém já terminou o exercício 3?");
await line("quase! falta só o servidor aceitar vários clientes");
const ana = await user("Ana", "en-US");
await say(ana, "I used one session per connection — no threads needed in Node");
// A second room: Bruno writes there while Ana reads the lobby (its unread count shows).
await say(bruno, "/join #exercicio-3");
await ana.locator(".join-room input").fill("#exercicio-3");
await ana.locator(".join-room input").press("Enter");
await ana.locator(".room-head .room-name", { hasText: "#exercicio-3" }).waitFor();
await ana.locator(".rooms .room-button", { hasText: "#lobby" }).click();
await say(bruno, "@Ana can you share the link to the protocol doc?");
await say(ana, "@Bruno sure: docs/protocol.md, section 5");
await line("/me waves from the terminal");
await say(bruno, "subi minha versão, deem uma olhada");
await say(bruno, "o teste de reconexão passa 🎉");
await say(ana, "see you all in class tomorrow!");
await ana.locator(".composer input").fill("@Notebook_Mãe ");
await pause(300);
await ana.screenshot({ path: out });
process.stdout.write(`screenshot saved to ${path.relative(process.cwd(), out)}\n`);

nc.destroy();
await browser.close();
await server.close();
await rm(webRoot, { recursive: true, force: true });
