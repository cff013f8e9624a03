/**
 * Seed 000's framing: a 64-byte ASCII header holding the payload's byte length (digits padded
 * with spaces), then the payload. Pure, like LineDecoder; payloads come out as lines.
 */
import { type Decoded, decodeLine } from "./line-decoder.ts";

export const LEGACY_HEADER_BYTES = 64;

export type FrameDecoded = Decoded | { kind: "bad_frame" };

const HEADER = /^ *(\d+) *$/;

/** Parses a 64-byte header; returns the payload length, or -1 when it is not a valid header. */
export function parseLegacyHeader(header: Uint8Array): number {
  if (header.length !== LEGACY_HEADER_BYTES) return -1;
  for (const b of header) if (b !== 0x20 && (b < 0x30 || b > 0x39)) return -1;
  const m = HEADER.exec(Buffer.from(header).toString("latin1"));
  return m ? Number(m[1]) : -1;
}

export class FrameDecoder {
  readonly #maxPayload: number;
  #buf: Buffer = Buffer.alloc(0);
  /** Payload length being read, or -1 while reading a header. */
  #need = -1;
  /** Bytes of an over-long payload still to skip. */
  #skip = 0;
  #broken = false;

  constructor(opts: { maxLineBytes: number }) {
    this.#maxPayload = opts.maxLineBytes;
  }

  get pendingBytes(): number {
    return this.#buf.length;
  }

  get midLine(): boolean {
    return this.#buf.length > 0 || this.#need >= 0 || this.#skip > 0;
  }

  push(chunk: Uint8Array): FrameDecoded[] {
    const out: FrameDecoded[] = [];
    if (this.#broken) return out;
    let data = Buffer.from(chunk);
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, data.length);
      this.#skip -= n;
      data = data.subarray(n);
    }
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, data]) : data;
    for (;;) {
      if (this.#need < 0) {
        if (this.#buf.length < LEGACY_HEADER_BYTES) break;
        const len = parseLegacyHeader(this.#buf.subarray(0, LEGACY_HEADER_BYTES));
        this.#buf = this.#buf.subarray(LEGACY_HEADER_BYTES);
        if (len < 0) {
          this.#broken = true;
          this.#buf = Buffer.alloc(0);
          out.push({ kind: "bad_frame" });
          break;
        }
        if (len > this.#maxPayload) {
          out.push({ kind: "too_long", limit: this.#maxPayload });
          const n = Math.min(len, this.#buf.length);
          this.#skip = len - n;
          this.#buf = this.#buf.subarray(n);
          continue;
        }
        this.#need = len;
      }
      if (this.#buf.length < this.#need) break;
      const payload = this.#buf.subarray(0, this.#need);
      this.#buf = this.#buf.subarray(this.#need);
      this.#need = -1;
      // Seed 000's client may end a payload with a newline; one message is one line.
      const text = decodeLine(stripLineEnd(payload));
      if (text.kind !== "line" || text.text.length > 0) out.push(text);
    }
    if (this.#buf.length && this.#buf.byteOffset > 0) this.#buf = Buffer.from(this.#buf);
    return out;
  }
}

function stripLineEnd(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  return b.subarray(0, end);
}
