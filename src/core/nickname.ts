/**
 * Nickname rules (S5, seed 004 RF1-RF2; ROBUSTNESS C14-C17; protocol §4) and the canonical key
 * two names are compared by: two live names are the same name when their keys are equal.
 *
 * The key is the Unicode TR39 (UTS #39) confusable skeleton of the case-folded NFKC form, so
 * `Ana`/`ANA`, fullwidth `ａｎａ` and `аna` (Cyrillic а) are one name. The skeleton table is
 * Unicode's own `confusables.txt` (13.0.0), as shipped by the `unhomoglyph` package.
 *
 * Decisions:
 * - Accents are not confusables: TR39 maps a base letter and its combining marks separately and
 *   never drops a mark, so `Notebook_Mãe` and `Notebook_Mae` are two names (the tilde is plainly
 *   visible), while precomposed and decomposed `ã` are one.
 * - Folding happens before the skeleton (so `ADMIN` and `admin` get one skeleton even though the
 *   table maps `I` but not `i`) and again after it (the table's prototypes are partly upper case:
 *   `0` → `O`, Lisu `ꓮ` → `A`; whatever looks like `A` must also match `a`).
 * - The skeleton is deliberately coarse, as TR39 intends: `m` ~ `rn`, `0` ~ `o`, `1` ~ `l`, so
 *   `b0b` cannot pose as `bob`. The key is an opaque comparison value, never shown to anyone.
 */

import { createRequire } from "node:module";
import type { NameProblem } from "../protocol/events.ts";
import { EXTENSION_RANGES, EXTENSION_SETS, SCRIPT_CODES, SCRIPT_RANGES } from "./data/scripts.ts";

export type { NameProblem };

/** The name to display (NFC) and its canonical key, or why the name is refused. */
export type NameCheck = { ok: true; name: string; canonical: string } | { ok: false; reason: NameProblem };

export interface NameRules {
  /** Longest name, in Unicode code points. */
  maxNameLength: number;
  /** Room names may be words that are reserved for people (`#admin` is no impostor). */
  allowReserved?: boolean;
}

/** Names nobody may take, compared by canonical key (so `Аdmin` with Cyrillic А is reserved too). */
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

// C0, DEL, C1, and a lone surrogate (only a JSON escape could carry one).
const CONTROL = /[\p{Cc}\p{Cs}]/u;
// Any whitespace: the seeds forbid spaces (S5), and NBSP, ideographic space etc. look the same.
const SPACE = /\p{White_Space}/u;
// Zero-width and format characters (ZWJ, ZWSP, soft hyphen, bidi controls and marks, tags, BOM),
// other default-ignorables (variation selectors, Hangul fillers), and code points with no defined
// look (unassigned, private use), plus the braille blank and the musical null notehead, which
// render as nothing in most fonts. None of them can be told apart on screen.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cn}\p{Co}\u2800\u{1d159}]/u;
// An emoji may carry its presentation selector (❤️ = U+2764 U+FE0F); that is not hiding anything.
const EMOJI_PRESENTATION = /(\p{Emoji})[\ufe0e\ufe0f]/gu;
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
// Printable ASCII is all Latin or Common: such a name is single-script without looking further.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Unicode's confusables.txt: one code point to its prototype string. Loaded with the module (a
 * 100 KB JSON parse, a few ms) so a missing package fails at startup, not at someone's first name.
 * Read through `require` because JSON modules are still experimental (and warn) in Node 20's ESM;
 * kept as the parsed object, since copying 6,000 entries into a Map costs more than the parse.
 */
const CONFUSABLES = createRequire(import.meta.url)("unhomoglyph/data.json") as Readonly<
  Record<string, string>
>;

/** The canonical key two names are compared by (see the module doc); idempotent. */
export function canonicalName(name: string): string {
  // One round normally reaches the fixed point; a second confirms it. The bound is defensive.
  let key = name;
  for (let round = 0; round < 4; round++) {
    const next = fold(skeleton(fold(key.normalize("NFKC")).normalize("NFKC"))).normalize("NFC");
    if (next === key) break;
    key = next;
  }
  return key;
}

/**
 * Checks a proposed name. On success returns it NFC-normalised (to display) with its canonical key;
 * otherwise the first problem found, in this order: empty, control, space, invisible, at_sign,
 * brace, slash, too_long, reserved, mixed_script.
 */
export function checkName(raw: string, rules: NameRules): NameCheck {
  const name = raw.normalize("NFC");
  if (name.length === 0) return { ok: false, reason: "empty" };
  if (CONTROL.test(name)) return { ok: false, reason: "control" };
  if (SPACE.test(name)) return { ok: false, reason: "space" };
  if (INVISIBLE.test(name.replace(EMOJI_PRESENTATION, "$1"))) return { ok: false, reason: "invisible" };
  // S5: `@` would clash with `@name text`; its fullwidth and small forms (NFKC → `@`) look the same.
  if (name.normalize("NFKC").includes("@")) return { ok: false, reason: "at_sign" };
  // A first line starting with `{` switches the connection to json mode (protocol §1).
  if (name.startsWith("{")) return { ok: false, reason: "brace" };
  // A name typed at the prompt starting with `/` reads as a command.
  if (name.startsWith("/")) return { ok: false, reason: "slash" };
  if (codePointLength(name) > rules.maxNameLength) return { ok: false, reason: "too_long" };
  const canonical = canonicalName(name);
  // Reserved before mixed script, so `Аdmin` (Cyrillic А) is told the more telling reason.
  if (!rules.allowReserved && reservedKeys.has(canonical)) return { ok: false, reason: "reserved" };
  if (!PRINTABLE_ASCII.test(name) && !isHighlyRestrictive(name)) return { ok: false, reason: "mixed_script" };
  return { ok: true, name, canonical };
}

