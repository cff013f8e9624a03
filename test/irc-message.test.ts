import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  escapeTagValue,
  type IrcMessage,
  IrcSyntaxError,
  parseMessage,
  serializeMessage,
  unescapeTagValue,
} from "../src/protocol/irc/message.ts";

/** ircdocs/parser-tests msg-split and msg-join (CC0; see the fixture's `license`). */
interface Atoms {
  tags: Record<string, string> | null;
  source: string | null;
  verb: string;
  params: string[];
}
const vectors = JSON.parse(
  readFileSync(new URL("fixtures/irc-parser-tests.json", import.meta.url), "utf8"),
) as {
  license: string;
  split: { input: string; atoms: Atoms }[];
  join: { desc: string; atoms: Atoms; matches: string[] }[];
};

/** A parsed message in the vectors' shape. */
function atomsOf(m: IrcMessage): Atoms {
  return {
    tags: m.tags ? Object.fromEntries(m.tags) : null,
    source: m.source ?? null,
    verb: m.command,
    params: [...m.params],
  };
}

function messageOf(a: Atoms): IrcMessage {
  const m: IrcMessage = { command: a.verb, params: a.params };
  if (a.tags) m.tags = new Map(Object.entries(a.tags));
  if (a.source !== null) m.source = a.source;
  return m;
}

describe("IRC message parser: ircdocs/parser-tests msg-split (issue 11)", () => {
  it("has the fixture with its attribution", () => {
    assert.equal(vectors.split.length, 35);
    assert.equal(vectors.join.length, 18);
    assert.match(vectors.license, /CC0/);
  });
  for (const [i, t] of vectors.split.entries()) {
    it(`split #${i}: ${JSON.stringify(t.input)}`, () => {
      const m = parseMessage(t.input);
      assert.ok(m, "parsed");
      assert.deepEqual(atomsOf(m), t.atoms);
    });
  }
});

describe("IRC message serialiser: ircdocs/parser-tests msg-join (issue 11)", () => {
  for (const [i, t] of vectors.join.entries()) {
    it(`join #${i}: ${t.desc}`, () => {
      const line = serializeMessage(messageOf(t.atoms));
      assert.ok(t.matches.includes(line), `${JSON.stringify(line)} not in ${JSON.stringify(t.matches)}`);
      // Every accepted form parses back to the atoms.
      for (const match of t.matches) {
        const m = parseMessage(match);
        assert.ok(m);
        assert.deepEqual(atomsOf(m), t.atoms);
      }
    });
  }
});

describe("IRC message edge cases", () => {
  it("returns null when there is no command", () => {
    for (const line of ["", "   ", "@a=b", "@a=b ", ":src", ":src  ", "@a :src "]) {
      assert.equal(parseMessage(line), null, JSON.stringify(line));
    }
  });

  it("drops a lone trailing backslash and keeps unknown escapes as the character", () => {
    assert.equal(unescapeTagValue("a\\"), "a");
    assert.equal(unescapeTagValue("\\b\\"), "b");
    assert.equal(unescapeTagValue("\\:\\s\\\\\\r\\n"), "; \\\r\n");
  });

  it("refuses what no line can carry", () => {
    const bad: IrcMessage[] = [
      { command: "", params: [] },
      { command: "@x", params: [] },
      { command: "PRIV-MSG", params: [] },
      { command: "PRIVMSG", params: ["a b", "x"] },
      { command: "PRIVMSG", params: ["", "x"] },
      { command: "PRIVMSG", params: [":a", "x"] },
      { command: "PRIVMSG", params: ["#a", "x\r\nQUIT"] },
      { command: "PRIVMSG", params: ["#a", "x\nQUIT"] },
      { command: "PRIVMSG", params: ["#a", "x\0"] },
      { source: "a b", command: "PRIVMSG", params: [] },
      { source: "", command: "PRIVMSG", params: [] },
      { tags: new Map([["a b", "x"]]), command: "PRIVMSG", params: [] },
      { tags: new Map([["", "x"]]), command: "PRIVMSG", params: [] },
      { tags: new Map([["a", "x\0"]]), command: "PRIVMSG", params: [] },
    ];
    for (const m of bad) assert.throws(() => serializeMessage(m), IrcSyntaxError, JSON.stringify(m));
  });

  it("writes the last parameter as trailing only when it must", () => {
    assert.equal(serializeMessage({ command: "PING", params: ["x"] }), "PING x");
    assert.equal(
      serializeMessage({ command: "PRIVMSG", params: ["#a", "hi there"] }),
      "PRIVMSG #a :hi there",
    );
    assert.equal(serializeMessage({ command: "PRIVMSG", params: ["#a", ":)"] }), "PRIVMSG #a ::)");
    assert.equal(serializeMessage({ command: "PRIVMSG", params: ["#a", ""] }), "PRIVMSG #a :");
    assert.equal(
      serializeMessage({ tags: new Map([["time", "2026-01-01T00:00:00.000Z"]]), command: "X", params: [] }),
      "@time=2026-01-01T00:00:00.000Z X",
    );
  });
});

