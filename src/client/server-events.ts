/**
 * Server lines to events, defensively: the client trusts the server no more than the server
 * trusts clients. A line that is not a JSON object with a known `type` and the fields the client
 * uses is dropped; every string is passed through `sanitizeText` (protocol §6) again, so even a
 * hostile or buggy server cannot move the cursor or recolour the terminal.
 */
import type { LeaveReason, RoomEvent, RoomInfo, ServerEvent, UserInfo } from "../protocol/events.ts";
import { isRoomEvent } from "../protocol/events.ts";
import { sanitizeText } from "../protocol/sanitize.ts";

const LEAVE_REASONS: ReadonlySet<string> = new Set<LeaveReason>(["quit", "disconnected", "kicked", "error"]);
const HISTORY_KINDS: ReadonlySet<string> = new Set(["join", "resume", "request"]);
/** A history answer longer than this is cut (the server sends at most 5000, on a resume). */
const MAX_HISTORY_EVENTS = 10_000;

/**
 * The event a server line carries, or undefined for anything else: the text-mode greeting sent
 * before our `hello` (protocol §5: skip lines not starting with `{`), bad JSON, unknown types.
 * Unknown `error` codes and `bye` reasons are kept; the formatter has a fallback for them.
 */
export function parseServerLine(line: string): ServerEvent | undefined {
  if (!line.startsWith("{")) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(raw) || typeof raw.type !== "string") return undefined;
  return parseEvent(sanitizeDeep(raw) as Record<string, unknown>);
}

