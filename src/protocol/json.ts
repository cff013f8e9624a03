/**
 * Json mode (docs/protocol.md §5): what a client may send, validated; events out as JSON lines.
 */
import type { ServerEvent } from "./events.ts";

export type ClientRequest =
  | { type: "hello"; protocol: number }
  | { type: "name"; name: string }
  | { type: "password"; password: string }
  | { type: "line"; text: string; room?: string; cid?: string }
  | { type: "join"; room: string }
  | { type: "part"; room: string }
  | { type: "rooms" }
  | { type: "history"; room?: string; before?: number; limit?: number }
  | { type: "resume"; token: string; rooms: { room: string; epoch: string; seq: number }[] }
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
    case "line": {
      if (typeof v.text !== "string") return bad();
      if (v.room !== undefined && typeof v.room !== "string") return bad();
      if (v.cid !== undefined && (typeof v.cid !== "string" || v.cid.length > 64)) return bad();
      return {
        ok: true,
        request: {
          type: "line",
          text: v.text,
          ...(typeof v.room === "string" ? { room: v.room } : {}),
          ...(typeof v.cid === "string" ? { cid: v.cid } : {}),
        },
      };
    }
    case "join":
    case "part":
      return typeof v.room === "string" ? { ok: true, request: { type: v.type, room: v.room } } : bad();
    case "rooms":
      return { ok: true, request: { type: "rooms" } };
    case "history": {
      if (v.room !== undefined && typeof v.room !== "string") return bad();
      if (v.before !== undefined && !isSeq(v.before)) return bad();
      if (v.limit !== undefined && !isSeq(v.limit)) return bad();
      return {
        ok: true,
        request: {
          type: "history",
          ...(typeof v.room === "string" ? { room: v.room } : {}),
          ...(typeof v.before === "number" ? { before: v.before } : {}),
          ...(typeof v.limit === "number" ? { limit: v.limit } : {}),
        },
      };
    }
    case "resume": {
      if (typeof v.token !== "string") return bad();
      const rooms = v.rooms ?? [];
      if (!Array.isArray(rooms) || rooms.length > 100) return bad();
      const points: { room: string; epoch: string; seq: number }[] = [];
      for (const r of rooms) {
        if (typeof r !== "object" || r === null) return bad();
        const { room, epoch, seq } = r as Record<string, unknown>;
        if (typeof room !== "string" || typeof epoch !== "string" || !isSeq(seq)) return bad();
        points.push({ room, epoch, seq });
      }
      return { ok: true, request: { type: "resume", token: v.token, rooms: points } };
    }
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

function isSeq(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function bad(): ParsedRequest {
  return { ok: false, code: "bad_request" };
}

/** One event as a JSON line (with its LF). */
export function encodeJsonLine(event: ServerEvent): string {
  return `${JSON.stringify(event)}\n`;
}
