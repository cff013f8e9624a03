// Terminal-safe text (ROBUSTNESS B11-B13, protocol §6; issue 4 item 1).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { isSafeText, sanitizeText } from "../src/protocol/sanitize.ts";

const ESC = "\u001b";
const ST = `${ESC}\\`;
// Every Unicode Bidi_Control character: overrides, embeddings, isolates and marks.
const BIDI_CONTROLS = [
  "\u061c",
  "\u200e",
  "\u200f",
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
];
// What must never survive: C0, DEL, C1, bidi controls, line/paragraph separators, lone surrogates.
const FORBIDDEN = /[\p{Cc}\p{Bidi_Control}\u2028\u2029\p{Cs}]/u;

/** Units that exercise the parser: introducers, terminators, controls, plus ordinary text. */
const trickyUnit = fc.oneof(
  fc.constantFrom(
    ESC,
    "[",
    "]",
    "P",
    "X",
    "^",
    "_",
    "\\",
    "(",
    "#",
    ";",
    "?",
    "0",
    "m",
    "\u0007",
    "\u0018",
    "\u001a",
    "\t",
    "\n",
    "\r",
    "\u007f",
    "\u0085",
    "\u0090",
    "\u009b",
    "\u009c",
    "\u009d",
    "\u009e",
    "\u009f",
    "\u2028",
    "\u2029",
    "\ud800",
    "\udc00",
    "😀",
    "ã",
    ...BIDI_CONTROLS,
  ),
  fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);
const trickyText = fc.string({ unit: trickyUnit, maxLength: 60 });
const anyText = fc.oneof(trickyText, fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }));
/** Text that is already safe: printable code points, accents, emoji, CJK. */
const safeText = fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => !FORBIDDEN.test(s));

describe("sanitizeText: what passes unchanged", () => {
  test("plain ASCII, accented Portuguese, emoji and CJK are unchanged", () => {
    for (const text of [
      "",
      "hello everyone, 10:30 in the lab!",
      "Olá, tudo bem? Até às 10h30 no laboratório — ótimo",
      "Notebook_Mãe diz: 😀👍🏽 👨‍👩‍👧",
      "太郎です 김철수 Иван Ελένη עברית العربية",
      "[brackets] and ~tildes~ and \\backslashes\\",
    ]) {
      assert.equal(sanitizeText(text), text);
      assert.equal(isSafeText(text), true);
    }
  });

  test("zero-width joiners stay in messages (emoji need them); names refuse them elsewhere", () => {
    assert.equal(sanitizeText("a\u200db"), "a\u200db");
  });
});

