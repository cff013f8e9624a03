/**
 * Issue 13: the browser's message field works like a chat's. Pure parts, tested under node:
 * - Tab completes the word before the cursor — names (the room's members and everyone online),
 *   rooms (after `/join `, `/part `, or a word starting with `#`) and commands (a `/word` at the
 *   start) — with the terminal client's rules (../complete.ts); Tab again cycles through the
 *   candidates, Shift+Tab backwards.
 * - Up and Down recall what was sent; the line being typed is kept as the newest entry, so going
 *   up and coming back down finds it again.
 */
import { complete } from "../complete.ts";

/** The field's text and where the cursor is. */
export interface Field {
  value: string;
  cursor: number;
}

/** What completion may offer. */
export interface CompletionSources {
  /** Names, the current room's members first then everyone online (duplicates are fine). */
  users: readonly string[];
  self?: string | null;
  /** Rooms the page knows (its own, and the last `/rooms` answer's). */
  rooms: readonly string[];
}

/** A completion in progress: what Tab replaced, so the next Tab puts the next candidate there. */
export interface Cycle {
  /** The field's text before the completed word, and after the cursor. */
  head: string;
  tail: string;
  candidates: string[];
  index: number;
  /** The field as this completion left it: any other change ends the cycle. */
  result: Field;
}

/**
 * Tab (or Shift+Tab, `step` -1) in the field: the next completion, or null when there is nothing
 * to complete (the key then does what it usually does). `cycle` is what the previous Tab returned.
 */
export function tabComplete(
  field: Field,
  sources: CompletionSources,
  cycle: Cycle | null,
  step: 1 | -1 = 1,
): { field: Field; cycle: Cycle } | null {
  if (cycle && cycle.result.value === field.value && cycle.result.cursor === field.cursor) {
    const n = cycle.candidates.length;
    return apply({ ...cycle, index: (cycle.index + step + n) % n });
  }
  const before = field.value.slice(0, field.cursor);
  const tail = field.value.slice(field.cursor);
  // An empty field: Tab moves the focus on, as everywhere on a page (the terminal's `name: ` on an
  // empty line would keep keyboard users in the field).
  if (field.value.trim() === "") return null;
  const users = [...new Set(sources.users)];
  const [found, word] = complete(before, users, sources.self ?? undefined, undefined, [
    ...new Set(sources.rooms),
  ]);
  // complete() adds the space after a lone candidate (here the suffix is added on insertion); an
  // addressing candidate (`bruno: ` after `ana: `) keeps its own.
  const candidates = found.map((c) => (c.endsWith(": ") ? c : c.trimEnd()));
  if (candidates.length === 0) return null;
  const head = before.slice(0, before.length - word.length);
  return apply({
    head,
    tail,
    candidates,
    index: step === 1 ? 0 : candidates.length - 1,
    result: field,
  });
}

function apply(c: Cycle): { field: Field; cycle: Cycle } {
  const word = c.candidates[c.index] ?? "";
  // A name at the start of the line addresses someone (`ana: `); anything else is followed by a
  // space, unless the text after the cursor starts with one already.
  const isName = !word.startsWith("/") && !word.startsWith("#") && !word.startsWith("@");
  const suffix = word.endsWith(": ")
    ? ""
    : c.head.trim() === "" && isName
      ? ": "
      : /^\s/.test(c.tail)
        ? ""
        : " ";
  const value = `${c.head}${word}${suffix}${c.tail}`;
  const cursor = c.head.length + word.length + suffix.length;
  const field = { value, cursor };
  return { field, cycle: { ...c, result: field } };
}

/** Lines sent, for Up/Down (newest last), with the line being typed kept aside while browsing. */
export class InputHistory {
  readonly #max: number;
  readonly #entries: string[] = [];
  /** Where Up/Down is: `#entries.length` is the draft. */
  #at = 0;
  #draft = "";

  constructor(max = 100) {
    this.#max = max;
  }

  /** A line was sent: it becomes the newest entry, and browsing starts again from the bottom. */
  push(line: string): void {
    if (line.trim() !== "" && this.#entries.at(-1) !== line) {
      this.#entries.push(line);
      if (this.#entries.length > this.#max) this.#entries.shift();
    }
    this.#at = this.#entries.length;
    this.#draft = "";
  }

  /** Up: the previous line (the field's current text kept when leaving the draft), or null at the oldest. */
  up(current: string): string | null {
    if (this.#at === 0) return null;
    if (this.#at === this.#entries.length) this.#draft = current;
    this.#at--;
    return this.#entries[this.#at] ?? null;
  }

  /** Down: the next line, the draft after the newest, or null when already at the draft. */
  down(): string | null {
    if (this.#at >= this.#entries.length) return null;
    this.#at++;
    return this.#at === this.#entries.length ? this.#draft : (this.#entries[this.#at] ?? null);
  }
}
