import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FrameDecoded, FrameDecoder, parseLegacyHeader } from "../src/protocol/frame-decoder.ts";
import { sniff } from "../src/protocol/sniff.ts";
import { legacyFrame } from "./helpers.ts";

function decodeAll(chunks: Uint8Array[]): FrameDecoded[] {
  const d = new FrameDecoder({ maxLineBytes: 32 });
  return chunks.flatMap((c) => d.push(c));
}

describe("seed 000 framing (S4)", () => {
  it("parses the 64-byte header", () => {
    assert.equal(parseLegacyHeader(legacyFrame("olá").subarray(0, 64)), 4);
    assert.equal(parseLegacyHeader(Buffer.alloc(64, 0x20)), -1);
    assert.equal(parseLegacyHeader(Buffer.from(`12x${" ".repeat(61)}`)), -1);
    assert.equal(parseLegacyHeader(Buffer.from(`1 2${" ".repeat(61)}`)), -1);
  });

  it("decodes frames however the bytes are cut", () => {
    const bytes = Buffer.concat([
      legacyFrame("oi"),
      legacyFrame("Notebook_Mãe 👋"),
      legacyFrame("Desconectar"),
    ]);
    const expected = [
      { kind: "line", text: "oi" },
      { kind: "line", text: "Notebook_Mãe 👋" },
      { kind: "line", text: "Desconectar" },
    ];
    assert.deepEqual(decodeAll([bytes]), expected);
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(decodeAll([bytes.subarray(0, i), bytes.subarray(i)]), expected, `cut at ${i}`);
    }
    const out: FrameDecoded[] = [];
    const d = new FrameDecoder({ maxLineBytes: 32 });
    for (const b of bytes) out.push(...d.push(Buffer.from([b])));
    assert.deepEqual(out, expected);
  });

  it("skips an over-long payload with an error and keeps going", () => {
    const bytes = Buffer.concat([legacyFrame("x".repeat(40)), legacyFrame("next")]);
    for (let i = 0; i <= bytes.length; i += 7) {
      assert.deepEqual(decodeAll([bytes.subarray(0, i), bytes.subarray(i)]), [
        { kind: "too_long", limit: 32 },
        { kind: "line", text: "next" },
      ]);
    }
  });

  it("reports a malformed header and stops", () => {
    assert.deepEqual(decodeAll([legacyFrame("ok"), Buffer.alloc(64, 0x41), legacyFrame("ignored")]), [
      { kind: "line", text: "ok" },
      { kind: "bad_frame" },
    ]);
  });

  it("rejects invalid UTF-8 in a payload", () => {
    const header = Buffer.alloc(64, 0x20);
    header.write("1", "latin1");
    assert.deepEqual(decodeAll([header, Buffer.from([0xff])]), [{ kind: "invalid_utf8" }]);
  });
});

describe("sniffing the first bytes", () => {
  it("recognises a legacy header only once 64 bytes of digits and spaces have arrived", () => {
    const frame = legacyFrame("hello");
    assert.equal(sniff(frame.subarray(0, 10)), "undecided");
    assert.equal(sniff(frame), "legacy");
  });

  it("takes a digit-led text line as text", () => {
    assert.equal(sniff(Buffer.from("123\n")), "lines");
    assert.equal(sniff(Buffer.from("42abc")), "lines");
  });

  it("takes names, json and other text as lines", () => {
    assert.equal(sniff(Buffer.from("ana\n")), "lines");
    assert.equal(sniff(Buffer.from('{"type":"hello"}\n')), "lines");
    assert.equal(sniff(Buffer.from("Notebook_Mãe\n")), "lines");
  });

  it("recognises HTTP requests and TLS ClientHellos", () => {
    assert.equal(sniff(Buffer.from("GET / HTTP/1.1\r\n")), "http");
    assert.equal(sniff(Buffer.from("GE")), "undecided");
    assert.equal(sniff(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])), "tls");
  });
});
