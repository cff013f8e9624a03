/**
 * Issue 13, the terminal client's layout: long lines wrap at word boundaries by the terminal's
 * width, with a hanging indent under the name (src/client/wrap.ts). Pure; its look in a real
 * terminal is proven in tmux (client-tmux-comforts.test.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { hangingLines, MIN_BODY_COLUMNS, trimEndVisible, wrapPieces } from "../src/client/wrap.ts";
import { displayWidth } from "../src/tty/prompt.ts";

test("issue 13 wrap: at spaces, the break's spaces hidden, continuation under the text", () => {
  assert.deepEqual(wrapPieces("the quick brown fox jumps", 10), ["the quick ", "brown fox ", "jumps"]);
  assert.deepEqual(hangingLines("12:04 ana: ", "the quick brown fox jumps over the lazy dog", 30), [
    "12:04 ana: the quick brown fox",
    "           jumps over the lazy",
    "           dog",
  ]);
  // Short lines, and no terminal (piped output), are left as they are.
  assert.deepEqual(hangingLines("12:04 ana: ", "hi", 30), ["12:04 ana: hi"]);
  assert.deepEqual(hangingLines("12:04 ana: ", "x ".repeat(50), undefined), [
    `12:04 ana: ${"x ".repeat(50)}`,
  ]);
  // A word longer than the line is broken where it reaches the edge.
  assert.deepEqual(wrapPieces(`ab ${"x".repeat(12)} cd`, 5), ["ab ", "xxxxx", "xxxxx", "xx cd"]);
});

test("issue 13 wrap: wide characters count two columns and may break anywhere; accents stay on their letter", () => {
  // 10 columns: five ideographs a line.
  assert.deepEqual(wrapPieces("中文消息一二三四五六七", 10), ["中文消息一", "二三四五六", "七"]);
  // A wide character never straddles the edge (9 columns: four a line).
  assert.deepEqual(wrapPieces("中文消息一二", 9), ["中文消息", "一二"]);
  // After a word, wide text starts filling the same line.
  assert.deepEqual(wrapPieces("ab 中文消息一二三", 8), ["ab 中文", "消息一二", "三"]);
  // Decomposed ã (a + U+0303) is one grapheme of one column.
  assert.deepEqual(wrapPieces("a\u0303a\u0303a\u0303a\u0303", 2), ["a\u0303a\u0303", "a\u0303a\u0303"]);
  // Emoji: two columns, a ZWJ sequence kept whole.
  assert.deepEqual(wrapPieces("👍👍👍", 4), ["👍👍", "👍"]);
  assert.equal(wrapPieces("👨‍👩‍👧 x", 40).join(""), "👨‍👩‍👧 x");
});

test("issue 13 wrap: colours take no room and are never cut; a long name in a narrow terminal drops the indent", () => {
  const bold = (s: string) => `\x1b[1m${s}\x1b[22m`;
  const lines = hangingLines(
    `\x1b[90m12:04\x1b[39m ${bold("ana")}: `,
    bold("one two three four five six"),
    22,
  );
  assert.deepEqual(
    lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, "")),
    ["12:04 ana: one two", "           three four", "           five six"],
  );
  for (const l of lines) assert.ok(!/\x1b(?!\[[0-9;]*m)/.test(l), JSON.stringify(l));
  // 20 columns, a head of 17: the body would get 3, so the whole line wraps without an indent.
  const head = "12:04 verylongna: ";
  assert.ok(displayWidth(head) + MIN_BODY_COLUMNS > 20);
  assert.deepEqual(hangingLines(head, "hello there my friend", 20), [
    "12:04 verylongna:",
    "hello there my",
    "friend",
  ]);
  assert.equal(trimEndVisible("ab  \x1b[0m "), "ab\x1b[0m");
});

/** Text as people type it: words, runs of spaces, accents, CJK, emoji, and colour escapes. */
const pieceArb = fc.oneof(
  fc.constantFrom(
    " ",
    "  ",
    "\u3000",
    "\x1b[1m",
    "\x1b[22m",
    "\x1b[35m",
    "a\u0303",
    "👍",
    "👨‍👩‍👧",
    "中",
    "文",
  ),
  fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzçé.,!?"), minLength: 1, maxLength: 30 }),
);
const textArb = fc.array(pieceArb, { maxLength: 40 }).map((ps) => ps.join(""));

test("issue 13 wrap (property): the pieces join back to the text; no line is wider than the width", () => {
  fc.assert(
    fc.property(textArb, fc.integer({ min: 2, max: 120 }), (text, width) => {
      const pieces = wrapPieces(text, width);
      assert.equal(pieces.join(""), text);
      for (const p of pieces)
        assert.ok(displayWidth(trimEndVisible(p)) <= width, JSON.stringify({ p, width }));
      // Only the first piece may start with a space (a line never starts with the break's spaces).
      for (const p of pieces.slice(1)) assert.ok(!/^[ \u3000]/u.test(p), JSON.stringify({ pieces, width }));
    }),
    { numRuns: 400 },
  );
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(..."abc0123 [#]:_"), maxLength: 30 }),
      textArb,
      fc.integer({ min: 2, max: 120 }),
      (head, body, width) => {
        const lines = hangingLines(head, body, width);
        for (const l of lines) assert.ok(displayWidth(l) <= width, JSON.stringify({ l, width }));
        const indent = displayWidth(head);
        if (indent + MIN_BODY_COLUMNS <= width)
          for (const l of lines.slice(1)) assert.ok(l.startsWith(" ".repeat(indent)), JSON.stringify(lines));
      },
    ),
    { numRuns: 400 },
  );
});

test("issue 13 wrap (property): words that fit are never broken, and each line is as full as it can be", () => {
  const words = fc.array(fc.string({ unit: fc.constantFrom(..."abcdefghij"), minLength: 1, maxLength: 8 }), {
    minLength: 1,
    maxLength: 30,
  });
  fc.assert(
    fc.property(words, fc.integer({ min: 8, max: 60 }), (ws, width) => {
      const pieces = wrapPieces(ws.join(" "), width);
      // Every break is at a space: the words come back whole.
      assert.deepEqual(
        pieces.flatMap((p) => p.trim().split(" ")),
        ws,
      );
      // Greedy: the next line's first word did not fit on this one.
      for (let i = 0; i + 1 < pieces.length; i++) {
        const next = (pieces[i + 1] ?? "").split(" ")[0] ?? "";
        assert.ok((pieces[i] ?? "").length + next.length > width, JSON.stringify({ pieces, width }));
      }
    }),
    { numRuns: 300 },
  );
});
