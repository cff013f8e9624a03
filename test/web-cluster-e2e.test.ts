/**
 * Issue 12 in the browser: a page told of a cluster's other nodes (`?servers=`) moves to the
 * next one when its node goes away, keeps its name and misses nothing. Debian's Chromium
 * (playwright-core) against two real nodes on one real redis-server.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { buildWeb } from "../scripts/build-web.ts";
import { connectCluster } from "../src/server/cluster.ts";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { CHROMIUM, launchChromium } from "./chromium.ts";
import { TextClient } from "./helpers.ts";
import { freePort, haveRedis, TestRedis } from "./redis-helpers.ts";
import { startWebTestServer, type WebTestServer } from "./web-helpers.ts";

const UI_MS = Number(process.env.PAPO_E2E_MS ?? 5000) * 3;
const inCI = process.env.CI === "true";
const skip =
  (!existsSync(CHROMIUM) && !inCI && "Chromium is not installed") ||
  (!haveRedis() && !inCI && "redis-server is not installed") ||
  false;

describe("the browser on two nodes (?servers=)", { skip }, () => {
  let redis: TestRedis;
  let browser: Browser;
  let webRoot: string;
  let a: WebTestServer | undefined;
  let b: WebTestServer;

  const node = async (httpPort: number, allowOrigins: string[]) =>
    startWebTestServer({
      webRoot,
      httpPort,
      allowOrigins,
      cluster: await connectCluster(redis.url, DEFAULT_LIMITS, () => {}),
      limits: { historyOnJoin: 50 },
    });

  before(async () => {
    redis = await TestRedis.start();
    webRoot = await mkdtemp(path.join(os.tmpdir(), "papo-web-cluster-"));
    [browser] = await Promise.all([launchChromium(), buildWeb(webRoot)]);
    // Each node lets the other's pages open its WebSocket, and so its page may connect to the
    // other: --allow-origin for the others (docs/operations.md, "Behind a load balancer").
    const [pa, pb] = [await freePort(), await freePort()];
    a = await node(pa, [`http://127.0.0.1:${pb}`]);
    b = await node(pb, [`http://127.0.0.1:${pa}`]);
  });
  after(async () => {
    await browser?.close();
    await a?.close();
    await b?.close();
    await redis?.close();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
  });

  const seen = (page: Page, text: string) =>
    page.locator(".pane .item", { hasText: text }).first().waitFor({ timeout: UI_MS });

  it("a node's page may connect to the nodes it trusts (--allow-origin), and only to those", async () => {
    const other = (a as WebTestServer).origin;
    const res = await fetch(`${b.origin}/`);
    const csp = res.headers.get("content-security-policy") ?? "";
    const connect = /connect-src ([^;]+)/.exec(csp)?.[1]?.split(" ") ?? [];
    const host = new URL(other).host;
    assert.deepEqual(connect, ["'self'", `ws://${host}`, `wss://${host}`]);
  });

  it("the page's node shuts down: it reconnects to the next node, same name, nothing missed", async () => {
    const first = a as WebTestServer;
    const context = await browser.newContext({ locale: "en-US" });
    try {
      context.setDefaultTimeout(UI_MS);
      const page = await context.newPage();
      page.on("pageerror", (err) => process.stderr.write(`page error: ${err.message}\n`));
      await page.goto(`${first.origin}/?servers=127.0.0.1:${b.httpPort}`);
      await page.locator("#name").fill("nav");
      await page.locator("#name").press("Enter");
      await page.locator(".composer input").waitFor();
      const onB = await TextClient.join(b.port, "onb");
      await onB.waitFor("nav");
      onB.line("antes da queda");
      await seen(page, "antes da queda");
      await first.close();
      a = undefined;
      onB.line("durante a queda");
      // The page moves to B (its `?servers=`), takes "nav" back and shows what it missed.
      await seen(page, "durante a queda");
      const input = page.locator(".composer input");
      await input.fill("estou no outro nó");
      await input.press("Enter");
      await onB.waitFor("nav: estou no outro nó");
      assert.equal(onB.lines.filter((l) => l.includes("nav left")).length, 0, onB.lines.join("\n"));
      assert.equal(await page.locator(".pane .item", { hasText: "durante a queda" }).count(), 1);
      onB.close();
    } finally {
      await context.close();
    }
  });
});
