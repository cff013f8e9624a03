import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseMessage } from "../src/protocol/irc/message.ts";
import { IRC_LINE_BYTES, splitMessageLines, splitText, textBudget } from "../src/protocol/irc/split.ts";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
/** Byte offsets where the text's grapheme clusters start (and its end). */
function clusterEnds(text: string): Set<number> {
  const ends = new Set<number>([0]);
  let offset = 0;
  for (const { segment } of graphemes.segment(text)) {
    offset += segment.length;
    ends.add(offset);
  }
  return ends;
}

// Papo lines: well-formed text up to 2048 bytes, rich in spaces, multi-byte characters, emoji
// sequences and combining marks.
const unit = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(" ", "a", "palavra", "ã", "ção", "👋", "👩‍👩‍👧", "e\u0301", "太郎"),
  },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant("a\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308") },
);
const papoLine = fc
  .array(unit, { minLength: 1, maxLength: 600, size: "max" })
  .map((a) => a.join(""))
  .map((s) => {
    // Trim to 2048 bytes at a code point boundary, as papo's line limit would.
    let out = "";
    for (const cp of s) {
      if (Buffer.byteLength(out + cp) > 2048) break;
      out += cp;
    }
    return out;
  })
  .filter((s) => s.length > 0);
const budget = fc.integer({ min: 4, max: 500 });

describe("IRC line splitting (issue 11)", () => {
  it("keeps a short line whole and an empty one out", () => {
    assert.deepEqual(splitText("oi", 10), ["oi"]);
    assert.deepEqual(splitText("", 10), []);
  });

  it("cuts after a space in the second half of a piece, and hard otherwise", () => {
    assert.deepEqual(splitText("aaaa bbbb cccc", 10), ["aaaa bbbb ", "cccc"]);
    assert.deepEqual(splitText("a bbbbbbbbbbbb", 10), ["a bbbbbbbb", "bbbb"]);
  });

  it("never cuts inside a character or a grapheme cluster", () => {
    assert.deepEqual(splitText("ããããã", 4), ["ãã", "ãã", "ã"]);
    assert.deepEqual(splitText("👩‍👩‍👧👩‍👩‍👧", 18), ["👩‍👩‍👧", "👩‍👩‍👧"]);
    // A cluster longer than a piece is cut between its code points, never inside one.
    assert.deepEqual(splitText("👩‍👩‍👧", 8), ["👩\u200d", "👩\u200d", "👧"]);
  });

  it("pieces join back to the text, fit the budget, and are well-formed (property)", () => {
    fc.assert(
      fc.property(papoLine, budget, (text, max) => {
        const pieces = splitText(text, max);
        assert.equal(pieces.join(""), text);
        for (const p of pieces) {
          assert.ok(p.length > 0);
          assert.ok(Buffer.byteLength(p) <= max, `${Buffer.byteLength(p)} > ${max}`);
          // No lone surrogate: the piece is valid UTF-16, so valid UTF-8 on the wire.
          assert.equal(Buffer.from(p).toString(), p);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("cuts only between grapheme clusters when each fits, and prefers spaces (property)", () => {
    fc.assert(
      fc.property(papoLine, budget, (text, max) => {
        const pieces = splitText(text, max);
        const ends = clusterEnds(text);
        let longest = 0;
        for (const { segment } of graphemes.segment(text))
          longest = Math.max(longest, Buffer.byteLength(segment));
        let offset = 0;
        for (const p of pieces.slice(0, -1)) {
          offset += p.length;
          if (longest <= max) assert.ok(ends.has(offset), `cut at ${offset} is inside a cluster`);
          // A piece not ending in a space had no space in its second half to cut at.
          if (!p.endsWith(" ") && p.includes(" ")) {
            const before = Buffer.byteLength(p.slice(0, p.lastIndexOf(" ") + 1));
            assert.ok(before * 2 < max, `missed a space in ${JSON.stringify(p)}`);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("builds PRIVMSG lines that fit 512 bytes with the prefix and carry the whole text (property)", () => {
    const source = "Notebook_Mãe!papo@192.168.100.200";
    fc.assert(
      fc.property(papoLine, (text) => {
        const lines = splitMessageLines(source, "PRIVMSG", "#lobby", text, new Map([["time", "x"]]));
        let joined = "";
        for (const line of lines) {
          const untagged = line.slice(line.indexOf(" ") + 1);
          assert.ok(Buffer.byteLength(untagged) + 2 <= IRC_LINE_BYTES);
          const m = parseMessage(line);
          assert.ok(m);
          assert.equal(m.command, "PRIVMSG");
          assert.equal(m.source, source);
          assert.deepEqual(Object.fromEntries(m.tags ?? []), { time: "x" });
          joined += m.params[1];
        }
        assert.equal(joined, text);
      }),
      { numRuns: 300 },
    );
    assert.equal(textBudget("a!b@c", "PRIVMSG", "#x"), 510 - ":a!b@c PRIVMSG #x :".length);
  });
});
