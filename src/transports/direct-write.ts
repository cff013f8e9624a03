/**
 * Issue 14: writing a flush straight to a socket's descriptor, through papo's optional native
 * helper (native/direct_write.c, built by `npm ci`: native/build.mjs).
 *
 * At 100 clients × 0.5 msg/s a flush is one short line to each of 100 sockets, and the profile put
 * a sixth of papo's CPU time in Node's stream path around each write (Writable.write, the write
 * request, libuv), not in the system call. The helper is one N-API call around send(2).
 *
 * It is used only where it cannot reorder or lose anything: a plain TCP socket (not TLS), still
 * writable, with nothing queued in Node (`writableLength` 0), so nothing sent before can be
 * waiting. Whatever the kernel does not take (a full socket buffer, an error) goes to the
 * socket's own `write`, which queues it, pushes back and reports errors as before.
 *
 * Without the helper (no compiler when installing), or with the limit `directWrites` at 0, every
 * write goes through the socket, as it always did.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { fileURLToPath } from "node:url";

interface Native {
  write(fd: number, data: Uint8Array): number;
  /** Absent from a helper built before it (a checkout updated without `npm ci`). */
  writeMany?(meta: Int32Array, data: Uint8Array, n: number, ring?: boolean): boolean | undefined;
  /** Whether `writeMany(..., true)` goes through io_uring here (absent: as false). */
  ring?(): boolean;
}

let native: Native | null | undefined;

/** Where the build puts the helper, from src/transports/ (tsx) or dist/transports/ (built). */
const BUILT = "../../native/build/Release/papo_direct_write.node";

/** The native helper, or null when it is not built here (or cannot load). */
export function directWriter(): Native | null {
  if (native !== undefined) return native;
  native = null;
  if (process.platform === "win32") return native;
  const url = new URL(BUILT, import.meta.url);
  if (!existsSync(url)) return native;
  try {
    native = createRequire(import.meta.url)(fileURLToPath(url)) as Native;
  } catch {
    // Built for another Node or platform: the sockets' own path works everywhere.
    native = null;
  }
  return native;
}

/**
 * The descriptor to write `socket` through, or -1: no helper, a TLS socket (its bytes must be
 * encrypted by Node) or no descriptor (a pipe in a test, a socket not connected).
 */
export function directFd(socket: net.Socket): number {
  if (!directWriter() || (socket as { encrypted?: boolean }).encrypted) return -1;
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : -1;
}

/**
 * A socket whose `write` was replaced on the instance (a test's stub, a tracing wrapper) gets all
 * its bytes through that `write`.
 */
const SOCKET_WRITE = net.Socket.prototype.write;

/** What `writeDirect` writes to: a socket, or any writable stream in a test. */
export interface DirectWritable {
  write(chunk: Buffer): unknown;
  readonly writableLength: number;
  readonly writable?: boolean;
}

/**
 * Whether bytes for `stream` may go straight to its descriptor now: nothing queued in Node (so
 * nothing sent before can be waiting), still writable (`writable` is false once it is ended,
 * errored or destroyed: its descriptor may then belong to another connection already), and its
 * own `write` (not a test's or a wrapper's).
 */
function mayPassNode(stream: DirectWritable): boolean {
  return stream.writableLength === 0 && stream.writable === true && stream.write === SOCKET_WRITE;
}

/**
 * Writes `data` to `stream`: first straight to its descriptor `fd` (from `directFd`; -1: never)
 * when nothing is queued in Node, then whatever the kernel did not take through `stream.write`.
 * Node keeps `data` (a view of it) only when `stream.writableLength` is above 0 afterwards, as with
 * a plain write. Returns the bytes sent past Node (the caller counts them: dead-peer.ts).
 */
export function writeDirect(stream: DirectWritable, fd: number, data: Buffer): number {
  if (fd >= 0 && native && mayPassNode(stream)) {
    const n = native.write(fd, data);
    if (n > 0) {
      if (n < data.length) stream.write(data.subarray(n));
      return n;
    }
    // Refused (EAGAIN, or an error the socket's own write meets again and reports): all of it.
  }
  stream.write(data);
  return 0;
}

/**
 * Whether batches asked to use io_uring do, in this process: the helper is built with it and the
 * kernel lets the process set a ring up (Linux 5.7 and later; not where a sysctl or a container's
 * seccomp filter turns io_uring off). Sets the ring up on the first call.
 */
export function ringAvailable(): boolean {
  const ring = directWriter()?.ring;
  return typeof ring === "function" && ring() === true;
}

/** How a flush round's writes to plain TCP sockets leave (the metric `papo_write_path`). */
export type WritePath = "io_uring" | "send" | "node";

/**
 * How writes leave with these limits, now: through io_uring, through the native helper one send(2)
 * each (no io_uring here, `ioUring` 0, or a ring that failed once), or through Node's socket (no
 * helper, or `directWrites` 0).
 */
export function writePath(limits: { readonly directWrites: number; readonly ioUring: number }): WritePath {
  if (limits.directWrites === 0 || typeof directWriter()?.writeMany !== "function") return "node";
  return limits.ioUring !== 0 && ringAvailable() ? "io_uring" : "send";
}

/** Batch buffers the kernel may still read (see `DirectBatch.send`): never freed, never reused. */
const abandoned: Buffer[] = [];

