/**
 * Terminal-safe text (ROBUSTNESS B11-B13, protocol §6): what may reach a peer's terminal, a log
 * line or the operator console. Pure, no I/O; it runs on every relayed message, so plain text
 * costs one regex test.
 *
 * Removed:
 * - whole escape sequences, 7-bit (ESC ...) and 8-bit (C1 introducers as code points U+0080-U+009F,
 *   which some terminals still honour in UTF-8 mode): CSI, OSC, DCS, SOS, PM, APC and the short
 *   ESC forms (charset selection, RIS, DECSC, ...). A string sequence (OSC, DCS, ...) with no
 *   terminator is removed to the end of the text, as the terminal would have swallowed it;
 * - the other C0 controls (BEL, backspace, CR, LF, ...), DEL and C1 controls;
 * - every Unicode Bidi_Control character: the overrides and isolates of "Trojan Source"
 *   (CVE-2021-42574, U+202A-U+202E, U+2066-U+2069) and the marks U+200E, U+200F and U+061C. The
 *   marks cannot reorder strong text, but "no bidi controls" is the rule the property tests state,
 *   and losing them costs an RTL writer little.
 *
 * Replaced: tab and the Unicode line/paragraph separators (U+2028, U+2029, which some viewers and
 * log tools treat as a line end, so they could forge a line) by a space; a lone surrogate by
 * U+FFFD (cannot come from decoded UTF-8, but a JSON string escape could carry one).
 */

// Printable ASCII needs nothing: the cheapest regex V8 runs (about 1 ns per character).
const PLAIN = /^[\x20-\x7e]*$/;
// Anything the scanner below might change. Without the `u` flag this stays a simple class scan
// (the `u` form is several times slower on non-ASCII text); it also matches a paired surrogate,
// so text with emoji takes the scanner, which leaves pairs alone.
const SUSPECT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]/;
// Exactly what the scanner changes: with the `u` flag a surrogate range matches only a lone one.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]/u;

const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18; // CAN and SUB abort a sequence in ECMA-48 / DEC parsers.
const SUB = 0x1a;
const C1_ST = 0x9c;

/** Returns `text` with every terminal-unsafe character or sequence removed (see the module doc). */
export function sanitizeText(text: string): string {
  // Fast path: plain or accented text is one or two native regex scans, no copy.
  if (PLAIN.test(text) || !SUSPECT.test(text)) return text;
  const n = text.length;
  let out = "";
  let runStart = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isUnsafeUnit(c, text, i)) {
      i++;
      continue;
    }
    if (runStart < i) out += text.slice(runStart, i);
    if (c === ESC) i = skipEscape(text, i + 1);
    else if (c === 0x9b) i = skipCsi(text, i + 1);
    // 8-bit DCS, SOS, OSC, PM, APC: string sequences ended by ST (or BEL, as xterm allows).
    else if (c === 0x90 || c === 0x98 || c === 0x9d || c === 0x9e || c === 0x9f) i = skipString(text, i + 1);
    else {
      if (c === 0x09 || c === 0x2028 || c === 0x2029) out += " ";
      else if (c >= 0xd800 && c <= 0xdfff) out += "\ufffd";
      i++;
    }
    runStart = i;
  }
  return runStart === 0 ? text : runStart < n ? out + text.slice(runStart) : out;
}

/** True when `text` contains nothing that `sanitizeText` would remove or replace. */
export function isSafeText(text: string): boolean {
  return PLAIN.test(text) || !UNSAFE.test(text);
}

/** The code unit at `i` is one `UNSAFE` matches (a surrogate only when it is unpaired). */
function isUnsafeUnit(c: number, text: string, i: number): boolean {
  if (c < 0x20) return true;
  if (c < 0x7f) return false;
  if (c <= 0x9f) return true;
  if (c < 0x061c) return false;
  if (c === 0x061c || c === 0x200e || c === 0x200f) return true;
  if ((c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return true;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = text.charCodeAt(i + 1); // NaN past the end
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
    return !(prev >= 0xd800 && prev <= 0xdbff);
  }
  return false;
}

/** Skips what follows an ESC at `j`; returns the index after the sequence. */
function skipEscape(text: string, j: number): number {
  if (j >= text.length) return j;
  const c = text.charCodeAt(j);
  if (c === 0x5b) return skipCsi(text, j + 1); // ESC [
  // ESC ] OSC, ESC P DCS, ESC X SOS, ESC ^ PM, ESC _ APC.
  if (c === 0x5d || c === 0x50 || c === 0x58 || c === 0x5e || c === 0x5f) return skipString(text, j + 1);
  if (c >= 0x20 && c <= 0x2f) {
    // nF escape: intermediates, then one final byte (ESC ( B, ESC # 8, ...).
    let k = j;
    while (k < text.length && isIntermediate(text.charCodeAt(k))) k++;
    if (k < text.length && isEscFinal(text.charCodeAt(k))) k++;
    return k;
  }
  if (isEscFinal(c)) return j + 1; // ESC c (RIS), ESC 7, ESC \ (a stray ST), ...
  return j; // ESC then a control or non-ASCII: drop the ESC alone, handle the next unit normally.
}

/** Skips a CSI body (parameters, intermediates, one final byte) from `j`. */
function skipCsi(text: string, j: number): number {
  const n = text.length;
  while (j < n && isParameter(text.charCodeAt(j))) j++;
  while (j < n && isIntermediate(text.charCodeAt(j))) j++;
  if (j < n) {
    const c = text.charCodeAt(j);
    if ((c >= 0x40 && c <= 0x7e) || c === CAN || c === SUB) j++;
  }
  // Anything else ends the sequence early and is handled as ordinary text; no introducer survives,
  // so the terminal can never see the rest as part of a sequence.
  return j;
}

/** Skips a control-string body (OSC, DCS, ...) from `j`, through its terminator if present. */
function skipString(text: string, j: number): number {
  const n = text.length;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === BEL || c === C1_ST || c === CAN || c === SUB) return j + 1;
    if (c === ESC) return text.charCodeAt(j + 1) === 0x5c ? j + 2 : j; // ST is ESC \; any other ESC starts anew
    j++;
  }
  return n;
}

function isParameter(c: number): boolean {
  return c >= 0x30 && c <= 0x3f;
}

function isIntermediate(c: number): boolean {
  return c >= 0x20 && c <= 0x2f;
}

function isEscFinal(c: number): boolean {
  return c >= 0x30 && c <= 0x7e;
}
