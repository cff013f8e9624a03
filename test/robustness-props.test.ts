/**
 * The property tests of ROBUSTNESS.md, kept in CI:
 * - any byte string, cut into any chunks, decodes to the same lines (LineDecoder, FrameDecoder);
 * - every line the server sends is valid UTF-8, within the limit, and free of C0 (but the line
 *   end), C1, DEL and bidi controls — checked on what real clients receive over TCP while a fuzzer
 *   sends arbitrary bytes and strings;
 * - two live users never share a canonical name (with C18's 100 socket races in robustness.test.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { Chat } from "../src/core/chat.ts";
import { canonicalName } from "../src/core/nickname.ts";
import type { Session, SessionPort } from "../src/core/session.ts";
import { type FrameDecoded, FrameDecoder, LEGACY_HEADER_BYTES } from "../src/protocol/frame-decoder.ts";
import { type Decoded, LineDecoder } from "../src/protocol/line-decoder.ts";
import { sanitizeText } from "../src/protocol/sanitize.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { type FaultServer, Peer, startFaultServer } from "./fault-helpers.ts";

/** Bytes with line ends, CRs and UTF-8 lead/continuation bytes over-represented. */
const byteArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 2, arbitrary: fc.constantFrom(0x0a, 0x0d) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0xc3, 0xa3, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x91, 0x8b, 0xed, 0xa0, 0x00),
  },
);
const bytesArb = (maxLength: number) => fc.array(byteArb, { maxLength }).map((a) => Uint8Array.from(a));

/** Cuts `bytes` at the given points (taken modulo its length), in order. */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => (bytes.length ? p % (bytes.length + 1) : 0)))].sort(
    (a, b) => a - b,
  );
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

function decodeAll<T>(make: () => { push(c: Uint8Array): T[] }, chunks: Uint8Array[]): T[] {
  const d = make();
  return chunks.flatMap((c) => d.push(c));
}

