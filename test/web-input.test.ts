/**
 * Issue 13: the browser's message field and message text, the pure parts — Tab completion with
 * cycling and Up/Down recall (src/client/web/compose.ts), http(s) links (src/client/web/links.ts).
 * The page itself is driven in Chromium by test/web-e2e.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type Cycle, type Field, InputHistory, tabComplete } from "../src/client/web/compose.ts";
import { linkify } from "../src/client/web/links.ts";

const at = (value: string): Field => ({ value, cursor: value.length });
const SOURCES = {
  users: ["ana", "Anabela", "bruno", "eu"],
  self: "eu",
  rooms: ["#lobby", "#geral", "#games"],
};

/** Presses Tab `n` times from `field`; returns each result's value. */
function tabs(field: Field, n: number, step: 1 | -1 = 1): string[] {
  const out: string[] = [];
  let f = field;
  let cycle: Cycle | null = null;
  for (let i = 0; i < n; i++) {
    const r = tabComplete(f, SOURCES, cycle, step);
    if (!r) break;
    f = r.field;
    cycle = r.cycle;
    out.push(f.value);
  }
  return out;
}

describe("Tab completion in the browser (issue 13)", () => {
  it("names: a name at the start addresses someone (ana: ), repeated Tab cycles, Shift+Tab goes back", () => {
    assert.deepEqual(tabs(at("an"), 3), ["ana: ", "Anabela: ", "ana: "]);
    assert.deepEqual(tabs(at("an"), 2, -1), ["Anabela: ", "ana: "]);
    assert.deepEqual(tabs(at("oi br"), 1), ["oi bruno "]);
    assert.deepEqual(tabs(at("@b"), 1), ["@bruno "]);
    assert.deepEqual(tabs(at("e"), 1), [], "not your own name");
  });

  it("rooms after /join and /part, or a # word; commands after /", () => {
    assert.deepEqual(tabs(at("/join #g"), 3), ["/join #games ", "/join #geral ", "/join #games "]);
    assert.deepEqual(tabs(at("/part "), 1), ["/part #games "]);
    assert.deepEqual(tabs(at("vem pro #ge"), 1), ["vem pro #geral "]);
    assert.deepEqual(tabs(at("/jo"), 1), ["/join "]);
    assert.deepEqual(tabs(at("/h"), 2), ["/help ", "/historico "]);
  });

  it("completes the word before the cursor and keeps what follows it", () => {
    const r = tabComplete({ value: "oi br tudo bem?", cursor: 5 }, SOURCES, null);
    assert.deepEqual(r?.field, { value: "oi bruno tudo bem?", cursor: 8 });
  });

  it("nothing to complete: null (Tab keeps its usual meaning), typing ends a cycle", () => {
    assert.equal(tabComplete(at(""), SOURCES, null), null);
    assert.equal(tabComplete(at("  "), SOURCES, null), null);
    // A line that only addresses someone (typed, not a cycle): the next name takes its place.
    assert.equal(tabComplete(at("ana: "), SOURCES, null)?.field.value, "Anabela: ");
    assert.equal(tabComplete(at("xyz"), SOURCES, null), null);
    const first = tabComplete(at("an"), SOURCES, null);
    assert.ok(first);
    // The user typed something after the completion: a new completion starts from the new text.
    const next = tabComplete(at(`${first.field.value}oi b`), SOURCES, first.cycle);
    assert.equal(next?.field.value, "ana: oi bruno ");
  });
});

describe("Up/Down recall in the browser (issue 13)", () => {
  it("Up goes back through what was sent, Down comes back to the draft being typed", () => {
    const h = new InputHistory();
    h.push("one");
    h.push("two");
    assert.equal(h.up("half typ"), "two");
    assert.equal(h.up("two"), "one");
    assert.equal(h.up("one"), null, "nothing older");
    assert.equal(h.down(), "two");
    assert.equal(h.down(), "half typ", "the draft is kept");
    assert.equal(h.down(), null);
  });

  it("repeats and blank lines are stored once; the list is bounded", () => {
    const h = new InputHistory(3);
    for (const l of ["a", "a", " ", "b", "c", "d"]) h.push(l);
    assert.equal(h.up(""), "d");
    assert.equal(h.up(""), "c");
    assert.equal(h.up(""), "b");
    assert.equal(h.up(""), null);
  });

  it("property: going up k times then down k times gives the draft back", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 20 }), fc.string(), fc.nat(25), (sent, draft, k) => {
        const h = new InputHistory();
        for (const s of sent) h.push(s);
        let ups = 0;
        for (let i = 0; i < k; i++) if (h.up(draft) !== null) ups++;
        let last: string | null = draft;
        for (let i = 0; i < ups; i++) last = h.down();
        assert.equal(last, draft);
      }),
    );
  });
});

describe("links in messages (issue 13)", () => {
  const links = (text: string) => linkify(text).filter((s) => "href" in s);

  it("http and https URLs become links; the text around them stays text", () => {
    assert.deepEqual(linkify("see https://example.org/a?b=1#c, ok"), [
      { text: "see " },
      { text: "https://example.org/a?b=1#c", href: "https://example.org/a?b=1#c" },
      { text: ", ok" },
    ]);
    assert.deepEqual(
      links("HTTP://Example.org").map((s) => s.text),
      ["HTTP://Example.org"],
    );
    assert.deepEqual(
      links("(https://en.wikipedia.org/wiki/Foo_(bar)) and http://x.org.").map((s) => s.text),
      ["https://en.wikipedia.org/wiki/Foo_(bar)", "http://x.org"],
    );
  });

  it("no other scheme is a link: javascript:, data:, file:, ftp:", () => {
    for (const text of [
      "javascript:alert(1)",
      "JavaScript:alert(document.cookie)//http",
      "data:text/html,<script>alert(1)</script>",
      "file:///etc/passwd",
      "ftp://example.org",
      "http://",
      "<a href=javascript:alert(1)>x</a>",
    ])
      assert.deepEqual(links(text), [], text);
  });

  it("markup next to a link stays text, and the href is the parsed URL", () => {
    const segs = linkify('<script>x</script>https://a.org/"><img src=x>');
    assert.deepEqual(segs, [
      { text: "<script>x</script>" },
      { text: "https://a.org/", href: "https://a.org/" },
      { text: '"><img src=x>' },
    ]);
  });

  it("property: the segments put back together are the message", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.constantFrom("https://a.org/x", "http://b.c", " ", "(", ")", ".", "javascript:"),
          ),
          {
            maxLength: 12,
          },
        ),
        (parts) => {
          const text = parts.join("");
          const segs = linkify(text);
          assert.equal(segs.map((s) => s.text).join(""), text);
          for (const s of segs) if ("href" in s) assert.match(s.href, /^https?:\/\//);
        },
      ),
      { numRuns: 500 },
    );
  });
});