describe("sanitizeText: escape sequences are removed whole (B11)", () => {
  const cases: [string, string, string][] = [
    ["SGR colour", `a${ESC}[31mred${ESC}[0m`, "ared"],
    ["private-mode CSI (hide cursor)", `x${ESC}[?25ly`, "xy"],
    ["clear screen and home", `${ESC}[2J${ESC}[Hhi`, "hi"],
    ["CSI with intermediates (DECSCUSR)", `a${ESC}[2 qb`, "ab"],
    ["cursor up then erase line (overwrite the previous line)", `ok${ESC}[1A${ESC}[2Kfake`, "okfake"],
    ["OSC title ended by BEL", `${ESC}]0;pwned\u0007text`, "text"],
    ["OSC 8 hyperlink ended by ST", `${ESC}]8;;http://evil/${ST}link${ESC}]8;;${ST}`, "link"],
    ["OSC 52 clipboard write", `a${ESC}]52;c;ZWNobyBwd25lZA==\u0007b`, "ab"],
    ["OSC 50 font query (CVE-2022-45063)", `${ESC}]50;?\u0007x`, "x"],
    ["unterminated OSC swallows the rest", `safe${ESC}]0;title and more`, "safe"],
    ["DCS ended by ST", `a${ESC}Pq#0;2;0;0;0${ST}b`, "ab"],
    ["DECRQSS DCS", `a${ESC}P$qm${ST}b`, "ab"],
    ["APC, PM and SOS", `a${ESC}_apc${ST}b${ESC}^pm${ST}c${ESC}Xsos${ST}d`, "abcd"],
    ["string interrupted by a new ESC sequence", `a${ESC}]0;t${ESC}[31mb`, "ab"],
    ["CAN aborts a string", `a${ESC}]0;t\u0018b`, "ab"],
    ["8-bit CSI", "a\u009b31mb", "ab"],
    ["8-bit OSC ended by 8-bit ST", "a\u009d0;title\u009cb", "ab"],
    ["8-bit DCS", "a\u0090q\u009cb", "ab"],
    ["8-bit APC unterminated", "a\u009fapc", "a"],
    ["RIS (full reset)", `a${ESC}cb`, "ab"],
    ["DECSC / DECRC", `a${ESC}7b${ESC}8c`, "abc"],
    ["charset designation", `a${ESC}(0b${ESC}(Bc`, "abc"],
    ["DECALN screen fill", `a${ESC}#8b`, "ab"],
    ["stray ST", `a${ST}b`, "ab"],
    ["lone ESC at the end", `abc${ESC}`, "abc"],
    ["ESC before non-ASCII keeps the character", `${ESC}é`, "é"],
    ["double ESC", `${ESC}${ESC}[31mx`, "x"],
    ["CSI cut by a control keeps no introducer", `${ESC}[3\u00001mx`, "1mx"],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => {
      assert.equal(sanitizeText(input), expected);
      assert.equal(isSafeText(input), false);
    });
  }
});

describe("sanitizeText: single characters (B11, B12)", () => {
  test("C0 controls other than tab are removed; tab becomes a space", () => {
    for (let c = 0; c < 0x20; c++) {
      if (c === 0x1b) continue;
      const ch = String.fromCharCode(c);
      assert.equal(sanitizeText(`a${ch}b`), c === 0x09 ? "a b" : "ab", `U+${c.toString(16)}`);
    }
  });

  test("BEL, backspace, CR and LF cannot ring, erase or forge a line", () => {
    assert.equal(sanitizeText("hi\u0007\u0008\u0008\u0008bye\r\nfake: line"), "hibyefake: line");
  });

  test("DEL and every C1 control (U+0080-U+009F) are removed", () => {
    assert.equal(sanitizeText("a\u007fb"), "ab");
    for (let c = 0x80; c <= 0x9f; c++) {
      // "é" is neither a CSI parameter nor a final byte, so 8-bit CSI stops before it.
      const out = sanitizeText(`a${String.fromCharCode(c)}é`);
      // A C1 string introducer (DCS, SOS, OSC, PM, APC) swallows the unterminated rest.
      const introducer = [0x90, 0x98, 0x9d, 0x9e, 0x9f].includes(c);
      assert.equal(out, introducer ? "a" : "aé", `U+${c.toString(16)}`);
    }
  });

  test("every bidi control is removed: Trojan Source cannot reorder a line (B12)", () => {
    for (const ch of BIDI_CONTROLS)
      assert.equal(sanitizeText(`a${ch}b`), "ab", ch.codePointAt(0)?.toString(16));
    // The CVE-2021-42574 pattern: RLO ... LRI hides and reorders text.
    assert.equal(sanitizeText("access\u202e \u2066// admin\u2069 \u2066"), "access // admin ");
  });

  test("line and paragraph separators become spaces (no forged log lines)", () => {
    assert.equal(sanitizeText("a\u2028b\u2029c"), "a b c");
  });

  test("lone surrogates become U+FFFD; pairs are kept", () => {
    assert.equal(sanitizeText("a\ud800b"), "a\ufffdb");
    assert.equal(sanitizeText("a\udc00"), "a\ufffd");
    assert.equal(sanitizeText("\ud83d\ude00\ud83d"), "\ud83d\ude00\ufffd");
    assert.equal(isSafeText("\ud83d\ude00"), true);
    assert.equal(isSafeText("\ud83d"), false);
  });
});