// Arbitrary well-formed messages. Strings come from a small alphabet heavy in the characters that
// matter (space, colon, semicolon, backslash, `=`, `@`), plus any Unicode.
const tricky = fc.constantFrom(
  " ",
  ":",
  ";",
  "\\",
  "=",
  "@",
  "!",
  "a",
  "Z",
  "0",
  "\t",
  "\r",
  "\n",
  "ã",
  "👋",
);
const anyChar = fc.oneof(tricky, fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }));
const text = fc.array(anyChar, { maxLength: 12 }).map((a) => a.join(""));
const noBreak = text.map((s) => s.replace(/[\r\n\0]/g, ""));
const middle = noBreak.map((s) => s.replace(/ /g, "")).filter((s) => s.length > 0 && !s.startsWith(":"));
const tagKey = fc
  .tuple(
    fc.constantFrom("", "+"),
    fc.constantFrom("", "example.com/", "draft/"),
    fc.stringMatching(/^[A-Za-z0-9-]{1,8}$/),
  )
  .map(([a, b, c]) => a + b + c);
const tagValue = text.map((s) => s.replace(/\0/g, ""));
const message: fc.Arbitrary<IrcMessage> = fc
  .record({
    tags: fc.option(
      fc.uniqueArray(fc.tuple(tagKey, tagValue), { selector: ([k]) => k, minLength: 1, maxLength: 4 }),
    ),
    source: fc.option(middle),
    command: fc.oneof(fc.stringMatching(/^[A-Za-z]{1,10}$/), fc.stringMatching(/^[0-9]{3}$/)),
    middles: fc.array(middle, { maxLength: 5 }),
    trailing: fc.option(noBreak),
  })
  .map(({ tags, source, command, middles, trailing }) => {
    const m: IrcMessage = { command, params: trailing === null ? middles : [...middles, trailing] };
    if (tags) m.tags = new Map(tags);
    if (source !== null) m.source = source;
    return m;
  });

describe("IRC message properties", () => {
  it("parse(serialise(m)) is m, for any well-formed message", () => {
    fc.assert(
      fc.property(message, (m) => {
        const parsed = parseMessage(serializeMessage(m));
        assert.ok(parsed);
        assert.deepEqual(atomsOf(parsed), atomsOf(m));
      }),
      { numRuns: 2000 },
    );
  });

  it("parse(serialise(parse(line))) is parse(line), for any line it can serialise", () => {
    fc.assert(
      fc.property(noBreak, (line) => {
        const m = parseMessage(line);
        if (!m) return;
        let again: string;
        try {
          again = serializeMessage(m);
        } catch (err) {
          // An arbitrary line may hold a malformed tag key or an empty source: refused, not garbled.
          assert.ok(err instanceof IrcSyntaxError);
          return;
        }
        const parsed = parseMessage(again);
        assert.ok(parsed);
        assert.deepEqual(atomsOf(parsed), atomsOf(m));
      }),
      { numRuns: 2000 },
    );
  });

  it("unescape(escape(v)) is v, and an escaped value holds no space, `;`, CR or LF", () => {
    fc.assert(
      fc.property(tagValue, (v) => {
        const e = escapeTagValue(v);
        assert.doesNotMatch(e, /[ ;\r\n]/);
        assert.equal(unescapeTagValue(e), v);
      }),
      { numRuns: 2000 },
    );
  });
});
