/** How Chromium runs on these machines (closed network, root, no GPU): for the e2e tests and scripts/screenshot.ts. */
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's chromium, or PAPO_CHROMIUM. */
export const CHROMIUM = process.env.PAPO_CHROMIUM ?? "/usr/bin/chromium";

/** Playwright adds --headless; without the networking flags Chromium's background requests are refused in bulk. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// The page's own controls, as the browser tests drive them. Waits use the context's default
// timeout (each test file sets it).

/** Types `name` on the name screen and waits for the chat's composer. */
export async function pageJoin(page: Page, name: string): Promise<void> {
  await page.locator("#name").fill(name);
  await page.locator("#name").press("Enter");
  await page.locator(".composer input").waitFor();
}

/** Types `text` in the composer and sends it. */
export async function pageSend(page: Page, text: string): Promise<void> {
  const input = page.locator(".composer input");
  await input.fill(text);
  await input.press("Enter");
}

/** Waits for a pane entry containing `text` (optionally of a kind: msg, private, join, ...). */
export async function pageSeen(page: Page, text: string, kind = "item"): Promise<void> {
  await page.locator(`.pane .${kind}`, { hasText: text }).first().waitFor();
}
