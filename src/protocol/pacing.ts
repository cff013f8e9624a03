/**
 * What a line costs flood control (issue 10 item 2; docs/protocol.md §1 "Flood control"). Pure:
 * the transports ask it for every decoded line before pacing it.
 */
import type { FrameDecoded } from "./frame-decoder.ts";

/**
 * Flood tokens one decoded item costs: 0 for what is free and goes at once, even past a backlog
 * (empty lines and json `pong`, which the server answers with nothing; a fatal
 * `overflow`/`bad_frame`, which closes the connection), 1 for everything else (messages, commands,
 * names, passwords, bad lines, and json `hello` and `ping`, which are answered: issue 9 item 4,
 * everything that makes the server write costs), which waits its turn. A throttled client's ping
 * is answered after the lines it sent before it; its own echoes reach it meanwhile.
 */
export function itemCost(item: FrameDecoded, json: boolean): 0 | 1 {
  switch (item.kind) {
    case "line":
      return lineCost(item.text, json);
    case "overflow":
    case "bad_frame":
      return 0;
    default:
      return 1;
  }
}

/** Flood tokens one line (text, or a json request) costs; see `itemCost`. */
export function lineCost(text: string, json: boolean): 0 | 1 {
  if (text.trim().length === 0) return 0;
  return json && isControlRequest(text) ? 0 : 1;
}

const CONTROL = /^\s*\{\s*"type"\s*:\s*"pong"\s*[,}]/;

/** A json `pong` (answered with nothing), recognised without parsing the whole line. */
export function isControlRequest(text: string): boolean {
  return CONTROL.test(text);
}

/** Bytes an item holds while it waits (its text in UTF-8; 0 for the others). */
export function itemBytes(item: FrameDecoded): number {
  return item.kind === "line" ? Buffer.byteLength(item.text) : 0;
}
