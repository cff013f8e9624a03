/**
 * Every limit papo enforces, with its unit and default, in one place (DESIGN: limits are options).
 * `papo serve --limit NAME=VALUE` overrides any of them; the README's operations section lists them.
 */
export interface Limits {
  /** Longest line (or legacy payload) in bytes, without its line end. Over it: `line_too_long`, line dropped, connection kept. */
  maxLineBytes: number;
  /** Most bytes accepted without a line end. Over it: `bye line_overflow`, connection closed. */
  maxPendingBytes: number;
  /** Longest name, in Unicode code points. */
  maxNameLength: number;
  /** Milliseconds from connect to an accepted name (absolute: traffic does not extend it). Over it: `bye registration_timeout`. */
  registrationTimeoutMs: number;
  /** Bytes queued for one client (ours plus the socket's unsent bytes). Over it: `bye send_queue_exceeded`, that client alone is closed. */
  maxSendQueueBytes: number;
  /** Milliseconds to flush and close connections on shutdown before they are cut. */
  shutdownGraceMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxLineBytes: 2048,
  maxPendingBytes: 16384,
  maxNameLength: 32,
  registrationTimeoutMs: 60_000,
  // A json welcome lists everyone (~50 bytes a user), so the cap must hold a large room's list.
  maxSendQueueBytes: 1024 * 1024,
  shutdownGraceMs: 2000,
};

/** Parses `NAME=VALUE` overrides; throws an Error naming the problem. */
export function parseLimitOverrides(
  items: readonly string[],
  base: Readonly<Limits> = DEFAULT_LIMITS,
): Limits {
  const out: Limits = { ...base };
  for (const item of items) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(item.trim());
    if (!m) throw new Error(`bad --limit "${item}" (expected NAME=NUMBER)`);
    const key = m[1] as keyof Limits;
    if (!(key in out)) throw new Error(`unknown limit "${m[1]}" (known: ${Object.keys(out).join(", ")})`);
    out[key] = Number(m[2]);
  }
  return out;
}
