/**
 * Incremental line decoder (S4; ROBUSTNESS A1, A2, A5-A9): bytes in, complete lines out.
 * Pure and socket-free, so any way of cutting the input can be tested without I/O.
 *
 * Lines end at LF, CRLF or a bare CR. A line is decoded only once complete, so a multi-byte
 * character split over reads is never broken. Over `maxLineBytes` the line is dropped (reported
 * once, when its end arrives, and the connection is kept); over `maxPendingBytes` without any line
 * end the decoder reports `overflow` and the caller closes the connection.
 */

export type Decoded =
  | { kind: "line"; text: string }
  | { kind: "too_long"; limit: number }
  | { kind: "invalid_utf8" }
  | { kind: "overflow"; limit: number };

export interface LineDecoderOptions {
  /** Longest line, in bytes, without its terminator. */
  maxLineBytes: number;
  /** Most bytes accepted without a line end before the connection is refused. */
  maxPendingBytes: number;
}

const LF = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export class LineDecoder {
  readonly #opts: LineDecoderOptions;
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** Bytes of the current line so far, kept or not. */
  #lineBytes = 0;
  /** The current line went over the limit: its bytes are being discarded. */
  #discarding = false;
  /** The previous chunk ended in CR: an LF at the start of the next one belongs to it. */
  #afterCR = false;
  #overflowed = false;

  constructor(opts: LineDecoderOptions) {
    this.#opts = opts;
  }

  /** Bytes held for the current incomplete line (for tests and memory accounting). */
  get pendingBytes(): number {
    return this.#partBytes;
  }

  /** The first byte of the pending fragment, -1 when none is kept. */
  get firstByte(): number {
    return this.#parts[0]?.[0] ?? -1;
  }

  /** True while a line has been started and not finished. */
  get midLine(): boolean {
    return this.#lineBytes > 0;
  }

  /**
   * Takes the pending fragment as if its line end had come (issue 10: clients that send no line
   * ends, docs/protocol.md §2); undefined when nothing is pending. The caller decides when.
   */
  takeFragment(): Decoded | undefined {
    if (this.#overflowed || this.#lineBytes === 0) return undefined;
    const out: Decoded[] = [];
    this.#finishLine(out);
    this.#afterCR = false;
    return out[0];
  }

  push(chunk: Uint8Array): Decoded[] {
    const out: Decoded[] = [];
    if (this.#overflowed) return out;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (this.#afterCR && buf.length > 0) {
      this.#afterCR = false;
      if (buf[0] === LF) start = 1;
    }
    for (;;) {
      const end = nextLineEnd(buf, start);
      if (end === -1) break;
      this.#take(buf, start, end);
      this.#finishLine(out);
      if (buf[end] === CR) {
        if (end + 1 < buf.length) start = buf[end + 1] === LF ? end + 2 : end + 1;
        else {
          this.#afterCR = true;
          start = end + 1;
        }
      } else start = end + 1;
    }
    if (start < buf.length) {
      this.#take(buf, start, buf.length);
      if (this.#lineBytes > this.#opts.maxPendingBytes) {
        this.#overflowed = true;
        this.#reset();
        out.push({ kind: "overflow", limit: this.#opts.maxPendingBytes });
      }
    }
    return out;
  }

  #take(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    this.#lineBytes += n;
    if (this.#discarding) return;
    if (this.#lineBytes > this.#opts.maxLineBytes) {
      // Keep no more of a line that will be dropped anyway: memory stays bounded (A2).
      this.#discarding = true;
      this.#parts = [];
      this.#partBytes = 0;
      return;
    }
    // Copy: the caller's buffer may be reused (and slices would pin large socket buffers).
    this.#parts.push(Buffer.from(buf.subarray(start, end)));
    this.#partBytes += n;
  }

  #finishLine(out: Decoded[]): void {
    if (this.#discarding) {
      out.push({ kind: "too_long", limit: this.#opts.maxLineBytes });
    } else if (this.#partBytes > 0) {
      const bytes = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts);
      out.push(decodeLine(bytes));
    }
    this.#reset();
  }

  #reset(): void {
    this.#parts = [];
    this.#partBytes = 0;
    this.#lineBytes = 0;
    this.#discarding = false;
  }
}

function nextLineEnd(buf: Buffer, from: number): number {
  const lf = buf.indexOf(LF, from);
  const cr = buf.indexOf(CR, from);
  if (cr === -1) return lf;
  if (lf === -1) return cr;
  return Math.min(lf, cr);
}

/** Strict UTF-8 decoding of one line; NUL is refused like invalid UTF-8 (ROBUSTNESS A9). */
export function decodeLine(bytes: Uint8Array): Decoded {
  if (bytes.includes(0)) return { kind: "invalid_utf8" };
  try {
    return { kind: "line", text: utf8.decode(bytes) };
  } catch {
    return { kind: "invalid_utf8" };
  }
}