/** A connection whose flush can join a DirectBatch. */
export interface BatchWriter {
  /** The socket the batched bytes are for. */
  readonly stream: DirectWritable;
  /** Called by `DirectBatch.send` with the bytes of this writer's entry sent past Node. */
  sentDirect(bytes: number): void;
  /** The socket's `write` threw while taking the rest of this writer's entry. */
  writeFailed(err: unknown): void;
}

/**
 * One flush to many sockets as one call into the native helper (`writeMany`): at 100 clients ×
 * 0.5 msg/s a flush is one short line to each of 100 sockets, and the JavaScript and N-API work
 * around 100 separate calls was a tenth of papo's CPU time.
 *
 * `add` copies a writer's chunks into the batch's buffer (an entry whose only chunk is the one the
 * previous entry had, the usual case of one line to a whole room, points at the same bytes); `send`
 * makes the one call, then hands whatever the kernel did not take to the socket's own `write`, as
 * `writeDirect` does. The bytes of an entry leave in `send`: the caller must send the batch before
 * anything else is written to a socket that has an entry in it (TcpConnection and IrcConnection
 * send their pending batch first in `flush`).
 */
export class DirectBatch {
  readonly #writeMany: NonNullable<Native["writeMany"]>;
  readonly #ring: boolean;
  #data: Buffer;
  #meta: Int32Array;
  #writers: BatchWriter[] = [];
  #n = 0;
  #used = 0;
  /** The single chunk of the last entry added, and where it was put. */
  #last: Buffer | undefined;
  #lastAt = 0;
  /** In `send`, between the native call and the last `sentDirect`: `add` takes nothing then. */
  #sending = false;

  private constructor(writeMany: NonNullable<Native["writeMany"]>, bytes: number, ring: boolean) {
    this.#writeMany = writeMany;
    this.#ring = ring;
    this.#data = Buffer.allocUnsafeSlow(bytes);
    this.#meta = new Int32Array(4 * 128);
  }

  /**
   * A batch, or null where the helper (or its `writeMany`) is not here. `ring`: its sends go to the
   * kernel through io_uring, one system call for up to 256 of them, where the kernel allows it
   * (`ringAvailable`); otherwise one send(2) each, in the same native call.
   */
  static create(bytes = 64 * 1024, ring = false): DirectBatch | null {
    const writeMany = directWriter()?.writeMany;
    return typeof writeMany === "function" ? new DirectBatch(writeMany, bytes, ring) : null;
  }

  /** Entries waiting for `send`. */
  get size(): number {
    return this.#n;
  }

  /**
   * Takes `first` and `rest` (`total` bytes in all) for `w`'s socket on descriptor `fd`, when they
   * may go past Node (the conditions of `writeDirect`) and fit; false otherwise, and nothing is
   * taken. Does not empty `rest`.
   */
  add(w: BatchWriter, fd: number, first: Buffer, rest: readonly Buffer[], total: number): boolean {
    if (this.#sending || fd < 0 || !mayPassNode(w.stream)) return false;
    const data = this.#data;
    if (total > data.length) return false;
    let at: number;
    if (rest.length === 0 && first === this.#last) at = this.#lastAt;
    else {
      if (this.#used + total > data.length) this.send();
      at = this.#used;
      data.set(first, at);
      let o = at + first.length;
      for (const chunk of rest) {
        data.set(chunk, o);
        o += chunk.length;
      }
      this.#used = o;
      this.#last = rest.length === 0 ? first : undefined;
      this.#lastAt = at;
    }
    let meta = this.#meta;
    const i = this.#n;
    if (4 * i + 4 > meta.length) {
      meta = new Int32Array(meta.length * 2);
      meta.set(this.#meta);
      this.#meta = meta;
    }
    meta[4 * i] = fd;
    meta[4 * i + 1] = at;
    meta[4 * i + 2] = total;
    this.#writers[i] = w;
    this.#n = i + 1;
    return true;
  }

  /**
   * Sends every entry (one native call), then hands the rest of each to its socket's `write`. A
   * socket no longer writable (closed or ended since `add`: its descriptor may be closed) gets
   * nothing, as its own `write` would refuse it.
   */
  send(): void {
    const n = this.#n;
    if (n === 0 || this.#sending) return;
    const meta = this.#meta;
    const writers = this.#writers;
    const data = this.#data;
    this.#n = 0;
    this.#used = 0;
    this.#last = undefined;
    this.#sending = true;
    try {
      // The native call writes every result of an entry with fd >= 0.
      for (let i = 0; i < n; i++) if ((writers[i] as BatchWriter).stream.writable !== true) meta[4 * i] = -1;
      if (this.#writeMany(meta, data, n, this.#ring) === true) {
        // The ring broke with sends it could not wait for (a broken kernel): they may still read
        // this buffer, so it is kept as it is, for good, and the next round gets a new one.
        abandoned.push(data);
        this.#data = Buffer.allocUnsafeSlow(data.length);
      }
      for (let i = 0; i < n; i++) {
        const w = writers[i] as BatchWriter;
        writers[i] = undefined as unknown as BatchWriter;
        const fd = meta[4 * i] as number;
        const sent = fd < 0 ? 0 : Math.max(0, meta[4 * i + 3] as number);
        w.sentDirect(sent);
        const len = meta[4 * i + 2] as number;
        if (fd < 0 || sent === len) continue;
        // The rest is copied: the batch's buffer is used again by the next round.
        const at = meta[4 * i + 1] as number;
        try {
          w.stream.write(Buffer.from(data.subarray(at + sent, at + len)));
        } catch (err) {
          w.writeFailed(err);
        }
      }
    } finally {
      this.#sending = false;
    }
  }
}
