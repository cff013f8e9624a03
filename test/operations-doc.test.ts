/**
 * docs/operations.md lists every limit with its default (DESIGN: limits are documented options).
 * This keeps the table and src/server/limits.ts in step: a limit added, renamed or re-defaulted in
 * one place and not the other fails here.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";

const doc = readFileSync(new URL("../docs/operations.md", import.meta.url), "utf8");

it("docs/operations.md has one row per limit, with the default from limits.ts", () => {
  const rows = [...doc.matchAll(/^\| `(\w+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])] as const);
  assert.deepEqual(
    Object.fromEntries(rows),
    { ...DEFAULT_LIMITS },
    "the limits table in docs/operations.md and DEFAULT_LIMITS differ",
  );
  assert.equal(rows.length, Object.keys(DEFAULT_LIMITS).length, "a limit is listed twice");
});
