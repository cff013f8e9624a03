/**
 * Batched writes (issue 5: low latency when idle, batching when busy).
 *
 * Everything queued for a socket between two flushes goes out in one write. After a flush that
 * wrote to n sockets, the next flush waits until n × `pausePerSocketUs` (the limit
 * `batchPausePerSocketUs`, at most `maxWindowMs`) have passed since it: the pause is proportional
 * to what a flush costs, so writing stays a bounded share of the server's time however large the
 * room. A quiet room flushes right after the current turn's I/O (setImmediate), and with Nagle off
 * (TCP_NODELAY) a lone message leaves at once; a busy room puts several messages in each write
 * (20 µs a socket: 100 sockets 2 ms, 300 sockets 6 ms, 500 and more the 10 ms cap). The profile
 * showed why this matters: at 1000 clients the write syscalls were the largest cost (about 40 %
 * of the server's time with one flush per turn), and a turn then held only about one incoming
 * message; at 300 clients 5 µs a socket (1.5 ms) still left one message per write (issue 14).
 */

import { type DirectWritable, writeDirect } from "./direct-write.ts";

export interface Flushable {
  flush(): void;
}

export class FlushScheduler {
  readonly #maxWindowMs: number;
  readonly #pausePerSocketMs: number;
  readonly #now: () => number;
  #dirty = new Set<Flushable>();
  #scheduled = false;
  /** When the next flush may run (performance.now() time). */
  #notBefore = 0;
  readonly #run = () => {
    this.#scheduled = false;
    const dirty = this.#dirty;
    this.#dirty = new Set();
    for (const f of dirty) f.flush();
    // The pause starts when the writing ends: a flush to thousands of sockets takes milliseconds
    // itself, and counting the pause from its start would leave none.
    this.#notBefore = this.#now() + Math.min(this.#maxWindowMs, dirty.size * this.#pausePerSocketMs);
  };

  /**
   * @param maxWindowMs the longest pause between two flushes; 0 flushes every turn.
   * @param now the clock, in milliseconds (tests pass their own).
   * @param pausePerSocketUs the pause after a flush, per socket it wrote to, in microseconds.
   */
  constructor(maxWindowMs = 0, now: () => number = () => performance.now(), pausePerSocketUs = 5) {
    this.#maxWindowMs = maxWindowMs;
    this.#pausePerSocketMs = pausePerSocketUs / 1000;
    this.#now = now;
  }

  mark(f: Flushable): void {
    this.#dirty.add(f);
    if (this.#scheduled) return;
    this.#scheduled = true;
    const wait = this.#notBefore - this.#now();
    // setTimeout cannot wait less than 1 ms: below that, the next turn is as good.
    if (wait >= 1) setTimeout(this.#run, wait);
    else setImmediate(this.#run);
  }

  forget(f: Flushable): void {
    this.#dirty.delete(f);
  }
}

/** What WriteJoiner writes to: a Node writable stream (a socket). */
export type ChunkWritable = DirectWritable;

/**
 * Writes the chunks queued for one socket as one write, copying them into a scratch buffer that
 * is used again by the next write when the stream has let go of it (issue 5: idle memory).
 *
 * A fresh buffer per write (Buffer.concat) is freed only when the collector runs, so a join storm
 * (every join announced to everyone) used to leave megabytes of freed memory in malloc, which it
 * keeps. A writable stream is done with a chunk once its write callback has run; a socket whose
 * write the kernel took at once calls it before `write` returns, so `writableLength` is 0 after
 * it. Otherwise (a slow reader) the stream still holds the scratch buffer: it is left to the
 * stream and a new one is made. A socket that already has bytes waiting gets a buffer of its own.
 */
export class WriteJoiner {
  readonly size: number;
  #scratch: Buffer;

  constructor(size = 16 * 1024) {
    this.size = size;
    this.#scratch = Buffer.allocUnsafeSlow(size);
  }

  /**
   * Writes `chunks` (`total` bytes in all) to `stream` as one write, and empties `chunks` before
   * writing: whatever is queued while the write runs belongs to the next flush. `fd`: the
   * socket's descriptor for the native helper (direct-write.ts), -1 for the socket's own write.
   * Returns the bytes sent past Node.
   */
  write(stream: ChunkWritable, chunks: Buffer[], total: number, fd = -1): number {
    if (chunks.length === 1 || total > this.size || stream.writableLength > 0) {
      const data = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
      chunks.length = 0;
      return writeDirect(stream, fd, data);
    }
    const scratch = this.#scratch;
    let offset = 0;
    for (const chunk of chunks) {
      scratch.set(chunk, offset);
      offset += chunk.length;
    }
    chunks.length = 0;
    let released = false;
    try {
      const direct = writeDirect(stream, fd, scratch.subarray(0, offset));
      released = stream.writableLength === 0;
      return direct;
    } finally {
      if (!released) this.#scratch = Buffer.allocUnsafeSlow(this.size);
    }
  }
}