describe("property: any byte string, cut into any chunks, decodes to the same lines", () => {
  it("LineDecoder: chunking never changes the lines (A1, A5-A9)", () => {
    fc.assert(
      fc.property(bytesArb(800), fc.array(fc.nat(), { maxLength: 30 }), (bytes, points) => {
        const make = () => new LineDecoder({ maxLineBytes: 40, maxPendingBytes: 1 << 20 });
        const whole = decodeAll<Decoded>(make, [bytes]);
        assert.deepEqual(decodeAll<Decoded>(make, cut(bytes, points)), whole);
        // One byte per read: the worst case (A6).
        assert.deepEqual(decodeAll<Decoded>(make, cut(bytes, [...bytes.keys()])), whole);
      }),
      { numRuns: 300 },
    );
  });

  it("LineDecoder: a run past maxPendingBytes without a line end overflows however it is cut (A2)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 60 }), { maxLength: 5 }),
        fc.integer({ min: 65, max: 300 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (lines, tail, points) => {
          const head = lines.flatMap((l) => [...l, 0x0a]);
          const bytes = Uint8Array.from([...head, ...new Array<number>(tail).fill(0x41)]);
          const make = () => new LineDecoder({ maxLineBytes: 40, maxPendingBytes: 64 });
          const expected = [
            ...decodeAll<Decoded>(make, [Uint8Array.from(head)]),
            { kind: "overflow", limit: 64 },
          ];
          assert.deepEqual(decodeAll<Decoded>(make, [bytes]), expected);
          assert.deepEqual(decodeAll<Decoded>(make, cut(bytes, points)), expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("FrameDecoder: chunking never changes the frames (seed 000 framing)", () => {
    const frameArb = fc.oneof(
      { weight: 8, arbitrary: bytesArb(60).map((p) => ({ header: p.length, payload: p })) },
      // Longer than the payload limit: skipped with line_too_long.
      {
        weight: 1,
        arbitrary: bytesArb(120).map((p) => ({
          header: p.length + 60,
          payload: Uint8Array.from([...p, ...new Array<number>(60).fill(0x62)]),
        })),
      },
      // A malformed header: the decoder stops there.
      { weight: 1, arbitrary: bytesArb(LEGACY_HEADER_BYTES).map((p) => ({ header: -1, payload: p })) },
    );
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, points) => {
          const parts: number[] = [];
          for (const f of frames) {
            const header =
              f.header < 0
                ? `${"x".padEnd(LEGACY_HEADER_BYTES, " ")}`
                : String(f.header).padEnd(LEGACY_HEADER_BYTES, " ");
            parts.push(...Buffer.from(header, "latin1"), ...f.payload);
          }
          const bytes = Uint8Array.from(parts);
          const make = () => new FrameDecoder({ maxLineBytes: 100 });
          const whole = decodeAll<FrameDecoded>(make, [bytes]);
          assert.deepEqual(decodeAll<FrameDecoded>(make, cut(bytes, points)), whole);
          assert.deepEqual(decodeAll<FrameDecoded>(make, cut(bytes, [...bytes.keys()])), whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * Code points no peer may receive (ROBUSTNESS B11, B12): C0 but LF, DEL, C1, the bidi overrides and
 * isolates, and the bidi marks (U+200E, U+200F, U+061C) once the sanitizer removes them (item 1
 * is being tightened by another developer: the marks are checked as soon as sanitize.ts drops them).
 */
const STRIPS_MARKS = sanitizeText("a\u200fb\u200ec\u061cd") === "abcd";
const FORBIDDEN = STRIPS_MARKS
  ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u
  : /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Characters an attacker would try, over-represented among arbitrary code points. */
const nastyChar = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "\u001b",
      "\u001b[",
      "\u001b]",
      "\u001bP",
      "\u009b",
      "\u009d",
      "\u0085",
      "\u0007",
      "\b",
      "\u007f",
      "\r",
      "\t",
      "\u202e",
      "\u2066",
      "\u2069",
      "\u200f",
      "\u061c",
      "\u2028",
      "\ufeff",
      "\u200b",
      "@",
      "/",
      " ",
      "\\",
      '"',
      "{",
    ),
  },
  // Lone surrogates: only a JSON escape can carry one.
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const nastyString = fc.array(nastyChar, { maxLength: 80 }).map((a) => a.join(""));
/** What the fuzzer sends: a prefix that makes it a message, action, private message or rename. */
const fuzzInput = fc.tuple(
  fc.constantFrom("", "", "/me ", "@prx ", "@pjs ", "/nick ", "//", "/"),
  nastyString,
);
const fuzzBytes = bytesArb(120);

describe("property: every line the server sends is valid UTF-8, within the limit, free of controls", () => {
  let s: FaultServer;
  let rx: Peer;
  let js: Peer;
  let fuzzText: Peer;
  let fuzzJson: Peer;
  let control: Peer;
  before(async () => {
    s = await startFaultServer({ floodBurst: 1_000_000, renameBurst: 1_000_000 });
    rx = await Peer.joinText(s.port, "prx");
    js = await Peer.joinJson(s.port, "pjs");
    control = await Peer.joinJson(s.port, "pcontrol");
    fuzzText = await Peer.joinText(s.port, "fuzz_text");
    fuzzJson = await Peer.joinJson(s.port, "fuzz_json");
  });
  after(async () => {
    for (const p of [rx, js, control, fuzzText, fuzzJson]) p.close();
    await s.close();
  });

  function check(p: Peer, from: number, json: boolean): void {
    for (const raw of p.rawLines.slice(from)) {
      const line = strictUtf8.decode(raw); // throws on invalid UTF-8
      assert.ok(!FORBIDDEN.test(line), `unsafe character in ${JSON.stringify(line)}`);
      // A message line is at most the line limit plus a name and a label; JSON escapes can double it.
      const limit = json ? 2 * 2048 + 512 : 2048 + 512;
      assert.ok(raw.length <= limit, `line of ${raw.length} bytes`);
      if (json) {
        const walk = (v: unknown): void => {
          if (typeof v === "string")
            assert.ok(!FORBIDDEN.test(v), `unsafe character in ${JSON.stringify(v)}`);
          else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
        };
        walk(JSON.parse(line));
      }
    }
  }

  let round = 0;
  it("fuzzed bytes (text mode) and strings (json mode) reach peers only as safe UTF-8", async (t) => {
    if (!STRIPS_MARKS)
      t.diagnostic("sanitizeText keeps the bidi marks U+200E/U+200F/U+061C: not checked yet");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fuzzInput, { maxLength: 6 }),
        fc.array(fuzzBytes, { maxLength: 6 }),
        async (inputs, blobs) => {
          const marks = [rx, js, fuzzText, fuzzJson].map((p) => p.rawLines.length);
          for (const [prefix, text] of inputs) {
            // /quit would end the fuzzer's session: that path is tested on its own (C19).
            if (/^\/(quit|sair|exit)\b/i.test(`${prefix}${text}`.trim())) continue;
            fuzzJson.say(`${prefix}${text}`);
            if (prefix === "/nick ") fuzzJson.request({ type: "name", name: text });
          }
          for (const b of blobs) {
            // A raw line: whatever bytes, then a line end (a lone /quit line is skipped as above).
            if (/^\s*\/(quit|sair|exit)\b/i.test(Buffer.from(b).toString("latin1"))) continue;
            fuzzText.send(Buffer.concat([Buffer.from(b), Buffer.from("\n")]));
          }
          // A marker through the room: once everyone has it, everything before it has arrived.
          const marker = `marker ${++round}`;
          control.say(marker);
          await rx.waitLine(`pcontrol: ${marker}`, { from: marks[0] });
          await js.waitEvent("message", (e) => e.text === marker, { from: 0 });
          await fuzzText.waitLine(`pcontrol: ${marker}`, { from: marks[2] });
          await fuzzJson.waitEvent("message", (e) => e.text === marker, { from: 0 });
          check(rx, marks[0] ?? 0, false);
          check(js, marks[1] ?? 0, true);
          // The fuzzers' own answers (errors about what they sent) are held to the same rule.
          check(fuzzText, marks[2] ?? 0, false);
          check(fuzzJson, marks[3] ?? 0, true);
          assert.equal(fuzzText.closed || fuzzJson.closed, false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("property: two live users never share a canonical name (C15, C16, C18)", () => {
  /** Names that collide in every way the rules know: case, width, confusables, accents. */
  const NAMES = [
    "ana",
    "Ana",
    "ANA",
    "\u0430na", // Cyrillic а
    "ａｎａ", // fullwidth
    "Ána",
    "bob",
    "BOB",
    "b0b",
    "paulo",
    "\u0440\u0430ulo", // Cyrillic р а
    "Notebook_Mãe",
    "Notebook_Ma\u0303e", // decomposed ã
    "rn",
    "m",
  ];
  type Op = { kind: "join" | "rename" | "leave"; who: number; name: string };
  const opArb: fc.Arbitrary<Op> = fc.record({
    kind: fc.constantFrom("join", "join", "rename", "leave") as fc.Arbitrary<Op["kind"]>,
    who: fc.integer({ min: 0, max: 7 }),
    name: fc.constantFrom(...NAMES),
  });

  it("any sequence of joins, renames and departures keeps canonical names unique", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const chat = new Chat({
          server: "papo/test",
          hideAddresses: false,
          maxNameLength: 32,
          registrationTimeoutMs: 0,
          logMessages: false,
          store: new MemoryStore(),
        });
        const sessions: Array<Session | undefined> = [];
        const port = (): SessionPort => ({ remote: "127.0.0.1:1", echo: false, send() {}, close() {} });
        for (const op of ops) {
          let s = sessions[op.who];
          if (op.kind === "join") {
            if (!s || s.closed) {
              s = chat.open(port());
              sessions[op.who] = s;
              s.start();
            }
            s.nameRequest(op.name);
          } else if (op.kind === "rename") {
            s?.nameRequest(op.name);
          } else {
            s?.lost();
          }
          const live = [...chat.members()];
          const keys = live.map((m) => canonicalName(m.name));
          assert.equal(new Set(keys).size, keys.length, `shared: ${live.map((m) => m.name).join(", ")}`);
          for (const m of live) assert.equal(m.canonical, canonicalName(m.name));
          assert.equal(chat.online, live.length);
        }
        for (const s of sessions) s?.lost();
        assert.equal(chat.online, 0);
      }),
      { numRuns: 300 },
    );
  });
});
