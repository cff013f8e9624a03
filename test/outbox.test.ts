import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { FlushScheduler } from "../src/transports/outbox.ts";

describe("batched writes (issue 5: low latency when idle, batching when busy)", () => {
  let clock = 0;
  const now = () => clock;
  /** Advances the fake clock and the mocked timers together. */
  const advance = (ms: number) => {
    clock += ms;
    mock.timers.tick(ms);
  };
  beforeEach(() => {
    clock = 0;
    mock.timers.enable({ apis: ["setTimeout", "setImmediate"] });
  });
  afterEach(() => mock.timers.reset());

  function sockets(n: number, log: number[]) {
    return Array.from({ length: n }, (_, i) => ({ flush: () => log.push(i) }));
  }

  it("writes each socket once per flush, however many messages were queued for it", () => {
    const flushed: number[] = [];
    const s = new FlushScheduler(10, now);
    const [a, b] = sockets(2, flushed);
    for (let i = 0; i < 5; i++) {
      s.mark(a as never);
      s.mark(b as never);
    }
    advance(0);
    assert.deepEqual(flushed, [0, 1]);
  });

  it("flushes a quiet or small room on the next turn (no added latency)", () => {
    const flushed: number[] = [];
    const s = new FlushScheduler(10, now);
    const room = sockets(100, flushed);
    for (const x of room) s.mark(x as never);
    advance(0);
    assert.equal(flushed.length, 100);
    // 100 sockets ask for a 0.5 ms pause: under the timer's 1 ms grain, so the next turn it is.
    s.mark(room[0] as never);
    advance(0);
    assert.equal(flushed.length, 101);
  });

  it("after a flush to many sockets, waits n x 5 us before the next, so writes carry several messages", () => {
    const flushed: number[] = [];
    const s = new FlushScheduler(10, now);
    const room = sockets(1000, flushed);
    for (const x of room) s.mark(x as never);
    advance(0);
    assert.equal(flushed.length, 1000);
    s.mark(room[1] as never);
    advance(0);
    advance(4);
    assert.equal(flushed.length, 1000, "still inside the 5 ms pause");
    s.mark(room[2] as never); // joins the pending flush
    advance(1);
    assert.equal(flushed.length, 1002);
  });

  it("never pauses longer than the window, however large the room", () => {
    const flushed: number[] = [];
    const s = new FlushScheduler(10, now);
    const room = sockets(10_000, flushed); // 50 ms by the per-socket rule
    for (const x of room) s.mark(x as never);
    advance(0);
    s.mark(room[0] as never);
    advance(9);
    assert.equal(flushed.length, 10_000);
    advance(1);
    assert.equal(flushed.length, 10_001);
  });

  it("counts the pause from the end of a flush, not its start", () => {
    const flushed: number[] = [];
    const s = new FlushScheduler(10, now);
    // A flush that itself takes 20 ms (thousands of writes): the pause must still follow it.
    const slow = Array.from({ length: 1000 }, (_, i) => ({
      flush: () => {
        flushed.push(i);
        clock += 0.02;
      },
    }));
    for (const x of slow) s.mark(x as never);
    advance(0);
    s.mark(slow[0] as never);
    advance(0);
    advance(4);
    assert.equal(flushed.length, 1000, "paused after the slow flush");
    advance(1);
    assert.equal(flushed.length, 1001);
  });

  it("with a window of 0, flushes every turn", () => {
    const flushed: number[] = [];
    const s = new FlushScheduler(0, now);
    const room = sockets(1000, flushed);
    for (const x of room) s.mark(x as never);
    advance(0);
    s.mark(room[0] as never);
    advance(0);
    assert.equal(flushed.length, 1001);
  });
});
