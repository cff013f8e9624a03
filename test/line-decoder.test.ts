import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Decoded, LineDecoder } from "../src/protocol/line-decoder.ts";

const opts = { maxLineBytes: 32, maxPendingBytes: 64 };

function decodeAll(chunks: Uint8Array[], o = opts): Decoded[] {
  const d = new LineDecoder(o);
  return chunks.flatMap((c) => d.push(c));
}

/** Every way of cutting `bytes` in two and three pieces gives the same result as one piece. */
function assertEveryCut(bytes: Buffer, expected: Decoded[], o = opts): void {
  assert.deepEqual(decodeAll([bytes], o), expected);
  for (let i = 0; i <= bytes.length; i++) {
    assert.deepEqual(decodeAll([bytes.subarray(0, i), bytes.subarray(i)], o), expected, `cut at ${i}`);
    for (let j = i; j <= bytes.length; j++) {
      assert.deepEqual(
        decodeAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)], o),
        expected,
        `cuts at ${i},${j}`,
      );
    }
  }
}

const line = (text: string): Decoded => ({ kind: "line", text });

describe("LineDecoder (S4)", () => {
  it("splits coalesced lines and joins split ones, for every way of cutting the input", () => {
    assertEveryCut(Buffer.from("oi\nhello world\nbye\n"), [line("oi"), line("hello world"), line("bye")]);
  });

  it("keeps multi-byte characters intact across reads (S3, ROBUSTNESS A6)", () => {
    const text = "Notebook_Mãe diz olá 👋 ção";
    assertEveryCut(Buffer.from(`${text}\n`), [line(text)], { maxLineBytes: 64, maxPendingBytes: 128 });
  });

  it("delivers a character that arrives one byte per read", () => {
    const bytes = Buffer.from("ã👋\n");
    const d = new LineDecoder(opts);
    const out: Decoded[] = [];
    for (const b of bytes) out.push(...d.push(Buffer.from([b])));
    assert.deepEqual(out, [line("ã👋")]);
  });

  it("treats LF, CRLF and bare CR as line ends and ignores empty lines (ROBUSTNESS A8)", () => {
    assertEveryCut(Buffer.from("a\r\nb\nc\rd\r\n\r\n\n\re\n"), [
      line("a"),
      line("b"),
      line("c"),
      line("d"),
      line("e"),
    ]);
  });

  it("keeps a line that waits for its end", () => {
    const d = new LineDecoder(opts);
    assert.deepEqual(d.push(Buffer.from("half")), []);
    assert.equal(d.midLine, true);
    assert.deepEqual(d.push(Buffer.from(" line\n")), [line("half line")]);
    assert.equal(d.midLine, false);
  });

  it("drops a line over the limit with one error and keeps decoding (ROBUSTNESS A1)", () => {
    const long = "x".repeat(40);
    assertEveryCut(Buffer.from(`ok\n${long}\nnext\n`), [
      line("ok"),
      { kind: "too_long", limit: 32 },
      line("next"),
    ]);
  });

  it("accepts a line of exactly the limit", () => {
    const exact = "y".repeat(32);
    assert.deepEqual(decodeAll([Buffer.from(`${exact}\n`)]), [line(exact)]);
  });

  it("reports overflow when too many bytes arrive without a line end, holding none of them (ROBUSTNESS A2)", () => {
    const d = new LineDecoder(opts);
    assert.deepEqual(d.push(Buffer.alloc(50, 0x61)), []);
    assert.ok(d.pendingBytes <= opts.maxLineBytes, "discarded bytes are not kept");
    assert.deepEqual(d.push(Buffer.alloc(20, 0x61)), [{ kind: "overflow", limit: 64 }]);
    assert.deepEqual(d.push(Buffer.from("more\n")), [], "nothing after overflow");
  });

  it("rejects invalid UTF-8 lines and keeps the good ones (ROBUSTNESS A5)", () => {
    const bad = [
      Buffer.from([0xff]),
      Buffer.from([0xc0, 0xaf]), // overlong '/'
      Buffer.from([0xed, 0xa0, 0x80]), // surrogate
      Buffer.from([0xe2, 0x82]), // truncated
    ];
    for (const b of bad) {
      assert.deepEqual(decodeAll([Buffer.concat([Buffer.from("a\n"), b, Buffer.from("\nb\n")])]), [
        line("a"),
        { kind: "invalid_utf8" },
        line("b"),
      ]);
    }
  });

  it("rejects a NUL inside a line rather than truncating it (ROBUSTNESS A9)", () => {
    assert.deepEqual(decodeAll([Buffer.from("ab\0cd\nok\n")]), [{ kind: "invalid_utf8" }, line("ok")]);
  });

  it("never cuts a character when a line is over the byte limit (ROBUSTNESS A7)", () => {
    // "ã" is 2 bytes: 16 fit the 32-byte limit exactly; 17 (34 bytes) are dropped whole, never cut.
    assert.deepEqual(decodeAll([Buffer.from(`${"ã".repeat(16)}\n`)]), [line("ã".repeat(16))]);
    assert.deepEqual(decodeAll([Buffer.from(`${"ã".repeat(17)}\n`)]), [{ kind: "too_long", limit: 32 }]);
  });
});