describe("sanitizeText: properties", () => {
  test("output never holds C0, DEL, C1, bidi controls, separators or lone surrogates", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        assert.doesNotMatch(sanitizeText(text), FORBIDDEN);
      }),
      { numRuns: 3000 },
    );
  });

  test("idempotent, never longer, and its output is safe", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const once = sanitizeText(text);
        assert.equal(sanitizeText(once), once);
        assert.ok(once.length <= text.length);
        assert.equal(isSafeText(once), true);
      }),
      { numRuns: 3000 },
    );
  });

  test("isSafeText(t) holds exactly when sanitizeText(t) === t", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        assert.equal(isSafeText(text), sanitizeText(text) === text);
      }),
      { numRuns: 3000 },
    );
  });

  test("safe text is returned unchanged", () => {
    fc.assert(
      fc.property(safeText, (text) => {
        assert.equal(sanitizeText(text), text);
      }),
    );
  });

  test("without sequence introducers, it is a per-character filter", () => {
    const INTRODUCERS = /[\u001b\u0090\u0098\u009b\u009d\u009e\u009f]/;
    const reference = (text: string): string =>
      text.replace(/[\s\S]/gu, (ch) => {
        if (ch === "\t" || ch === "\u2028" || ch === "\u2029") return " ";
        if (/\p{Cs}/u.test(ch)) return "\ufffd";
        return FORBIDDEN.test(ch) ? "" : ch;
      });
    fc.assert(
      fc.property(
        anyText.filter((t) => !INTRODUCERS.test(t)),
        (text) => {
          assert.equal(sanitizeText(text), reference(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("a well-formed sequence between safe texts is removed whole", () => {
    const chars = (from: number, to: number, max: number) =>
      fc.string({
        unit: fc.integer({ min: from, max: to }).map((c) => String.fromCharCode(c)),
        maxLength: max,
      });
    const csi = fc
      .tuple(
        fc.constantFrom(`${ESC}[`, "\u009b"),
        chars(0x30, 0x3f, 6),
        chars(0x20, 0x2f, 2),
        chars(0x40, 0x7e, 1).filter((s) => s.length === 1),
      )
      .map((parts) => parts.join(""));
    const body = safeText.filter((s) => !s.includes("\u009c"));
    const controlString = fc
      .tuple(
        fc.constantFrom(`${ESC}]`, `${ESC}P`, `${ESC}_`, `${ESC}^`, `${ESC}X`, "\u009d", "\u0090", "\u009f"),
        body,
        fc.constantFrom("\u0007", ST, "\u009c"),
      )
      .map((parts) => parts.join(""));
    // ESC + intermediates + final; ESC [ ] P X ^ _ with no intermediate open longer sequences.
    const nF = fc
      .tuple(
        chars(0x20, 0x2f, 2),
        chars(0x30, 0x7e, 1).filter((s) => s.length === 1),
      )
      .filter(([i, f]) => i.length > 0 || !"[]PX^_".includes(f))
      .map(([i, f]) => `${ESC}${i}${f}`);
    fc.assert(
      fc.property(safeText, fc.oneof(csi, controlString, nF), safeText, (before, sequence, after) => {
        assert.equal(sanitizeText(before + sequence + after), before + after);
      }),
      { numRuns: 2000 },
    );
  });

  test("linear time on adversarial input (no regex backtracking)", () => {
    const start = performance.now();
    for (const unit of [`${ESC}[`, `${ESC}]`, `${ESC}[1;`, "\u009b", `${ESC}${ESC}`, "\u202e", "a\u0007"]) {
      const text = unit.repeat(100_000);
      assert.doesNotMatch(sanitizeText(text), FORBIDDEN);
    }
    // Generous bound: a quadratic scan of 200k-unit strings would take minutes.
    assert.ok(performance.now() - start < 5000);
  });
});
