/**
 * Issue 14: V8's tiering, tuned for a chat server's per-message path.
 *
 * At 100 clients × 0.5 msg/s, the code that reads a line, decodes it, checks flood control and
 * hands it to the room runs 50 times a second. On Node 20 (V8 11), a function is optimized once it
 * has run 66 KB of bytecode (`--interrupt-budget`), so that path ran in baseline code for a minute
 * or more after each start, the property reads going through inline-cache stubs: a sixth of papo's
 * CPU at that load in the profile, and the reason papo cost more than ngIRCd in the first minutes
 * (docs/performance.md, "Fifth session"). A quarter of that budget gets it optimized in seconds;
 * the functions it optimizes earlier are the ones that run anyway.
 *
 * V8 12 and later (Node 22, 24) tier up by call counts and have Maglev between baseline and
 * TurboFan; there is nothing to set there.
 */
import v8 from "node:v8";

/** Bytes of bytecode a function runs before V8 considers optimizing it (V8 11's default: 67584). */
export const INTERRUPT_BUDGET = 16 * 1024;

/**
 * Sets papo's tiering flags for this process (`papo serve` calls it first) and returns them; none
 * on a V8 that has no such flag (`v8Version`: this process's, `process.versions.v8`).
 */
export function tuneTiering(v8Version: string = process.versions.v8): string[] {
  const major = Number.parseInt(v8Version, 10);
  if (!(major <= 11)) return [];
  const flags = [`--interrupt-budget=${INTERRUPT_BUDGET}`];
  for (const flag of flags) v8.setFlagsFromString(flag);
  return flags;
}