/** One event object (already sanitized); history answers hold room events parsed the same way. */
function parseEvent(v: Record<string, unknown>): ServerEvent | undefined {
  const at = typeof v.at === "number" && Number.isFinite(v.at) ? v.at : Date.now();
  // Room events (issue 14): a server without rooms sends none of these; that is the lobby.
  const room = str(v.room) ?? "#lobby";
  // A place in a room's log: a whole number (0 for servers before rooms, which never repeat).
  const seq = typeof v.seq === "number" && Number.isSafeInteger(v.seq) && v.seq >= 0 ? v.seq : 0;
  switch (v.type) {
    case "hello":
      return { type: "hello", protocol: 1, server: str(v.server) ?? "", online: num(v.online) ?? 0 };
    case "prompt":
      return v.need === "name" || v.need === "password" ? { type: "prompt", need: v.need } : undefined;
    case "welcome": {
      const name = str(v.name);
      const users = userList(v.users);
      if (name === undefined || !users) return undefined;
      const epoch = str(v.epoch);
      const token = str(v.token);
      return {
        type: "welcome",
        name,
        address: addr(v.address),
        users,
        at,
        room,
        ...(epoch !== undefined ? { epoch } : {}),
        ...(token !== undefined ? { token } : {}),
        ...(v.resumed === true ? { resumed: true } : {}),
      };
    }
    case "joined": {
      const name = str(v.name);
      return name !== undefined
        ? { type: "joined", name, address: addr(v.address), at, room, seq }
        : undefined;
    }
    case "left": {
      const name = str(v.name);
      if (name === undefined) return undefined;
      const reason = (
        typeof v.reason === "string" && LEAVE_REASONS.has(v.reason) ? v.reason : "disconnected"
      ) as LeaveReason;
      const text = str(v.text);
      return { type: "left", name, reason, ...(text ? { text } : {}), at, room, seq };
    }
    case "message":
    case "action": {
      const from = str(v.from);
      const text = str(v.text);
      const cid = str(v.cid);
      return from !== undefined && text !== undefined
        ? { type: v.type, from, text, at, room, seq, ...(cid !== undefined ? { cid } : {}) }
        : undefined;
    }
    case "private": {
      const from = str(v.from);
      const to = str(v.to);
      const text = str(v.text);
      const cid = str(v.cid);
      return from !== undefined && to !== undefined && text !== undefined
        ? { type: "private", from, to, text, at, ...(cid !== undefined ? { cid } : {}) }
        : undefined;
    }
    case "topic": {
      const by = str(v.by);
      const topic = str(v.topic);
      return by !== undefined && topic !== undefined
        ? { type: "topic", by, topic, at, room, seq }
        : undefined;
    }
    case "room": {
      const name = str(v.room);
      const users = userList(v.users);
      if (name === undefined || !users) return undefined;
      const topic = str(v.topic);
      return {
        type: "room",
        room: name,
        users,
        ...(topic ? { topic } : {}),
        epoch: str(v.epoch) ?? "",
        seq,
        current: v.current === true,
        ...(v.initial === true ? { initial: true } : {}),
      };
    }
    case "history": {
      const name = str(v.room);
      if (name === undefined || !Array.isArray(v.events)) return undefined;
      const kind = typeof v.kind === "string" && HISTORY_KINDS.has(v.kind) ? v.kind : "request";
      // Only room events of this room, in ascending order: anything else in the list is dropped.
      const events = v.events
        .slice(0, MAX_HISTORY_EVENTS)
        .filter(isObject)
        .map((e) => parseEvent({ ...e, room: name }))
        .filter((e): e is RoomEvent => e !== undefined && isRoomEvent(e) && e.seq > 0)
        .sort((a, b) => a.seq - b.seq);
      return {
        type: "history",
        room: name,
        events,
        more: v.more === true,
        kind: kind as "join" | "resume" | "request",
      };
    }
    case "gap": {
      const name = str(v.room);
      if (name === undefined) return undefined;
      return {
        type: "gap",
        room: name,
        reason: v.reason === "epoch" ? "epoch" : "pruned",
        epoch: str(v.epoch) ?? "",
        seq,
      };
    }
    case "current": {
      const name = str(v.room);
      return name !== undefined ? { type: "current", room: name } : undefined;
    }
    case "parted": {
      const name = str(v.room);
      const current = str(v.current);
      return name !== undefined && current !== undefined
        ? { type: "parted", room: name, current }
        : undefined;
    }
    case "rooms": {
      if (!Array.isArray(v.rooms)) return undefined;
      const rooms = v.rooms.filter(isObject).flatMap((r): RoomInfo[] => {
        const name = str(r.room);
        if (name === undefined) return [];
        const topic = str(r.topic);
        return [{ room: name, users: num(r.users) ?? 0, ...(topic ? { topic } : {}) }];
      });
      return { type: "rooms", rooms };
    }
    case "renamed": {
      const from = str(v.from);
      const to = str(v.to);
      return from !== undefined && to !== undefined
        ? { type: "renamed", from, to, at, room, seq }
        : undefined;
    }
    case "users": {
      const users = userList(v.users);
      const name = str(v.room);
      return users ? { type: "users", users, ...(name !== undefined ? { room: name } : {}) } : undefined;
    }
    case "help": {
      if (!Array.isArray(v.commands)) return undefined;
      const commands = v.commands.filter(isObject).flatMap((c) => {
        const name = str(c.name);
        const usage = str(c.usage);
        if (name === undefined || usage === undefined) return [];
        const aliases = Array.isArray(c.aliases) ? c.aliases.filter((a) => typeof a === "string") : [];
        return [{ name, aliases, usage }];
      });
      return { type: "help", commands };
    }
    case "notice": {
      const text = isObject(v.params) ? str(v.params.text) : undefined;
      if (v.code === "history_paused" || v.code === "history_resumed")
        return { type: "notice", code: v.code, params: {}, at };
      return v.code === "announce" && text !== undefined
        ? { type: "notice", code: "announce", params: { text }, at }
        : undefined;
    }
    case "throttled": {
      // Issue 10 item 2: our paste goes out slowly (flood control); shown, never acted on.
      const queued = num(v.queued);
      const delayMs = num(v.delayMs);
      return queued !== undefined && delayMs !== undefined
        ? { type: "throttled", queued, delayMs, at }
        : undefined;
    }
    case "error": {
      if (typeof v.code !== "string") return undefined;
      const params = isObject(v.params) ? v.params : {};
      // The params are checked where they are used (format.ts falls back for anything odd).
      return { type: "error", code: v.code, params, at } as ServerEvent;
    }
    case "bye": {
      if (typeof v.reason !== "string") return undefined;
      const text = str(v.text);
      return { type: "bye", reason: v.reason, ...(text ? { text } : {}), at } as ServerEvent;
    }
    case "away": {
      // Issue 13: our own /away or /back, or the answer to a private message to someone away.
      const name = str(v.name);
      const text = str(v.text);
      return name !== undefined && typeof v.away === "boolean"
        ? { type: "away", name, away: v.away, ...(text !== undefined ? { text } : {}), at }
        : undefined;
    }
    case "ping":
    case "pong":
      return { type: v.type, ...("id" in v ? { id: v.id } : {}) };
    default:
      return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function addr(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function userList(v: unknown): UserInfo[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter(isObject).flatMap((u) => {
    const name = str(u.name);
    if (name === undefined) return [];
    // Issue 13: `away` (the user's message, "" for none) is kept for the lists.
    const away = str(u.away);
    return [{ name, address: addr(u.address), ...(away !== undefined ? { away } : {}) }];
  });
}

function sanitizeDeep(v: unknown): unknown {
  if (typeof v === "string") return sanitizeText(v);
  if (Array.isArray(v)) return v.map(sanitizeDeep);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sanitizeDeep(x)]));
  return v;
}