/**
 * An approximation of Unicode full case folding (JS has none): upper then lower case maps `ß` to
 * `ss`, final `ς` to `σ`, `ﬁ` to `fi`, as toCasefold does; it also merges Turkish `ı` with `i`,
 * which the skeleton merges anyway.
 */
function fold(s: string): string {
  return s.toUpperCase().toLowerCase();
}

/** TR39 §4 skeleton(X): NFD, drop default-ignorables, map each code point to its prototype, NFD. */
function skeleton(s: string): string {
  let out = "";
  for (const ch of s.normalize("NFD").replace(DEFAULT_IGNORABLE, "")) {
    out += Object.hasOwn(CONFUSABLES, ch) ? CONFUSABLES[ch] : ch;
  }
  return out.normalize("NFD");
}

const reservedKeys: ReadonlySet<string> = new Set(RESERVED_NAMES.map(canonicalName));

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// TR39 §5.1 augmented script sets: Han is written with kana (Japanese), Hangul (Korean) and
// Bopomofo; Jpan, Kore and Hanb stand for those writing systems.
const AUGMENTED: Readonly<Record<string, readonly string[]>> = {
  Hani: ["Hanb", "Jpan", "Kore"],
  Hira: ["Jpan"],
  Kana: ["Jpan"],
  Hang: ["Kore"],
  Bopo: ["Hanb"],
};

// TR39 §5.2 "Highly Restrictive": besides a single script, Latin may join these writing systems.
const LATIN_COMBINATIONS: readonly (readonly string[])[] = [
  ["Latn", "Jpan"],
  ["Latn", "Hanb"],
  ["Latn", "Kore"],
];

/** A decoded range table: code point ranges [starts[i], ends[i]] with value index values[i]. */
interface RangeTable {
  starts: Uint32Array;
  ends: Uint32Array;
  values: Uint16Array;
}

/** Decodes the generated "gap.length.index" base-36 encoding (see data/generate-scripts.mjs). */
function decodeRanges(encoded: string): RangeTable {
  const items = encoded.split(" ");
  const table = {
    starts: new Uint32Array(items.length),
    ends: new Uint32Array(items.length),
    values: new Uint16Array(items.length),
  };
  let prevEnd = -1;
  items.forEach((item, i) => {
    const [gap = "", length = "", value = ""] = item.split(".");
    const start = prevEnd + 1 + Number.parseInt(gap, 36);
    prevEnd = start + Number.parseInt(length, 36);
    table.starts[i] = start;
    table.ends[i] = prevEnd;
    table.values[i] = Number.parseInt(value, 36);
  });
  return table;
}

/** The value index of the range holding `cp`, or -1. */
function lookup(table: RangeTable, cp: number): number {
  let lo = 0;
  let hi = table.starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cp < (table.starts[mid] ?? 0)) hi = mid - 1;
    else if (cp > (table.ends[mid] ?? 0)) lo = mid + 1;
    else return table.values[mid] ?? -1;
  }
  return -1;
}

const augment = (codes: readonly string[]): ReadonlySet<string> =>
  new Set(codes.flatMap((code) => [code, ...(AUGMENTED[code] ?? [])]));

// The generated Script / Script_Extensions tables (data/scripts.ts), decoded with the module.
const SCRIPTS = decodeRanges(SCRIPT_RANGES);
const EXTENSIONS = decodeRanges(EXTENSION_RANGES);
// Augmented script set by Script value index. Common and Inherited characters (digits, `_`, `-`,
// `.`, punctuation, emoji, combining marks) combine with any script: TR39 §5.1 counts their set
// as "all scripts", written null here.
const SCRIPT_SETS = SCRIPT_CODES.split(" ").map((code) =>
  code === "Zyyy" || code === "Zinh" ? null : augment([code]),
);
// Augmented script set by Script_Extensions value index.
const EXTENSION_SETS_DECODED = EXTENSION_SETS.split("|").map((codes) => augment(codes.split(" ")));
// A code point in no range is Unknown: assigned after the tables' Unicode version (anything
// unassigned is refused before this) and treated as a script of its own.
const UNKNOWN_SCRIPT: ReadonlySet<string> = new Set(["Zzzz"]);

/** The augmented Script_Extensions of one code point (TR39 §5.1), or null for "any script". */
function scriptSet(cp: number): ReadonlySet<string> | null {
  const ext = lookup(EXTENSIONS, cp);
  if (ext >= 0) return EXTENSION_SETS_DECODED[ext] ?? UNKNOWN_SCRIPT;
  const sc = lookup(SCRIPTS, cp);
  return sc >= 0 ? (SCRIPT_SETS[sc] ?? null) : UNKNOWN_SCRIPT;
}

/**
 * TR39 §5.2 restriction level "Highly Restrictive": the characters share a script (the resolved
 * script set is not empty), or each of them belongs to Latin or to one of the CJK writing systems
 * Latin is commonly mixed with. So `pаypal` (Cyrillic а) is refused, `Taro太郎` is not. Unlike
 * TR39's levels, characters outside the identifier profile (emoji, symbols) are not refused here.
 */
function isHighlyRestrictive(name: string): boolean {
  const sets: ReadonlySet<string>[] = [];
  for (const ch of name) {
    const set = scriptSet(ch.codePointAt(0) ?? 0);
    if (set && !sets.includes(set)) sets.push(set);
  }
  const [first, ...rest] = sets;
  if (!first) return true;
  for (const code of first) if (rest.every((s) => s.has(code))) return true;
  return LATIN_COMBINATIONS.some((allowed) => sets.every((s) => allowed.some((code) => s.has(code))));
}
