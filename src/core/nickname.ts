/**
 * Nickname rules (S5, seed 004 RF1-RF2; ROBUSTNESS C14-C17) and the canonical form used to compare
 * names: two names are the same when their canonical forms are equal.
 */

export type NameProblem =
  | "empty"
  | "too_long"
  | "space"
  | "at_sign"
  | "control"
  | "invisible"
  | "reserved"
  | "mixed_script"
  | "brace"
  | "slash";

export type NameCheck = { ok: true; name: string; canonical: string } | { ok: false; reason: NameProblem };

export interface NameRules {
  /** Longest name, in Unicode code points. */
  maxNameLength: number;
}

export const RESERVED_NAMES: readonly string[] = [
  "server",
  "system",
  "admin",
  "administrator",
  "root",
  "operator",
  "papo",
  "console",
  "everyone",
  "all",
  "servidor",
  "sistema",
];

const INVISIBLE =
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/u;
const CONTROL = /[\p{Cc}]/u;
const SPACE = /[\p{White_Space}\p{Zs}]/u;

/** The form two names are compared by: NFKC, then case-folded. */
export function canonicalName(name: string): string {
  return name.normalize("NFKC").toLowerCase().normalize("NFKC");
}

/** Checks a proposed name; on success returns it (NFC-normalised) with its canonical form. */
export function checkName(raw: string, rules: NameRules): NameCheck {
  const name = raw.normalize("NFC");
  if (name.length === 0) return { ok: false, reason: "empty" };
  if (CONTROL.test(name)) return { ok: false, reason: "control" };
  if (SPACE.test(name)) return { ok: false, reason: "space" };
  if (INVISIBLE.test(name)) return { ok: false, reason: "invisible" };
  if (name.includes("@")) return { ok: false, reason: "at_sign" };
  if (name.startsWith("{")) return { ok: false, reason: "brace" };
  if (name.startsWith("/")) return { ok: false, reason: "slash" };
  if ([...name].length > rules.maxNameLength) return { ok: false, reason: "too_long" };
  const canonical = canonicalName(name);
  if (RESERVED_NAMES.some((r) => canonicalName(r) === canonical)) return { ok: false, reason: "reserved" };
  return { ok: true, name, canonical };
}
