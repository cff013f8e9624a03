/**
 * Long papo lines as several IRC messages (issue 11). A papo line may be `maxLineBytes` (2048)
 * bytes; an IRC line is 512 bytes with its CRLF, source, command and target (RFC 1459 §2.3; tags
 * have their own budget). The text is cut:
 * - never inside a character, and not inside a grapheme cluster (a letter and its accents, an
 *   emoji sequence) unless that cluster alone is longer than a whole piece;
 * - after the last space of a piece when that space is in the piece's second half, so words stay
 *   whole without leaving very short lines; the space stays at the end of its piece, so the pieces
 *   joined give the text back exactly.
 */
import { type IrcMessage, serializeMessage } from "./message.ts";

/** An IRC line's longest length in bytes, CRLF included (RFC 1459 §2.3). */
export const IRC_LINE_BYTES = 512;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Splits `text` into non-empty pieces of at most `maxBytes` UTF-8 bytes each (see the module doc). */
export function splitText(text: string, maxBytes: number): string[] {
  // A piece must hold any one code point.
  if (!(maxBytes >= 4)) throw new RangeError(`maxBytes ${maxBytes} < 4`);
  if (text.length === 0) return [];
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const pieces: string[] = [];
  let piece = "";
  let bytes = 0;
  // The last space in `piece`: its index and the piece's bytes up to and including it.
  let space = -1;
  let spaceBytes = 0;
  const add = (unit: string, size: number): void => {
    if (bytes + size > maxBytes) {
      if (space >= 0 && spaceBytes * 2 >= maxBytes) {
        pieces.push(piece.slice(0, space + 1));
        piece = piece.slice(space + 1);
        bytes -= spaceBytes;
      } else {
        pieces.push(piece);
        piece = "";
        bytes = 0;
      }
      space = -1;
      // What is carried over held no space (the cut was at the last one), and fits with `unit`:
      // it is under half a piece, or empty.
      if (bytes + size > maxBytes) {
        pieces.push(piece);
        piece = "";
        bytes = 0;
      }
    }
    piece += unit;
    bytes += size;
    if (unit === " ") {
      space = piece.length - 1;
      spaceBytes = bytes;
    }
  };
  for (const { segment } of graphemes.segment(text)) {
    const size = Buffer.byteLength(segment);
    if (size <= maxBytes) add(segment, size);
    // A cluster longer than a piece (a stack of combining marks) is cut between its code points.
    else for (const cp of segment) add(cp, Buffer.byteLength(cp));
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

/**
 * The bytes left for the text of `COMMAND target :text` from `source`, so that the line fits in
 * IRC_LINE_BYTES with its CRLF.
 */
export function textBudget(source: string, command: string, target: string): number {
  return IRC_LINE_BYTES - 2 - Buffer.byteLength(`:${source} ${command} ${target} :`);
}

/**
 * `COMMAND target :text` from `source` (PRIVMSG or NOTICE) as one or more lines without CRLF, each
 * at most IRC_LINE_BYTES - 2 bytes before its tags. Every piece carries the same `tags`.
 */
export function splitMessageLines(
  source: string,
  command: string,
  target: string,
  text: string,
  tags?: ReadonlyMap<string, string>,
): string[] {
  const lines: string[] = [];
  for (const piece of splitText(text, textBudget(source, command, target))) {
    const m: IrcMessage = { source, command, params: [target, piece] };
    if (tags) m.tags = tags;
    lines.push(serializeMessage(m, true));
  }
  return lines;
}
