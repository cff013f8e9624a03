/**
 * Decides, from a connection's first bytes, what it speaks (docs/protocol.md §1). Pure.
 */
import { LEGACY_HEADER_BYTES, parseLegacyHeader } from "./frame-decoder.ts";

export type Sniffed = "undecided" | "lines" | "legacy" | "http" | "tls";

const HTTP_METHOD = /^(GET|POST|HEAD|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE|PRI) /;

export function sniff(first: Uint8Array): Sniffed {
  if (first.length === 0) return "undecided";
  // TLS record: handshake (0x16), version 3.x.
  if (first[0] === 0x16) return first.length < 2 ? "undecided" : first[1] === 0x03 ? "tls" : "lines";
  const head = Buffer.from(first.subarray(0, 16)).toString("latin1");
  if (HTTP_METHOD.test(head)) return "http";
  if (isDigit(first[0])) {
    // A legacy header is 64 bytes of digits and spaces; a line end or any other byte means text.
    const n = Math.min(first.length, LEGACY_HEADER_BYTES);
    for (let i = 0; i < n; i++) {
      const b = first[i] as number;
      if (!isDigit(b) && b !== 0x20) return "lines";
    }
    if (first.length < LEGACY_HEADER_BYTES) return "undecided";
    return parseLegacyHeader(first.subarray(0, LEGACY_HEADER_BYTES)) >= 0 ? "legacy" : "lines";
  }
  // An HTTP method name may still be arriving ("GE"): wait for a few bytes before deciding.
  if (
    first.length < 8 &&
    !first.includes(0x0a) &&
    "GPHDOCTP".includes(String.fromCharCode(first[0] as number))
  )
    return "undecided";
  return "lines";
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}
