/**
 * Issue 13: the pure mention matcher both clients use (src/protocol/mention.ts): a message names
 * you as a word (`@you` or your name), case-insensitively with the server's name folding. (The
 * terminal client's branch has its own test/mention.test.ts for the same module.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalName, checkName } from "../src/core/nickname.ts";
import { mentions } from "../src/protocol/mention.ts";

const RULES = { maxNameLength: 32 };

/** Names the server would accept, from a Latin alphabet with accents and name punctuation. */
const validName = fc
  .string({
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.ãéçÖß"),
    minLength: 1,
    maxLength: 16,
  })
  .filter((n) => checkName(n, RULES).ok);

/** Text that is not part of a word on either side of a name. */
const separator = fc.constantFrom(" ", ", ", ": ", "! ", "? ", "(", ")", "'", "\n", "@", " @", "");

describe("mentions (issue 13)", () => {
  it("@name and the name as a word, in any case", () => {
    assert.ok(mentions("@ana oi", "ana"));
    assert.ok(mentions("oi @Ana!", "ana"));
    assert.ok(mentions("ANA: are you there?", "ana"));
    assert.ok(mentions("thanks, ana.", "Ana"));
    assert.ok(mentions("(ana)", "ana"));
    assert.ok(mentions("ana", "ana"));
    assert.ok(mentions("ask Notebook_Mãe", "notebook_mãe"));
    assert.ok(mentions("ＡＮＡ, oi", "ana"), "fullwidth folds like the server's names");
    assert.ok(mentions("STRASSE, look", "straße"), "full case folding: ß is ss");
  });

  it("not inside another word", () => {
    assert.ok(!mentions("banana", "ana"));
    assert.ok(!mentions("anabela", "ana"));
    assert.ok(!mentions("ana_b is here", "ana"));
    assert.ok(!mentions("ana2 is here", "ana"));
    assert.ok(!mentions("mañana", "ana"));
    assert.ok(!mentions("Anã", "ana"), "an accent makes another name, as on the server");
    assert.ok(!mentions("hello", ""));
    assert.ok(!mentions("", "ana"));
  });

  it("a name with punctuation at its ends is still found as a word", () => {
    assert.ok(mentions("oi -x-!", "-x-"));
    assert.ok(mentions("bob. said hi", "bob."));
    assert.ok(!mentions("zbob. said hi", "bob."));
  });

  it("property: any valid name, between separators, is mentioned; in any case", () => {
    fc.assert(
      fc.property(validName, separator, separator, fc.string({ maxLength: 8 }), (name, a, b, rest) => {
        assert.ok(mentions(`${a}${name}${b}`, name));
        assert.ok(mentions(`${rest} ${a}${name.toUpperCase()}${b}`, name));
        assert.ok(mentions(`${a}${name.toLowerCase()}${b} ${rest}`, name));
      }),
      { numRuns: 500 },
    );
  });

  it("property: a valid name glued between letters is not mentioned", () => {
    fc.assert(
      fc.property(validName, (name) => {
        assert.ok(!mentions(`x${name}x`, name), `x${name}x`);
      }),
      { numRuns: 500 },
    );
  });

  it("property: a whole name mentions another only when the server sees one name", () => {
    // Names of word characters only, in mixed case, some letters fullwidth: when one, as the whole
    // text, mentions the other, the server's canonical keys are equal (the folding is no coarser).
    const variant = fc
      .array(
        fc
          .tuple(fc.constantFrom(..."abcdeflmnorsßãç0123456789_"), fc.nat(2))
          .map(([ch, how]) =>
            how === 0
              ? ch
              : how === 1
                ? ch.toUpperCase()
                : ch
                    .toUpperCase()
                    .replace(/[A-Z0-9]/g, (c) => String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0)),
          ),
        { minLength: 1, maxLength: 6 },
      )
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(variant, variant, (a, b) => {
        if (mentions(a, b)) assert.equal(canonicalName(a), canonicalName(b), `${a} / ${b}`);
        assert.ok(mentions(a, a));
      }),
      { numRuns: 2000 },
    );
  });
});
