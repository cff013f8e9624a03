/**
 * Terminal-safe text (ROBUSTNESS B11-B13): what may reach a peer's terminal, a log line or the
 * operator console. Removes whole escape sequences (CSI, OSC, other ESC sequences), C0 controls
 * (tab becomes a space), DEL, C1 controls, and bidi overrides/isolates (CVE-2021-42574).
 */

// ESC [ ... final byte | ESC ] ... (BEL | ESC \) | ESC + one char; 8-bit CSI (0x9B) and OSC (0x9D) too.
const ESCAPE_SEQUENCE =
  /\u001b\[[0-?]*[ -/]*[@-~]?|\u009b[0-?]*[ -/]*[@-~]?|[\u001b\u009d]\][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\s\S]?/g;
const UNSAFE_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Returns `text` with every terminal-unsafe character or sequence removed. */
export function sanitizeText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, "").replace(/\t/g, " ").replace(UNSAFE_CHARS, "");
}

/** True when `text` contains nothing that `sanitizeText` would remove. */
export function isSafeText(text: string): boolean {
  return sanitizeText(text) === text;
}
