// Name rules and canonical keys (S5, ROBUSTNESS C14-C17, protocol §4; issue 4 items 1-2).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  EXTENSION_RANGES,
  EXTENSION_SETS,
  SCRIPT_CODES,
  SCRIPT_RANGES,
  UCD_VERSION,
} from "../src/core/data/scripts.ts";
import { canonicalName, checkName, type NameProblem, RESERVED_NAMES } from "../src/core/nickname.ts";
import { isSafeText } from "../src/protocol/sanitize.ts";

const rules = { maxNameLength: 32 };

function accepts(raw: string): string {
  const check = checkName(raw, rules);
  assert.ok(check.ok, `${JSON.stringify(raw)} refused: ${check.ok ? "" : check.reason}`);
  return check.name;
}

function refuses(raw: string, reason: NameProblem): void {
  assert.deepEqual(checkName(raw, rules), { ok: false, reason }, JSON.stringify(raw));
}

function sameName(a: string, b: string): void {
  assert.equal(canonicalName(a), canonicalName(b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}

function differentNames(a: string, b: string): void {
  assert.notEqual(canonicalName(a), canonicalName(b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}

describe("checkName: accepted names (S3, C14)", () => {
  test("the seeds' names and accented Latin", () => {
    for (const name of [
      "Notebook_Mãe",
      "NotebookTrabalho",
      "ana",
      "Ana",
      "João",
      "Zoë",
      "Conceição",
      "Đặng",
    ]) {
      assert.equal(accepts(name), name);
    }
  });

  test("digits, _, -, . combine with any script", () => {
    for (const name of ["user-1.test_2", "Иван_2", "Ελένη.3", "太郎-99", "...", "_"]) accepts(name);
  });

  test("single-script names in other scripts", () => {
    for (const name of ["Иван", "Ελένη", "דוד", "محمد", "राम", "김철수", "たろう", "タロウ", "太郎"])
      accepts(name);
  });

  test("Latin mixed with Japanese, Chinese or Korean (TR39 highly restrictive)", () => {
    for (const name of ["Taro太郎", "taroたろう太郎", "Kim김철수", "Li李"]) accepts(name);
  });

  test("emoji, with or without a presentation selector", () => {
    for (const name of ["ana❤️", "ana❤", "🙂", "1️⃣"]) accepts(name);
  });

  test("the displayed name is NFC", () => {
    assert.equal(accepts("Ma\u0303e"), "M\u00e3e");
  });

  test("exactly maxNameLength code points, counting astral characters as one", () => {
    accepts("a".repeat(32));
    accepts("😀".repeat(32));
    refuses("😀".repeat(33), "too_long");
  });
});

describe("checkName: refusals with their reason (C14, C17)", () => {
  const cases: [string, string, NameProblem][] = [
    ["empty", "", "empty"],
    ["too long", "a".repeat(33), "too_long"],
    ["a space (S5)", "Notebook Mãe", "space"],
    ["no-break space", "ana\u00a0b", "space"],
    ["ideographic space", "ana\u3000b", "space"],
    ["en quad", "ana\u2000b", "space"],
    ["line separator", "ana\u2028b", "space"],
    ["@ (S5)", "a@b", "at_sign"],
    ["leading @", "@ana", "at_sign"],
    ["fullwidth @", "a＠b", "at_sign"],
    ["small @", "a﹫b", "at_sign"],
    ["BEL", "ana\u0007", "control"],
    ["ESC sequence", "a\u001b[31mb", "control"],
    ["tab", "a\tb", "control"],
    ["NUL", "a\u0000b", "control"],
    ["DEL", "a\u007fb", "control"],
    ["C1 NEL", "a\u0085b", "control"],
    ["lone surrogate", "a\ud800b", "control"],
    ["zero-width joiner", "an\u200dna", "invisible"],
    ["zero-width space", "a\u200bb", "invisible"],
    ["zero-width non-joiner", "a\u200cb", "invisible"],
    ["word joiner", "a\u2060b", "invisible"],
    ["BOM", "\ufeffana", "invisible"],
    ["soft hyphen", "a\u00adb", "invisible"],
    ["RLO (Trojan Source)", "\u202eana", "invisible"],
    ["LRI", "a\u2066b", "invisible"],
    ["RLM", "a\u200fb", "invisible"],
    ["Arabic letter mark", "a\u061cb", "invisible"],
    ["Mongolian vowel separator", "a\u180eb", "invisible"],
    ["combining grapheme joiner", "a\u034fb", "invisible"],
    ["variation selector on a letter", "a\ufe0fb", "invisible"],
    ["Hangul filler", "\u3164", "invisible"],
    ["halfwidth Hangul filler", "a\uffa0", "invisible"],
    ["braille blank", "a\u2800b", "invisible"],
    ["tag characters", "ana\u{e0041}", "invisible"],
    ["private use", "a\ue000b", "invisible"],
    ["unassigned", "a\u{50000}b", "invisible"],
    ["emoji ZWJ sequence", "👨\u200d👩\u200d👧", "invisible"],
    ["leading { (json mode)", "{ana", "brace"],
    ["leading /", "/ana", "slash"],
    ["Cyrillic а among Latin", "pаypal", "mixed_script"],
    ["Cyrillic а in ana", "аna", "mixed_script"],
    ["Greek ο among Latin", "bοb", "mixed_script"],
    ["Latin and Cyrillic words", "ana_Иван", "mixed_script"],
    ["Japanese and Korean", "たろう김", "mixed_script"],
    ["Latin and Hebrew", "danדוד", "mixed_script"],
  ];
  for (const [label, raw, reason] of cases) test(label, () => refuses(raw, reason));

  test("a { or / elsewhere in the name is fine", () => {
    accepts("a{b");
    accepts("a/b");
  });
});

describe("checkName: reserved names compare by canonical key (C17)", () => {
  test("every reserved name, in any case", () => {
    for (const name of RESERVED_NAMES) {
      refuses(name, "reserved");
      refuses(name.toUpperCase(), "reserved");
      refuses(name[0]?.toUpperCase() + name.slice(1), "reserved");
    }
  });

  test("confusable and fullwidth forms of a reserved name are reserved too", () => {
    for (const raw of [
      "аdmin",
      "Аdmin",
      "ａｄｍｉｎ",
      "ＡＤＭＩＮ",
      "𝐚𝐝𝐦𝐢𝐧",
      "adrnin",
      "ѕуѕtеm",
      "r00t",
      "SERVIDOR",
    ]) {
      refuses(raw, "reserved");
    }
  });

  test("names that merely contain a reserved word are fine", () => {
    for (const raw of ["admin2", "rootbeer", "papo_fan", "allan"]) accepts(raw);
  });
});

describe("canonicalName: one key per look-alike family (C15, C16)", () => {
  test("case: Ana, ana, ANA (C15)", () => {
    sameName("Ana", "ana");
    sameName("ANA", "ana");
    sameName("Straße", "STRASSE");
    sameName("ΣΊΣΥΦΟΣ", "σίσυφος");
  });

  test("width and compatibility forms: ａｄｍｉｎ, 𝐚𝐧𝐚, ⓐⓝⓐ, ﬁ", () => {
    sameName("ａｄｍｉｎ", "admin");
    sameName("𝐚𝐧𝐚", "ana");
    sameName("ⓐⓝⓐ", "ana");
    sameName("ﬁona", "fiona");
  });

  test("confusables: аdmin (Cyrillic а), ADMIN and admin are one key (C16)", () => {
    const key = canonicalName("admin");
    for (const raw of ["аdmin", "Аdmin", "ADMIN", "ａｄｍｉｎ", "Admin"])
      assert.equal(canonicalName(raw), key, raw);
    sameName("раураl", "paypal");
    sameName("b0b", "bob");
    sameName("amie", "arnie");
    sameName("bi11", "bill");
  });

  test("precomposed and decomposed accents are one key", () => {
    sameName("Notebook_Mãe", "Notebook_Ma\u0303e");
    sameName("NOTEBOOK_MÃE", "notebook_mãe");
  });

  test("accents are not confusables (TR39): Mãe and Mae are two names", () => {
    differentNames("Notebook_Mãe", "Notebook_Mae");
    differentNames("João", "Joao");
    differentNames("ana", "anna");
  });

  test("invisible characters do not change the key", () => {
    sameName("an\u200dna", "anna");
    sameName("ana\ufe0f", "ana");
  });
});

describe("properties", () => {
  const anyName = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 12 }),
    fc.string({ unit: "binary", maxLength: 12 }),
    fc.string({ unit: "grapheme-ascii", maxLength: 12 }),
  );
  // Letters whose look-alikes the tests below substitute.
  const latinWord = fc.string({
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."),
    minLength: 1,
    maxLength: 16,
  });

  test("canonicalName is idempotent", () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const key = canonicalName(name);
        assert.equal(canonicalName(key), key);
      }),
      { numRuns: 2000 },
    );
  });

  test("canonicalName ignores case", () => {
    const word = fc.string({
      unit: fc.constantFrom(..."abcxyzãéçöñßσςΑΩαωБДЖбдж_0"),
      maxLength: 12,
    });
    fc.assert(
      fc.property(word, (name) => {
        assert.equal(canonicalName(name.toUpperCase()), canonicalName(name));
        assert.equal(canonicalName(name.toLowerCase()), canonicalName(name));
      }),
    );
  });

  test("canonicalName ignores width: fullwidth ASCII is the same name", () => {
    fc.assert(
      fc.property(latinWord, (name) => {
        const fullwidth = name.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
        assert.equal(canonicalName(fullwidth), canonicalName(name));
      }),
    );
  });

  test("canonicalName sees through Cyrillic look-alikes of Latin letters", () => {
    const lookalikes: Record<string, string> = {
      a: "а",
      c: "с",
      e: "е",
      i: "і",
      j: "ј",
      o: "о",
      p: "р",
      s: "ѕ",
      x: "х",
      y: "у",
    };
    fc.assert(
      fc.property(latinWord, fc.infiniteStream(fc.boolean()), (name, coin) => {
        const disguised = name.replace(/[acdeijopsxy]/g, (c) =>
          coin.next().value ? (lookalikes[c] ?? c) : c,
        );
        assert.equal(canonicalName(disguised), canonicalName(name));
      }),
    );
  });

  test("an accepted name is NFC, terminal-safe, within the rules, and keyed by canonicalName", () => {
    fc.assert(
      fc.property(anyName, (raw) => {
        const check = checkName(raw, rules);
        if (!check.ok) return;
        assert.equal(check.name, check.name.normalize("NFC"));
        assert.equal(check.canonical, canonicalName(check.name));
        assert.ok(isSafeText(check.name), JSON.stringify(check.name));
        assert.doesNotMatch(check.name, /[\p{White_Space}@\p{Cc}\p{Cf}]/u);
        assert.ok([...check.name].length <= rules.maxNameLength);
        assert.ok(!check.name.startsWith("{") && !check.name.startsWith("/"));
      }),
      { numRuns: 3000 },
    );
  });

  test("NFC and NFD spellings get the same verdict", () => {
    fc.assert(
      fc.property(anyName, (raw) => {
        assert.deepEqual(checkName(raw.normalize("NFD"), rules), checkName(raw.normalize("NFC"), rules));
      }),
      { numRuns: 1000 },
    );
  });

  test("plain ASCII words that are not reserved are accepted", () => {
    const reserved = new Set(RESERVED_NAMES.map(canonicalName));
    fc.assert(
      fc.property(
        latinWord.filter((w) => !w.startsWith("/") && !reserved.has(canonicalName(w))),
        (name) => {
          assert.equal(accepts(name), name);
        },
      ),
    );
  });
});

