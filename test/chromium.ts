/** How Chromium runs on these machines (closed network, root, no GPU): for the e2e tests and scripts/screenshot.ts. */
import { type Browser, chromium } from "playwright-core";

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
