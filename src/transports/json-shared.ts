/**
 * What TCP json mode and the WebSocket transport share: one cached encoding per event object and
 * one dispatcher for client requests, so the two speak exactly the same schema (docs/protocol.md §5).
 */

import type { Session } from "../core/session.ts";
import { errorEvent, type ServerEvent } from "../protocol/events.ts";
import { encodeJsonLine, parseRequest } from "../protocol/json.ts";

/**
 * Encoded bytes per event object: a broadcast is one object sent to many connections, so it is
 * encoded once, not once per recipient (DESIGN: encode a broadcast once). Weak keys: the entry
 * goes when the event does.
 */
const jsonCache = new WeakMap<ServerEvent, Buffer>();

/** The event as one JSON line with its LF, encoded at most once per event object. */
export function jsonLineBytes(event: ServerEvent): Buffer {
  let b = jsonCache.get(event);
  if (!b) {
    b = Buffer.from(encodeJsonLine(event));
    jsonCache.set(event, b);
  }
  return b;
}

/**
 * The event as a JSON object without the LF (one WebSocket message): a view of the cached line,
 * so TCP and WebSocket recipients of one broadcast share one encoding.
 */
export function jsonMessageBytes(event: ServerEvent): Buffer {
  const line = jsonLineBytes(event);
  return line.subarray(0, line.length - 1);
}

/**
 * Handles one json-mode request (a TCP json line or a WebSocket text message): parse errors and
 * requests out of order are answered with error events, never by closing the connection.
 */
export function handleJsonRequest(session: Session, text: string): void {
  if (text.trim().length === 0) return;
  const parsed = parseRequest(text);
  // ROBUSTNESS D21: bad requests are paced like the others (the transports pace every request),
  // so they cannot flood answers back.
  if (!parsed.ok) return session.send(errorEvent(parsed.code, {}));
  const req = parsed.request;
  switch (req.type) {
    case "hello":
      return session.greet();
    case "name":
      return session.nameRequest(req.name);
    case "password":
      return session.passwordRequest(req.password);
    case "line":
      if (!session.registered) return session.send(errorEvent("not_registered", {}));
      return session.line(req.text, req.room, req.cid);
    case "join":
    case "part":
    case "rooms":
    case "history":
      if (!session.registered) return session.send(errorEvent("not_registered", {}));
      if (req.type === "join") return session.join(req.room);
      if (req.type === "part") return session.part(req.room);
      if (req.type === "rooms") return session.listRooms();
      return session.showHistory(req.limit ?? 0, req.room, req.before);
    case "resume":
      return session.resumeRequest(req.token, req.rooms);
    case "ping":
      return session.send({ type: "pong", ...("id" in req ? { id: req.id } : {}) });
    case "pong":
      return;
    default: {
      const never: never = req;
      return never;
    }
  }
}
