/**
 * Builds papo's optional native helper (native/direct_write.c: one send(2) on a socket, issue 14)
 * with node-gyp, the copy that comes with npm. Run by `npm ci` / `npm install` (papo's `install`
 * script) and by hand: `node native/build.mjs` (or `npm run build:native`).
 *
 * It never fails the install: where there is no compiler, no Node headers or no node-gyp, it says
 * so in one line and papo writes through Node's sockets as before (src/transports/direct-write.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const native = dirname(fileURLToPath(import.meta.url));

function nodeGyp() {
  // npm sets this for the scripts it runs; by hand, look for the copy next to npm.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
    join(dirname(process.execPath), "node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
  ];
  return candidates.find((p) => p && existsSync(p));
}

const gyp = nodeGyp();
if (!gyp) {
  console.log(
    "papo: node-gyp not found; the native write helper is not built (papo writes through Node's sockets)",
  );
} else {
  // The running Node's own headers when it has them (no download), unless npm was told otherwise.
  const prefix = join(dirname(process.execPath), "..");
  const args = [gyp, "rebuild"];
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include/node/node_api.h")))
    args.push(`--nodedir=${prefix}`);
  // A machine without Node's headers downloads them: never hold the install for long.
  const r = spawnSync(process.execPath, args, { cwd: native, encoding: "utf8", timeout: 180_000 });
  if (r.status === 0) {
    console.log("papo: native write helper built (native/build/Release/papo_direct_write.node)");
  } else {
    const why = `${r.stderr ?? ""}${r.stdout ?? ""}`
      .split("\n")
      .find((l) => /error/i.test(l))
      ?.trim();
    console.log(
      `papo: the native write helper did not build${why ? ` (${why})` : ""}; papo writes through Node's sockets`,
    );
  }
}
