/**
 * The terminal client's layout (issue 13): long lines wrap at word boundaries, by the terminal's
 * width, with a hanging indent, so a message reads as a block under the name:
 *
 *     12:04 ana: the first words of a long message that goes on
 *                and on, the continuation starting under its text
 *
 * Pure. Widths are terminal columns, counted as the prompt counts them (`displayWidth` in
 * src/tty/prompt.ts: East Asian wide characters and emoji take 2, combining marks and escape
 * sequences 0). Lines are cut between grapheme clusters only (a base letter keeps its accents; an
 * emoji sequence stays whole), at spaces where possible, also before and after a wide (CJK)
 * character, which may end a line anywhere; a word longer than the whole width is broken where it
 * reaches the edge. SGR escape sequences (colours) take no room and are never cut.
 */
import { displayWidth } from "../tty/prompt.ts";

/** The hanging indent is given up when it would leave the text fewer columns than this. */
export const MIN_BODY_COLUMNS = 10;

const ESCAPE = /(\x1b\[[0-9;?]*[ -/]*[@-~])/;
/** Where a line may break: ordinary and ideographic spaces (not the no-break ones), tabs. */
const BREAKING_SPACE = /^[ \t\u3000]+$/u;
const TRAILING_SPACE = /[ \t\u3000]+((?:\x1b\[[0-9;?]*[ -/]*[@-~])*)$/u;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

interface Unit {
  readonly text: string;
  readonly width: number;
}

interface Token {
  readonly space: boolean;
  readonly units: Unit[];
  width: number;
}

/** Grapheme clusters and escape sequences, in order. */
function unitsOf(text: string): { text: string; width: number; space: boolean; escape: boolean }[] {
  const out: { text: string; width: number; space: boolean; escape: boolean }[] = [];
  text.split(ESCAPE).forEach((part, i) => {
    if (part === "") return;
    // split() with a capture group puts the separators (the escapes) at the odd indices.
    if (i % 2 === 1) {
      out.push({ text: part, width: 0, space: false, escape: true });
      return;
    }
    for (const { segment } of graphemes.segment(part)) {
      out.push({
        text: segment,
        width: displayWidth(segment),
        space: BREAKING_SPACE.test(segment),
        escape: false,
      });
    }
  });
  return out;
}

/**
 * Runs of breaking spaces, and the words between them; a wide character is a word of its own
 * (a line may break before or after it). Escapes go with the run they are in.
 */
function tokensOf(text: string): Token[] {
  const tokens: Token[] = [];
  let current: Token | undefined;
  for (const u of unitsOf(text)) {
    const wide = u.width >= 2 && !u.space;
    const space = u.escape ? (current?.space ?? false) : u.space;
    if (current === undefined || current.space !== space || wide) {
      current = { space, units: [], width: 0 };
      tokens.push(current);
    }
    current.units.push({ text: u.text, width: u.width });
    current.width += u.width;
    // Whatever follows a wide character starts a new word.
    if (wide) current = undefined;
  }
  return tokens;
}

/**
 * Cuts `text` into the pieces that go on successive lines of `width` columns. The pieces joined
 * give back `text` exactly: the spaces where a line breaks stay at the end of the piece before
 * (they are not shown, see `trimEndVisible`). Each piece but its trailing spaces fits in `width`
 * columns, unless a single character is wider than the whole width.
 */
export function wrapPieces(text: string, width: number): string[] {
  const max = Math.max(1, Math.floor(width));
  const pieces: string[] = [];
  let line = "";
  /** Columns used on this line, trailing spaces included. */
  let used = 0;
  const newLine = () => {
    pieces.push(line);
    line = "";
    used = 0;
  };
  const put = (s: string, w: number) => {
    line += s;
    used += w;
  };
  for (const token of tokensOf(text)) {
    const whole = token.units.map((u) => u.text).join("");
    // Spaces never start a line and may hang past the edge: they are not shown there.
    if (token.space || used + token.width <= max) {
      put(whole, token.width);
      continue;
    }
    if (used > 0) newLine();
    if (token.width <= max) {
      put(whole, token.width);
      continue;
    }
    // A word longer than a whole line: break it where it reaches the edge.
    for (const unit of token.units) {
      for (const u of unit.width > max ? codePoints(unit.text) : [unit]) {
        if (used > 0 && used + u.width > max) newLine();
        put(u.text, u.width);
      }
    }
  }
  if (line !== "" || pieces.length === 0) pieces.push(line);
  return pieces;
}

/**
 * A cluster wider than a whole line (an emoji ZWJ sequence counted as its parts, in a very narrow
 * terminal), cut into its characters, each with the zero-width ones that follow it.
 */
function codePoints(text: string): Unit[] {
  const out: { text: string; width: number }[] = [];
  for (const ch of text) {
    const width = displayWidth(ch);
    const last = out.at(-1);
    if (last !== undefined && width === 0) last.text += ch;
    else out.push({ text: ch, width });
  }
  return out;
}

/** `s` without the spaces at its end (escape sequences after them are kept). */
export function trimEndVisible(s: string): string {
  let out = s;
  for (;;) {
    const next = out.replace(TRAILING_SPACE, "$1");
    if (next === out) return out;
    out = next;
  }
}

/**
 * The rows `head` + `body` takes in a terminal `width` columns wide: the body wraps, and its
 * continuation rows start under its first character (the width of `head`). When that would leave
 * the body fewer than MIN_BODY_COLUMNS (a long name in a narrow terminal), the whole line wraps
 * instead, without an indent. No width (not a terminal): one line, as it is.
 */
export function hangingLines(head: string, body: string, width: number | undefined): string[] {
  if (width === undefined || !Number.isFinite(width) || width < 1) return [head + body];
  const indent = displayWidth(head);
  if (indent + MIN_BODY_COLUMNS <= width) {
    const pad = " ".repeat(indent);
    return wrapPieces(body, width - indent).map((p, i) => trimEndVisible(i === 0 ? head + p : pad + p));
  }
  return wrapPieces(head + body, width).map(trimEndVisible);
}
