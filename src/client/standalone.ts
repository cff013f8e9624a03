#!/usr/bin/env node
/**
 * The entry of `papo.mjs` (issue 13 item 1): the terminal client bundled into one file with no
 * dependencies (scripts/build-web.ts), which the web listener serves so that people without papo
 * installed can run `node papo.mjs connect HOST[:PORT]` (a classroom LAN may have no internet).
 * Only `connect` is here: the server needs better-sqlite3, ws and the rest of the package.
 */
import { pickLang } from "../i18n/index.ts";
// A constant, not server code: the one version string, kept equal to package.json's.
import { VERSION } from "../server/version.ts";
import { runConnect } from "./main.ts";
import { clientTexts } from "./texts.ts";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const texts = clientTexts(pickLang());
  switch (command) {
    case "connect":
      return runConnect(rest);
    case "--version":
    case "-v":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(texts.standaloneUsage({ version: VERSION }));
      return 0;
    default:
      process.stderr.write(`${texts.standaloneOnlyClient({ command })}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`papo: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
