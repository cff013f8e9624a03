/**
 * Json mode (docs/protocol.md §5): what a client may send, validated; events out as JSON lines.
 */
import type { ServerEvent } from "../core/events.ts";

export type ClientRequest =
  | { type: "hello"; protocol: number }
  | { type: "name"; name: string }
  | { type: "password"; password: string }
  | { type: "line"; text: string }
  | { type: "ping"; id?: unknown }
  | { type: "pong"; id?: unknown };

export type ParsedRequest =
  | { ok: true; request: ClientRequest }
  | { ok: false; code: "bad_json" | "bad_request" };

export function parseRequest(line: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, code: "bad_json" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, code: "bad_json" };
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case "hello":
      return {
        ok: true,
        request: { type: "hello", protocol: typeof v.protocol === "number" ? v.protocol : 1 },
      };
    case "name":
      return typeof v.name === "string" ? { ok: true, request: { type: "name", name: v.name } } : bad();
    case "line":
      return typeof v.text === "string" ? { ok: true, request: { type: "line", text: v.text } } : bad();
    case "password":
      return typeof v.password === "string"
        ? { ok: true, request: { type: "password", password: v.password } }
        : bad();
    case "ping":
    case "pong":
      return { ok: true, request: { type: v.type, ...("id" in v ? { id: v.id } : {}) } };
    default:
      return bad();
  }
}

function bad(): ParsedRequest {
  return { ok: false, code: "bad_request" };
}

/** One event as a JSON line (with its LF). */
export function encodeJsonLine(event: ServerEvent): string {
  return `${JSON.stringify(event)}\n`;
}