describe("generated script tables (data/scripts.ts)", () => {
  /** An independent decoder of the "gap.length.index" encoding: [first, last, index] triples. */
  function decode(encoded: string): [number, number, number][] {
    let prevEnd = -1;
    return encoded.split(" ").map((item) => {
      const [gap, length, index] = item.split(".").map((part) => Number.parseInt(part, 36));
      const first = prevEnd + 1 + (gap ?? Number.NaN);
      prevEnd = first + (length ?? Number.NaN);
      return [first, prevEnd, index ?? Number.NaN];
    });
  }
  const codes = SCRIPT_CODES.split(" ");
  const regexes = new Map<string, RegExp>();
  const matches = (property: "sc" | "scx", code: string, cp: number): boolean => {
    const key = `${property}=${code}`;
    let re = regexes.get(key);
    if (!re) {
      re = new RegExp(`^\\p{${key}}$`, "u");
      regexes.set(key, re);
    }
    return re.test(String.fromCodePoint(cp));
  };

  test("ranges are ordered, disjoint and within Unicode", () => {
    assert.match(UCD_VERSION, /^\d+\.\d+\.\d+$/);
    for (const encoded of [SCRIPT_RANGES, EXTENSION_RANGES]) {
      let prev = -1;
      for (const [first, last] of decode(encoded)) {
        assert.ok(first > prev && last >= first && last <= 0x10ffff, `${first}..${last}`);
        prev = last;
      }
    }
  });

  test("the engine agrees with the table's Script at every range boundary", () => {
    for (const [first, last, index] of decode(SCRIPT_RANGES)) {
      const code = codes[index];
      assert.ok(code, `index ${index}`);
      for (const cp of [first, last]) assert.ok(matches("sc", code, cp), `U+${cp.toString(16)} ${code}`);
    }
  });

  test("the engine agrees with the table's Script_Extensions", () => {
    const sets = EXTENSION_SETS.split("|").map((set) => set.split(" "));
    for (const [first, last, index] of decode(EXTENSION_RANGES)) {
      const set = sets[index];
      assert.ok(set, `index ${index}`);
      for (const cp of [first, last]) {
        for (const code of set) assert.ok(matches("scx", code, cp), `U+${cp.toString(16)} ${code}`);
      }
    }
  });
});
