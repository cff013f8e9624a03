/**
 * Issue 14: `papo serve` lowers V8's interrupt budget (src/server/tiering.ts) so that the
 * per-message path is optimized within seconds at light load. Checked in a child process with
 * V8's own introspection (`--allow-natives-syntax`): a function is optimized after fewer calls.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tuneTiering } from "../src/server/tiering.ts";

const TIERING = fileURLToPath(new URL("../src/server/tiering.ts", import.meta.url));

/** Calls a small function until V8 has optimized it; how many calls that took. */
function callsToOptimize(tune: boolean): number {
  const script = `
    const { tuneTiering } = await import(${JSON.stringify(TIERING)});
    if (${tune}) tuneTiering();
    function handle(o) { let s = 0; for (let i = 0; i < 20; i++) s += o.x * i + (o.y | 0); return s; }
    let n = 0;
    for (; n < 5000; n++) {
      handle({ x: n, y: 1 });
      if (n % 5 === 0) { %FinalizeOptimization(); if (%GetOptimizationStatus(handle) & 16) break; }
    }
    console.log(n);
  `;
  const r = spawnSync(
    process.execPath,
    ["--allow-natives-syntax", "--import", "tsx", "--input-type=module", "-e", script],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

describe("V8 tiering for the per-message path (issue 14)", () => {
  const major = Number.parseInt(process.versions.v8, 10);

  it("sets the interrupt budget on V8 11 (Node 20), nothing on V8 12 and later", () => {
    assert.deepEqual(tuneTiering("12.4.254.21-node.33"), []);
    assert.deepEqual(tuneTiering("13.6.233.10-node.28"), []);
    if (major <= 11) assert.deepEqual(tuneTiering(), ["--interrupt-budget=16384"]);
  });

  it("a function is optimized after fewer calls once papo's flags are set", {
    skip: major <= 11 ? false : `V8 ${process.versions.v8} tiers by call counts: papo sets nothing`,
  }, () => {
    const before = callsToOptimize(false);
    const after = callsToOptimize(true);
    assert.ok(before < 5000 && after < 5000, `optimized at all (${before}, ${after})`);
    assert.ok(after * 2 <= before, `optimized after ${after} calls with the flags, ${before} without`);
  });
});
