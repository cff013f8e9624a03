import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { FlushScheduler, WriteJoiner } from "../src/transports/outbox.ts";

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

  it("a forgotten socket is not flushed, and one marked again after `forget` is flushed once", () => {
    const flushed: number[] = [];
    const s = new FlushScheduler(10, now);
    const [a, b, c] = sockets(3, flushed);
    s.mark(a as never);
    s.mark(b as never);
    s.mark(c as never);
    s.forget(b as never);
    s.forget(c as never);
    s.mark(c as never);
    advance(0);
    assert.deepEqual(flushed, [0, 2]);
  });

  it("hands every flush of a round the same batch, and sends it when the round ends", () => {
    const got: unknown[] = [];
    const s = new FlushScheduler(10, now, 5, true);
    const room = Array.from({ length: 3 }, () => ({ flush: (batch: unknown) => got.push(batch) }));
    for (const x of room) s.mark(x as never);
    advance(0);
    assert.equal(got.length, 3);
    assert.ok(got.every((b) => b === got[0]), "one batch for the round");
    if (got[0] !== null) assert.equal((got[0] as { size: number }).size, 0, "sent at the end of the round");
    const off = new FlushScheduler(10, now);
    const plain: unknown[] = [];
    off.mark({ flush: (batch: unknown) => plain.push(batch) } as never);
    advance(0);
    assert.deepEqual(plain, [null], "no batch unless asked for");
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

describe("WriteJoiner: one write per flush without a new buffer each time (issue 5: idle memory)", () => {
  /**
   * A real Writable. It reads a chunk when it is written (`text`), as a socket copies it into the
   * kernel, and keeps the chunk (`got`); `hold` leaves writes unfinished until `release`, as a
   * socket the kernel cannot take more from does, and reads them only then (`sent`).
   */
  function sink(hold = false) {
    const got: Buffer[] = [];
    const text: string[] = [];
    const sent: string[] = [];
    const pending: Array<() => void> = [];
    const stream = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _enc, cb) {
        got.push(chunk);
        text.push(chunk.toString());
        if (!hold) return cb();
        pending.push(() => {
          sent.push(chunk.toString());
          cb();
        });
      },
    });
    return { stream, got, text, sent, release: () => pending.shift()?.() };
  }
  const parts = (...s: string[]) => s.map((x) => Buffer.from(x));

  it("joins the chunks into one write and reuses the same memory once the stream is done with it", () => {
    const j = new WriteJoiner(64);
    const a = sink();
    const b = sink();
    const queue = parts("one\n", "two\n");
    j.write(a.stream, queue, 8);
    assert.equal(queue.length, 0, "the queue is emptied: what comes during the write is the next flush's");
    j.write(b.stream, parts("three\n", "four\n"), 11);
    assert.deepEqual(a.text, ["one\ntwo\n"]);
    assert.deepEqual(b.text, ["three\nfour\n"]);
    assert.equal(a.got[0]?.buffer, b.got[0]?.buffer, "the second write used the first one's memory");
  });

  it("leaves the buffer to a stream still holding it: what it waits to send is never overwritten", () => {
    const j = new WriteJoiner(64);
    const slow = sink(true);
    const fast = sink();
    j.write(slow.stream, parts("slow-1\n", "slow-2\n"), 14);
    j.write(fast.stream, parts("fast-1\n", "fast-2\n"), 14);
    assert.notEqual(slow.got[0]?.buffer, fast.got[0]?.buffer);
    // A stream with bytes already waiting gets a buffer of its own, so it pins nothing shared.
    j.write(slow.stream, parts("slow-3\n", "slow-4\n"), 14);
    j.write(fast.stream, parts("fast-3\n", "fast-4\n"), 14);
    slow.release();
    slow.release();
    assert.deepEqual(slow.sent, ["slow-1\nslow-2\n", "slow-3\nslow-4\n"]);
    assert.deepEqual(fast.text, ["fast-1\nfast-2\n", "fast-3\nfast-4\n"]);
    assert.equal(fast.got[0]?.buffer, fast.got[1]?.buffer, "the fast stream reuses its scratch");
  });

  it("writes a lone chunk as it is, and a flush larger than the scratch buffer in its own buffer", () => {
    const j = new WriteJoiner(8);
    const a = sink();
    const lone = Buffer.from("only one\n");
    j.write(a.stream, [lone], lone.length);
    assert.equal(a.got[0], lone);
    j.write(a.stream, parts("0123456", "789\n"), 11);
    assert.equal(a.text[1], "0123456789\n");
  });

  it("a stream whose write throws leaves the scratch buffer behind", () => {
    const j = new WriteJoiner(64);
    const thrower = {
      writableLength: 0,
      kept: undefined as Buffer | undefined,
      write(chunk: Buffer) {
        this.kept = chunk;
        throw new Error("EPIPE (test)");
      },
    };
    assert.throws(() => j.write(thrower, parts("a\n", "b\n"), 4), /EPIPE/);
    const next = sink();
    j.write(next.stream, parts("c\n", "d\n"), 4);
    assert.equal(thrower.kept?.toString(), "a\nb\n");
    assert.notEqual(thrower.kept?.buffer, next.got[0]?.buffer);
  });
});
