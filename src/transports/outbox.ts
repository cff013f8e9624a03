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

import { type BatchWriter, DirectBatch, type DirectWritable, writeDirect } from "./direct-write.ts";
import type { TransportLimits } from "./limits.ts";

export interface Flushable {
  /** Writes what is queued; into `batch` (sent at the end of the scheduler's round) when it may. */
  flush(batch: DirectBatch | null): void;
  /** The scheduler's mark: queued for its next round (a field, not a Set: no Set grows per round). */
  flushQueued?: boolean;
}

export class FlushScheduler {
  readonly #maxWindowMs: number;
  readonly #pausePerSocketMs: number;
  readonly #now: () => number;
  readonly #batch: DirectBatch | null;
  // Two arrays used in turn, never emptied by `length = 0` (that gives their memory back, and
  // they grew again at every round): entries are cleared one by one as they are flushed.
  #dirty: (Flushable | undefined)[] = [];
  #count = 0;
  #spare: (Flushable | undefined)[] = [];
  #scheduled = false;
  /** When the next flush may run (performance.now() time). */
  #notBefore = 0;
  readonly #run = () => {
    this.#scheduled = false;
    const dirty = this.#dirty;
    const n = this.#count;
    this.#dirty = this.#spare;
    this.#count = 0;
    const batch = this.#batch;
    let flushed = 0;
    let i = 0;
    try {
      for (; i < n; i++) {
        const f = dirty[i] as Flushable;
        dirty[i] = undefined;
        if (f.flushQueued !== true) continue; // forgotten, or a second mark after `forget`
        f.flushQueued = false;
        flushed++;
        f.flush(batch);
      }
    } finally {
      // After a throw, the rest of the round is still marked: it goes with the next round.
      for (i++; i < n; i++) {
        const f = dirty[i] as Flushable;
        dirty[i] = undefined;
        if (f.flushQueued === true) {
          f.flushQueued = false;
          this.mark(f);
        }
      }
      this.#spare = dirty;
      batch?.send();
    }
    // The pause starts when the writing ends: a flush to thousands of sockets takes milliseconds
    // itself, and counting the pause from its start would leave none.
    this.#notBefore = this.#now() + Math.min(this.#maxWindowMs, flushed * this.#pausePerSocketMs);
  };

  /**
   * @param maxWindowMs the longest pause between two flushes; 0 flushes every turn.
   * @param now the clock, in milliseconds (tests pass their own).
   * @param pausePerSocketUs the pause after a flush, per socket it wrote to, in microseconds.
   * @param batch whether a round's writes to plain TCP sockets go out in one call into the native
   *   helper (direct-write.ts; nothing changes where it is not built).
   * @param ring whether that call hands the sends to the kernel through io_uring where it can.
   */
  constructor(
    maxWindowMs = 0,
    now: () => number = () => performance.now(),
    pausePerSocketUs = 5,
    batch = false,
    ring = false,
  ) {
    this.#maxWindowMs = maxWindowMs;
    this.#pausePerSocketMs = pausePerSocketUs / 1000;
    this.#now = now;
    this.#batch = batch ? DirectBatch.create(undefined, ring) : null;
  }

  mark(f: Flushable): void {
    if (f.flushQueued === true) return;
    f.flushQueued = true;
    this.#dirty[this.#count++] = f;
    if (this.#scheduled) return;
    this.#scheduled = true;
    const wait = this.#notBefore - this.#now();
    // setTimeout cannot wait less than 1 ms: below that, the next turn is as good.
    if (wait >= 1) setTimeout(this.#run, wait);
    else setImmediate(this.#run);
  }

  forget(f: Flushable): void {
    f.flushQueued = false;
  }
}

/**
 * A listener's flush scheduler, from the limits: `plain` for plain TCP sockets, whose rounds may go
 * past Node in one native call (`directWrites`, `ioUring`); TLS listeners pass false.
 */
export function listenerFlusher(
  limits: Pick<TransportLimits, "batchWindowMs" | "batchPausePerSocketUs" | "directWrites" | "ioUring">,
  plain: boolean,
): FlushScheduler {
  return new FlushScheduler(
    limits.batchWindowMs,
    undefined,
    limits.batchPausePerSocketUs,
    plain && limits.directWrites !== 0,
    limits.ioUring !== 0,
  );
}

/**
 * What one connection has queued for its socket between two flushes, and how it is written
 * (TcpConnection and IrcConnection): into the round's DirectBatch when it may go past Node, else
 * joined into one write (WriteJoiner). A batch entry leaves at the end of the round; anything
 * written to the socket before then sends the batch first, so bytes keep their order.
 */
export class SocketOutbox implements BatchWriter {
  readonly stream: ChunkWritable;
  readonly #fd: number;
  readonly #failed: (err: unknown) => void;
  readonly #joiner: WriteJoiner;
  #first: Buffer | undefined;
  #rest: Buffer[] = [];
  #bytes = 0;
  #direct = 0;
  /** The batch holding an entry of this socket until its `send`. */
  #batch: DirectBatch | null = null;

  /**
   * `fd`: the socket's descriptor for the native helper (direct-write.ts), -1 for none. `failed`:
   * what the connection does when the socket's `write` throws while a batch is sent (ROBUSTNESS
   * E27; a throw from `write` reaches the caller). Every outbox joins its chunks through one scratch
   * buffer unless given its own `joiner`.
   */
  constructor(
    stream: ChunkWritable,
    fd: number,
    failed: (err: unknown) => void,
    joiner: WriteJoiner = sharedJoiner,
  ) {
    this.stream = stream;
    this.#fd = fd;
    this.#failed = failed;
    this.#joiner = joiner;
  }

  /** Bytes queued and not yet written. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes written past Node's stream (dead-peer.ts adds them to Node's count). */
  get directBytes(): number {
    return this.#direct;
  }

  push(chunk: Buffer): void {
    if (this.#first === undefined) this.#first = chunk;
    else this.#rest.push(chunk);
    this.#bytes += chunk.length;
  }

  /** Drops what is queued (not what a batch already holds: it was flushed). */
  clear(): void {
    this.#first = undefined;
    if (this.#rest.length > 0) this.#rest = [];
    this.#bytes = 0;
  }

  /** Sends the batch holding an entry of this socket, if one does: before anything else is written. */
  settle(): void {
    this.#batch?.send();
  }

  /** Writes what is queued (into `batch` when it may); throws what the stream's `write` throws. */
  write(batch: DirectBatch | null): void {
    this.#batch?.send();
    const first = this.#first;
    if (first === undefined) return;
    const rest = this.#rest;
    const total = this.#bytes;
    this.#first = undefined;
    this.#bytes = 0;
    if (batch !== null && batch.add(this, this.#fd, first, rest, total)) {
      this.#batch = batch;
      if (rest.length > 0) this.#rest = [];
      return;
    }
    if (rest.length === 0) {
      this.#direct += writeDirect(this.stream, this.#fd, first);
      return;
    }
    this.#rest = [];
    rest.unshift(first);
    this.#direct += this.#joiner.write(this.stream, rest, total, this.#fd);
  }

  sentDirect(bytes: number): void {
    this.#direct += bytes;
    this.#batch = null;
  }

  writeFailed(err: unknown): void {
    this.#failed(err);
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

/** The scratch buffer every connection's flush joins its chunks through (one write at a time). */
const sharedJoiner = new WriteJoiner();
