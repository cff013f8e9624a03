/**
 * Issue 13: names get distinct colours in both colour schemes (two users in one colour was seen in
 * dark mode). The palette is read from the stylesheet the page uses, and its contrast (WCAG 2.x)
 * and spread (OKLab distance) are computed here; the assignment (src/client/web/colours.ts) is
 * checked to be stable, case-insensitive and collision-free among the people present.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { NameColours, PALETTE_SIZE, preferredColour } from "../src/client/web/colours.ts";

const CSS = readFileSync(new URL("../src/client/web/styles.css", import.meta.url), "utf8");

/** The custom properties of the light `:root` block and of the dark one (prefers-color-scheme). */
function schemes(): { light: Map<string, string>; dark: Map<string, string> } {
  const vars = (block: string) =>
    new Map([...block.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})\s*;/gi)].map((m) => [m[1] ?? "", m[2] ?? ""]));
  const light = /^:root\s*\{([^}]*)\}/m.exec(CSS)?.[1];
  const dark = /@media \(prefers-color-scheme: dark\)\s*\{\s*:root\s*\{([^}]*)\}/m.exec(CSS)?.[1];
  assert.ok(light && dark, "styles.css has a light and a dark :root block");
  return { light: vars(light), dark: vars(dark) };
}

function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
}

const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

/** WCAG 2.x relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map(linear) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

/** Björn Ottosson's OKLab: Euclidean distance there follows perceived difference. */
function oklab(hex: string): [number, number, number] {
  const [r, g, b] = rgb(hex).map(linear) as [number, number, number];
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259066347 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}
function distance(a: string, b: string): number {
  const [p, q] = [oklab(a), oklab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

/** Every background a name or a link is shown on: the page, panels, own, private and mentioned messages. */
const BACKGROUNDS = ["bg", "panel", "own", "private", "mention"];
/** About four times the just-noticeable OKLab difference (≈ 0.02). */
const MIN_DISTANCE = 0.075;

describe("name colours (issue 13)", () => {
  const { light, dark } = schemes();

  it("the palette has at least 12 colours, in both schemes, each with its class", () => {
    assert.ok(PALETTE_SIZE >= 12);
    for (const vars of [light, dark]) {
      const names = [...vars.keys()].filter((k) => /^n\d+$/.test(k));
      assert.deepEqual(names.sort(), Array.from({ length: PALETTE_SIZE }, (_, i) => `n${i}`).sort());
    }
    for (let i = 0; i < PALETTE_SIZE; i++)
      assert.match(CSS, new RegExp(`\\.nc${i} \\{\\s*color: var\\(--n${i}\\);`));
  });

  for (const [scheme, vars] of [
    ["light", light],
    ["dark", dark],
  ] as const) {
    it(`${scheme}: every name colour and the link colour reach WCAG contrast 4.5 on every background`, () => {
      const colours = [...Array(PALETTE_SIZE).keys()].map((i) => vars.get(`n${i}`) ?? "");
      for (const fg of [...colours, vars.get("mention-edge") ?? ""])
        for (const bgName of BACKGROUNDS) {
          const bg = vars.get(bgName);
          assert.ok(bg, `--${bgName}`);
          const c = contrast(fg, bg);
          assert.ok(c >= 4.5, `${scheme} ${fg} on --${bgName} ${bg}: ${c.toFixed(2)}`);
        }
    });

    it(`${scheme}: any two name colours are far apart (OKLab distance >= ${MIN_DISTANCE})`, () => {
      const colours = [...Array(PALETTE_SIZE).keys()].map((i) => vars.get(`n${i}`) ?? "");
      for (let i = 0; i < colours.length; i++)
        for (let j = i + 1; j < colours.length; j++) {
          const d = distance(colours[i] ?? "", colours[j] ?? "");
          assert.ok(
            d >= MIN_DISTANCE,
            `${scheme} n${i} ${colours[i]} vs n${j} ${colours[j]}: ${d.toFixed(3)}`,
          );
        }
    });
  }

  it("a name's colour is stable and ignores case (the server's folding)", () => {
    assert.equal(preferredColour("Ana"), preferredColour("ana"));
    assert.equal(preferredColour("ＡＮＡ"), preferredColour("ana"));
    const a = new NameColours();
    const b = new NameColours();
    assert.equal(a.colour("Bruno"), b.colour("bruno"));
    assert.equal(a.colour("bruno"), preferredColour("bruno"), "nobody present: the hash decides");
  });

  const names = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 10 }), {
    selector: (n) => n.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFC"),
    maxLength: PALETTE_SIZE,
  });

  it("property: up to 12 people present never share a colour, whatever their names", () => {
    fc.assert(
      fc.property(names, (present) => {
        const colours = new NameColours();
        colours.update(present);
        const got = present.map((n) => colours.colour(n));
        assert.equal(new Set(got).size, present.length, JSON.stringify({ present, got }));
      }),
      { numRuns: 500 },
    );
  });

  it("property: people keep their colours while others come and go, and arrivals take free ones", () => {
    fc.assert(
      fc.property(names, fc.array(fc.nat(), { maxLength: 30 }), (pool, moves) => {
        const colours = new NameColours();
        let present: string[] = [];
        const seen = new Map<string, number>();
        for (const m of moves) {
          const name = pool[m % Math.max(1, pool.length)];
          if (name === undefined) return;
          // Each move toggles one person in or out; someone may speak while away (history).
          if (present.includes(name)) present = present.filter((n) => n !== name);
          else present = [...present, name];
          colours.update(present);
          const now = present.map((n) => colours.colour(n));
          assert.equal(new Set(now).size, present.length);
          for (const n of present) {
            const before = seen.get(n);
            if (before !== undefined) assert.equal(colours.colour(n), before, `${n} kept its colour`);
          }
          for (const n of pool) if (!present.includes(n)) seen.delete(n);
          for (const n of present) seen.set(n, colours.colour(n));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("12 common names present at once: 12 different colours", () => {
    const people = [
      "ana",
      "bruno",
      "carla",
      "davi",
      "eva",
      "felipe",
      "gabi",
      "hugo",
      "iris",
      "joão",
      "kátia",
      "lucas",
    ];
    const colours = new NameColours();
    colours.update(people);
    assert.equal(new Set(people.map((n) => colours.colour(n))).size, 12);
  });
});
