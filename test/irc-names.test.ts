import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalName, checkName } from "../src/core/nickname.ts";
import { ircNick, ircNickLength, isPlainIrcNick, papoName } from "../src/protocol/irc/names.ts";

const rules = { maxNameLength: 32 };

/** RFC 2812 `nickname`, with `\` allowed (it is a "special") and any non-ASCII character (UTF8ONLY). */
const VALID_NICK = /^[A-Za-z[\]\\`_^{|}\u0080-\u{10ffff}][A-Za-z0-9[\]\\`_^{|}\u0080-\u{10ffff}-]*$/u;

/** ASCII case folding, as an IRC client with CASEMAPPING=ascii compares nicks. */
const asciiFold = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

// Names heavy in the characters that matter, and any Unicode.
const tricky = fc.constantFrom(
  "!",
  ",",
  "*",
  "?",
  ":",
  "#",
  "&",
  "$",
  ".",
  "-",
  "0",
  "9",
  "\\",
  "5",
  "C",
  "c",
  "a",
  "A",
  "_",
  "|",
  "~",
  "'",
  "ã",
  "Ã",
  "👋",
  "太",
);
const anyString = fc
  .array(fc.oneof(tricky, fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })), {
    minLength: 1,
    maxLength: 32,
  })
  .map((a) => a.join(""));
/** Names papo accepts (checkName), in their display form. */
const papoNames = anyString
  .map((s) => checkName(s, rules))
  .filter((c) => c.ok)
  .map((c) => (c.ok ? c.name : ""));

describe("IRC name mapping (issue 11)", () => {
  it("leaves names an IRC client could register as they are", () => {
    for (const name of ["ana", "Notebook_Mãe", "b0b", "[away]", "x-y", "太郎", "a`b^c{d}|e"]) {
      assert.equal(ircNick(name), name);
      assert.equal(papoName(name), name);
      assert.ok(isPlainIrcNick(name), name);
    }
  });

  it("escapes what IRC cannot carry, as documented", () => {
    const cases: [string, string][] = [
      ["a!b", "a\\21b"],
      ["ana,bia", "ana\\2Cbia"],
      ["*", "\\2A"],
      ["que?", "que\\3F"],
      [":)", "\\3A\\29"],
      ["#sala", "\\23sala"],
      ["0day", "\\30day"],
      ["-x-", "\\2Dx-"],
      ["a\\b", "a\\5Cb"],
      ["jo.silva", "jo\\2Esilva"],
      ["x~", "x\\7E"],
    ];
    for (const [name, nick] of cases) {
      assert.equal(ircNick(name), nick, name);
      assert.equal(papoName(nick), name, nick);
      assert.ok(!isPlainIrcNick(name), name);
    }
    // IRC clients fold ASCII case: lower-case hex stands for the same name.
    assert.equal(papoName("a\\2ebc"), "a.bc");
  });

  it("refuses nicks the escaping never produces", () => {
    for (const nick of ["", "a!b", "0day", "-x", "a\\", "a\\2", "a\\zz", "a\\41", "a\\30", "\\"]) {
      assert.equal(papoName(nick), null, nick);
    }
    // A digit needs the escape only first.
    assert.equal(papoName("\\30"), "0");
  });

  it("round-trips every string: papoName(ircNick(x)) === x", () => {
    fc.assert(
      fc.property(anyString, (x) => {
        assert.equal(papoName(ircNick(x)), x);
      }),
      { numRuns: 5000 },
    );
  });

  it("gives a valid IRC nick within NICKLEN bytes for every papo name", () => {
    fc.assert(
      fc.property(papoNames, (name) => {
        const nick = ircNick(name);
        assert.match(nick, VALID_NICK);
        assert.ok(Buffer.byteLength(nick) <= ircNickLength(rules.maxNameLength), nick);
      }),
      { numRuns: 5000 },
    );
    // The worst cases: all ASCII escapes, and all four-byte characters.
    assert.ok(Buffer.byteLength(ircNick("!".repeat(32))) <= ircNickLength(32));
    assert.ok(Buffer.byteLength(ircNick("👋".repeat(32))) <= ircNickLength(32));
  });

  it("never shows a name as one an IRC user could register (no collision)", () => {
    fc.assert(
      fc.property(anyString, anyString, (x, y) => {
        // A nick IRC may register is only ever its own name's nick.
        if (isPlainIrcNick(y) && x !== y) assert.notEqual(ircNick(x), y);
        if (isPlainIrcNick(ircNick(x))) assert.equal(ircNick(x), x);
      }),
      { numRuns: 5000 },
    );
  });

  it("maps two names that can be online together to nicks no IRC client folds together", () => {
    fc.assert(
      fc.property(papoNames, papoNames, (x, y) => {
        if (canonicalName(x) !== canonicalName(y))
          assert.notEqual(asciiFold(ircNick(x)), asciiFold(ircNick(y)));
      }),
      { numRuns: 5000 },
    );
    // Case variants of one escaped nick are the same name.
    assert.equal(canonicalName(papoName("A\\2Eb") ?? ""), canonicalName(papoName("a\\2eB") ?? ""));
  });

  it("is plain exactly when the escaping changes nothing", () => {
    fc.assert(
      fc.property(anyString, (x) => {
        assert.equal(isPlainIrcNick(x), ircNick(x) === x);
      }),
      { numRuns: 5000 },
    );
  });
});
