/**
 * Issue 13, mentions: the pure matcher (src/protocol/mention.ts) the clients use to highlight a
 * message that names the reader (and ring the terminal bell).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { mentions } from "../src/protocol/mention.ts";

test("issue 13 mentions: @name and the name as a word, in any case; not inside another word or name", () => {
  const yes: [string, string][] = [
    ["hi @ana", "ana"],
    ["@ana", "ana"],
    ["ana: are you there?", "ana"],
    ["hello ANA!", "ana"],
    ["thanks, Ana.", "ana"],
    ["(ana)", "ana"],
    ["ana's turn", "ana"],
    ["oi Notebook_Mãe, tudo bem?", "notebook_mãe"],
    // Decomposed ã in the text, precomposed in the name.
    ["Notebook_Ma\u0303e", "Notebook_Mãe"],
    // Fullwidth letters fold to ASCII (NFKC), ß to ss (full case folding).
    ["ａｎａ: hi", "ana"],
    ["Grüße an STRASSE", "straße"],
    // Names with punctuation the server accepts.
    ["ping a-b.c now", "a-b.c"],
    ["x(y) hi", "x(y)"],
    ["日本 さくら 中文", "さくら"],
  ];
  for (const [text, name] of yes) assert.equal(mentions(text, name), true, `${text} / ${name}`);
  const no: [string, string][] = [
    ["banana split", "ana"],
    ["anarchy", "ana"],
    ["ana_2: hi", "ana"],
    ["ana2 is here", "ana"],
    ["hi @anabel", "ana"],
    // An accent makes another name.
    ["Notebook_Mae", "Notebook_Mãe"],
    ["Notebook_Mães", "Notebook_Mãe"],
    // A combining mark after the name makes another letter.
    ["ana\u0301", "ana"],
    ["", "ana"],
    ["anything", ""],
    ["anything", "   "],
  ];
  for (const [text, name] of no) assert.equal(mentions(text, name), false, `${text} / ${name}`);
});

/** Names as the server allows them, mostly: letters (some accented), digits, `_`, `-`, `.`. */
const nameArb = fc
  .array(fc.constantFrom(..."abcxyzABCXYZãéçß019_-."), { minLength: 1, maxLength: 12 })
  .map((cs) => cs.join(""))
  .filter((n) => /[\p{L}\p{N}_]/u.test(n[0] ?? "") && /[\p{L}\p{N}_]/u.test(n.at(-1) ?? ""));
/** Text around a name, with separators that are not name characters. */
const textArb = fc.string({ unit: fc.constantFrom(..."abc XYZ,.!?:()@ãé日👍\u0303"), maxLength: 20 });
const boundaryArb = fc.constantFrom(" ", ", ", "@", "(", ": ", "! ", "\n", "👍");

test("issue 13 mentions (property): the name with a boundary on both sides is always found, in any case", () => {
  fc.assert(
    fc.property(
      textArb,
      boundaryArb,
      nameArb,
      boundaryArb,
      textArb,
      fc.boolean(),
      (pre, b1, name, b2, post, upper) => {
        const shown = upper ? name.toUpperCase() : name.toLowerCase();
        assert.ok(mentions(`${pre}${b1}${shown}${b2}${post}`, name));
        assert.ok(mentions(`${shown}${b2}${post}`, name));
        assert.ok(mentions(`${pre}${b1}${shown}`, name));
      },
    ),
    { numRuns: 300 },
  );
});

test("issue 13 mentions (property): never inside a longer word; never without the folded name in the text", () => {
  fc.assert(
    fc.property(
      nameArb,
      fc.constantFrom("x", "_", "9", "é", "日"),
      fc.constantFrom("x", "_", "9", "é", "日"),
      (name, a, b) => {
        // Every occurrence of the name here runs into a word character on some side.
        assert.equal(mentions(`${a}${name}${b}`, name), false);
        assert.equal(mentions(`${a}${name}`, name), false);
        assert.equal(mentions(`${name}${b}`, name), false);
      },
    ),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), nameArb, (text, name) => {
      if (mentions(text, name)) {
        const fold = (s: string) => s.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFC");
        assert.ok(fold(text).includes(fold(name)));
      }
    }),
    { numRuns: 300 },
  );
});
