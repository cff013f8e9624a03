/**
 * The pure parts of what the seeds' own clients need (issue 10, "The seeds' own clients,
 * unchanged"): the quiet-gap rule, seed 002's `<NAME> <TEXT>`, seed 001's label and ASCII.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LineDecoder } from "../src/protocol/line-decoder.ts";
import { asciiSafe, parseSeed002, QuietGapRule, stripOwnLabel } from "../src/protocol/seed-compat.ts";

const b = (s: string) => Buffer.from(s);

describe("QuietGapRule: is a fragment followed by quiet a line, for this connection?", () => {
  it("on for a first message sent whole with one send() and no line end (seeds 001-004)", () => {
    const r = new QuietGapRule();
    r.read(b("Notebook_Mãe"), false, true);
    assert.equal(r.quiet(13), true);
    assert.equal(r.state, "on");
    // From then on every quiet fragment is a line, however it arrived.
    r.read(b("ol"), false, true);
    r.read(b("á"), false, true);
    assert.equal(r.quiet(4), true);
  });

  it("off for a first message with a line end (nc, telnet in line mode, every papo client)", () => {
    const r = new QuietGapRule();
    r.read(b("ana\n"), true, false);
    assert.equal(r.state, "off");
    assert.equal(r.possible, false);
    r.read(b("half a line"), false, true);
    assert.equal(r.quiet(11), false);
  });

  it("off for one-byte-per-packet typing (telnet character mode, a raw terminal)", () => {
    const r = new QuietGapRule();
    for (const c of "ana") r.read(b(c), false, true);
    assert.equal(r.quiet(3), false);
    assert.equal(r.state, "off");
  });

  it("a single byte in one read stays undecided (it may be the first key of typing)", () => {
    const r = new QuietGapRule();
    r.read(b("a"), false, true);
    assert.equal(r.quiet(1), false);
    assert.equal(r.state, "undecided");
    r.read(b("n"), false, true);
    assert.equal(r.quiet(2), false);
    assert.equal(r.state, "off");
  });

  it("off once a telnet IAC byte is seen", () => {
    const r = new QuietGapRule();
    r.read(Buffer.from([0xff, 0xfb, 0x18, 0x61, 0x6e, 0x61]), false, true);
    assert.equal(r.quiet(6), false);
    assert.equal(r.state, "off");
  });

  it("forced on for seed 001's port", () => {
    const r = new QuietGapRule(true);
    r.read(b("a"), false, true);
    assert.equal(r.quiet(1), true);
  });

  it("a line end in the same read as a fragment resets the fragment's read count", () => {
    const r = new QuietGapRule();
    r.read(b("first"), false, true);
    assert.equal(r.quiet(5), true);
    r.read(b("x\ny"), true, true);
    assert.equal(r.quiet(1), true);
  });
});

describe("LineDecoder.takeFragment", () => {
  it("takes the pending fragment as a line, once; nothing when nothing is pending", () => {
    const d = new LineDecoder({ maxLineBytes: 100, maxPendingBytes: 1000 });
    assert.deepEqual(d.push(b("one\ntw")), [{ kind: "line", text: "one" }]);
    assert.equal(d.firstByte, "t".charCodeAt(0));
    assert.deepEqual(d.takeFragment(), { kind: "line", text: "tw" });
    assert.equal(d.midLine, false);
    assert.equal(d.takeFragment(), undefined);
    assert.deepEqual(d.push(b("three\n")), [{ kind: "line", text: "three" }]);
  });

  it("a fragment over the limit is too long; invalid UTF-8 is refused", () => {
    const d = new LineDecoder({ maxLineBytes: 3, maxPendingBytes: 1000 });
    d.push(b("abcdef"));
    assert.deepEqual(d.takeFragment(), { kind: "too_long", limit: 3 });
    d.push(Buffer.from([0xc3]));
    assert.deepEqual(d.takeFragment(), { kind: "invalid_utf8" });
  });

  it("any text cut anywhere and taken as fragments keeps every byte, in order", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\r\n\0]/.test(s)),
        (text) => {
          const d = new LineDecoder({ maxLineBytes: 1000, maxPendingBytes: 1000 });
          d.push(b(text));
          assert.deepEqual(d.takeFragment(), { kind: "line", text });
        },
      ),
    );
  });
});

describe("seed 002: <NAME> <TEXT>", () => {
  it("parses exactly that shape", () => {
    assert.deepEqual(parseSeed002("<ana> <oi, tudo bem?>"), { name: "ana", text: "oi, tudo bem?" });
    assert.deepEqual(parseSeed002("<Notebook_Mãe> <>"), { name: "Notebook_Mãe", text: "" });
    assert.deepEqual(parseSeed002("<ana> <a <b> c>"), { name: "ana", text: "a <b> c" });
    assert.deepEqual(parseSeed002("<ana> </sair>"), { name: "ana", text: "/sair" });
    for (const not of ["ana oi", "<ana oi>", "<ana> oi", "<an a> <x>", "<> <x>", "x <ana> <oi>"])
      assert.equal(parseSeed002(not), undefined, not);
  });
});

describe("seed 001: its own label, ASCII only", () => {
  it("strips the client's own `name: ` prefix only", () => {
    assert.equal(stripOwnLabel("ana: oi", "ana"), "oi");
    assert.equal(stripOwnLabel("ana: ana: oi", "ana"), "ana: oi");
    assert.equal(stripOwnLabel("bob: oi", "ana"), "bob: oi");
    assert.equal(stripOwnLabel("ana:", "ana"), "");
    assert.equal(stripOwnLabel("ana: oi", ""), "ana: oi");
  });

  it("makes any text printable ASCII, keeping letters readable", () => {
    assert.equal(asciiSafe("Notebook_Mãe: ção é"), "Notebook_Mae: cao e");
    assert.equal(asciiSafe("* ana — “oi” …\n"), '* ana - "oi" ...\n');
    assert.equal(asciiSafe("olá 👋 世界"), "ola ? ??");
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        assert.match(asciiSafe(s), /^[\x20-\x7e\n]*$/);
      }),
    );
  });
});
