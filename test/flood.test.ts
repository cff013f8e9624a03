/**
 * Flood control's pure parts (issue 10 item 2): the token bucket's debt, the queue that delays a
 * throttled sender's lines in order, its caps, and what each line costs. Time is a fake clock.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FloodGate, type FloodLimits, FloodQueue, TokenBucket } from "../src/core/flood.ts";
import { isControlRequest, itemBytes, itemCost, lineCost } from "../src/protocol/pacing.ts";

const LIMITS: FloodLimits = {
  floodBurst: 8,
  floodIntervalMs: 500,
  floodMaxBacklogBytes: 64 * 1024,
  floodMaxLagMs: 600_000,
  renameBurst: 3,
  renameIntervalMs: 10_000,
};

function clock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("TokenBucket.reserve (issue 10 item 2: delay, do not drop)", () => {
  it("grants the burst at once, then one line per interval, in debt", () => {
    const c = clock();
    const b = new TokenBucket(3, 100, c.now);
    assert.deepEqual([b.reserve(), b.reserve(), b.reserve()], [0, 0, 0]);
    assert.deepEqual([b.reserve(), b.reserve(), b.reserve()], [100, 200, 300]);
    c.advance(250);
    assert.equal(b.reserve(), 150);
  });

  it("waits never decrease, whatever the timing (order is kept)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }), (gaps) => {
        const c = clock();
        const b = new TokenBucket(4, 100, c.now);
        let lastDue = Number.NEGATIVE_INFINITY;
        for (const g of gaps) {
          c.advance(g);
          const due = c.now() + b.reserve();
          assert.ok(due >= lastDue - 1, `due ${due} after ${lastDue}`);
          lastDue = due;
        }
      }),
    );
  });
});

describe("FloodQueue (issue 10 item 2)", () => {
  function drain(q: FloodQueue<string>, c: ReturnType<typeof clock>, out: string[]): number {
    let waited = 0;
    for (;;) {
      for (let x = q.next(); x !== undefined; x = q.next()) out.push(x);
      const due = q.dueInMs;
      if (due < 0) return waited;
      c.advance(Math.max(1, due));
      waited += Math.max(1, due);
    }
  }

  it("a 24-line paste: the burst goes at once, the rest in order at the steady rate, none lost", () => {
    const c = clock();
    const q = new FloodQueue<string>(new FloodGate(LIMITS, c.now));
    const now: string[] = [];
    for (let i = 0; i < 24; i++) {
      const v = q.offer(`l${i}`, 3, 1);
      assert.notEqual(v, "over");
      if (v === "now") now.push(`l${i}`);
    }
    assert.deepEqual(
      now,
      Array.from({ length: 8 }, (_, i) => `l${i}`),
    );
    assert.equal(q.length, 16);
    assert.equal(q.lagMs, 16 * 500);
    const out: string[] = [];
    const waited = drain(q, c, out);
    assert.deepEqual(
      out,
      Array.from({ length: 16 }, (_, i) => `l${i + 8}`),
    );
    assert.equal(waited, 16 * 500);
    assert.equal(q.bytes, 0);
  });

  it("lines arriving at 4/s against 2/s: each one waits, none is lost", () => {
    const c = clock();
    const q = new FloodQueue<string>(new FloodGate(LIMITS, c.now));
    const out: string[] = [];
    for (let i = 0; i < 24; i++) {
      for (let x = q.next(); x !== undefined; x = q.next()) out.push(x);
      if (q.offer(`l${i}`, 3, 1) === "now") out.push(`l${i}`);
      c.advance(250);
    }
    drain(q, c, out);
    assert.deepEqual(
      out,
      Array.from({ length: 24 }, (_, i) => `l${i}`),
    );
  });

  it("once anything waits, even a free line waits behind it (order)", () => {
    const c = clock();
    const q = new FloodQueue<string>(new FloodGate({ ...LIMITS, floodBurst: 1 }, c.now));
    assert.equal(q.offer("a", 1, 1), "now");
    assert.equal(q.offer("b", 1, 1), "queued");
    assert.equal(q.offer("free", 0, 0), "queued");
    const out: string[] = [];
    drain(q, c, out);
    assert.deepEqual(out, ["b", "free"]);
  });

  it("a backlog past floodMaxLagMs or floodMaxBacklogBytes is 'over'", () => {
    const c = clock();
    const lag = new FloodQueue<string>(new FloodGate({ ...LIMITS, floodMaxLagMs: 2000 }, c.now));
    const verdicts = Array.from({ length: 14 }, (_, i) => lag.offer(`l${i}`, 1, 1));
    // 8 at once, 4 within 2 s of lag, the 13th would wait 2.5 s.
    assert.deepEqual(verdicts.slice(8, 12), ["queued", "queued", "queued", "queued"]);
    assert.equal(verdicts[12], "over");
    const bytes = new FloodQueue<string>(new FloodGate({ ...LIMITS, floodMaxBacklogBytes: 100 }, c.now));
    for (let i = 0; i < 8; i++) assert.equal(bytes.offer("x", 60, 1), "now");
    assert.equal(bytes.offer("x", 60, 1), "queued");
    assert.equal(bytes.offer("x", 60, 1), "over");
  });

  it("0 turns the caps off; no burst configured means no flood control", () => {
    const c = clock();
    const q = new FloodQueue<string>(
      new FloodGate({ ...LIMITS, floodMaxLagMs: 0, floodMaxBacklogBytes: 0 }, c.now),
    );
    for (let i = 0; i < 10_000; i++) assert.notEqual(q.offer("x", 1000, 1), "over");
    const off = new FloodQueue<string>(new FloodGate({ ...LIMITS, floodBurst: 0 }, c.now));
    for (let i = 0; i < 100; i++) assert.equal(off.offer("x", 1, 1), "now");
  });

  it("any arrival pattern: every line comes out once, in order, never before its turn", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 800 }), n: fc.integer({ min: 1, max: 20 }) }), {
          maxLength: 20,
        }),
        (bursts) => {
          const c = clock();
          const q = new FloodQueue<number>(new FloodGate(LIMITS, c.now));
          const out: number[] = [];
          const times: number[] = [];
          let id = 0;
          const take = () => {
            for (let x = q.next(); x !== undefined; x = q.next()) {
              out.push(x);
              times.push(c.now());
            }
          };
          for (const { gap, n } of bursts) {
            c.advance(gap);
            take();
            for (let i = 0; i < n; i++) {
              const mine = id++;
              if (q.offer(mine, 5, 1) === "now") {
                out.push(mine);
                times.push(c.now());
              }
            }
          }
          for (let due = q.dueInMs; due >= 0; due = q.dueInMs) {
            c.advance(Math.max(1, due));
            take();
          }
          assert.deepEqual(
            out,
            Array.from({ length: id }, (_, i) => i),
          );
          // The steady rate holds: within any window, at most burst + window/interval lines.
          for (let i = 0; i < times.length; i++)
            for (let j = i; j < times.length; j++) {
              const allowed = LIMITS.floodBurst + ((times[j] as number) - (times[i] as number)) / 500 + 1e-9;
              assert.ok(
                j - i + 1 <= allowed + 1,
                `${j - i + 1} lines in ${(times[j] as number) - (times[i] as number)} ms`,
              );
            }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("what a line costs (src/protocol/pacing.ts)", () => {
  it("empty lines and json pong are free; everything else costs one, hello and ping too (issue 9 item 4)", () => {
    assert.equal(lineCost("", false), 0);
    assert.equal(lineCost("   ", true), 0);
    assert.equal(lineCost("hello", false), 1);
    assert.equal(lineCost("/quit", false), 1);
    assert.equal(lineCost('{"type":"ping","id":3}', true), 1);
    assert.equal(lineCost('{ "type" : "pong" }', true), 0);
    assert.equal(lineCost('{"type":"hello","protocol":1}', true), 1);
    // Only in json mode: a text user typing that is chatting.
    assert.equal(lineCost('{"type":"ping"}', false), 1);
    assert.equal(lineCost('{"type":"line","text":"{\\"type\\":\\"ping\\"}"}', true), 1);
    assert.equal(isControlRequest('{"type":"pingx"}'), false);
  });

  it("bad lines cost one, fatal ones nothing; a line holds its UTF-8 bytes", () => {
    assert.equal(itemCost({ kind: "too_long", limit: 10 }, false), 1);
    assert.equal(itemCost({ kind: "invalid_utf8" }, false), 1);
    assert.equal(itemCost({ kind: "overflow", limit: 10 }, false), 0);
    assert.equal(itemCost({ kind: "bad_frame" }, false), 0);
    assert.equal(itemBytes({ kind: "line", text: "mãe" }), 4);
    assert.equal(itemBytes({ kind: "invalid_utf8" }), 0);
  });
});

describe("FloodGate renames (ROBUSTNESS C20)", () => {
  it("the rename bucket is separate from lines", () => {
    const c = clock();
    const g = new FloodGate(LIMITS, c.now);
    for (let i = 0; i < 3; i++) {
      assert.equal(g.renameWait(), 0);
      g.renamed();
    }
    assert.ok(g.renameWait() > 0);
    assert.equal(g.reserve(1), 0);
  });
});
