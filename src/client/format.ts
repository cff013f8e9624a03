/**
 * Events to the lines the terminal client prints. The wording is text mode's own
 * (`renderEvent`, from the chat catalogue), so a client user and an `nc` user read the same
 * sentences; this adds a `HH:MM` timestamp, a stable colour per name, private messages set apart
 * (a `»` marker, magenta), notices dimmed and errors in red. Pure: colours on or off is a
 * parameter, the clock is injectable.
 *
 * Issue 13: a message that names the reader (protocol/mention.ts) is highlighted: the sender's
 * name in reverse video, the text in bold. Given the terminal's width, long lines wrap at word
 * boundaries with a hanging indent under the text (client/wrap.ts): a message's continuation
 * rows start under its first word, after `HH:MM name: `.
 */

import type { ClientTexts } from "../i18n/client-types.ts";
import type { ChatTexts } from "../i18n/index.ts";
import { type ErrorEvent, isRoomEvent, type RoomEvent, type ServerEvent } from "../protocol/events.ts";
import { mentions } from "../protocol/mention.ts";
import { renderError, renderEvent } from "../protocol/text-render.ts";
import { type Colors, paintName } from "./colors.ts";
import { hangingLines } from "./wrap.ts";

export interface FormatOptions {
  colors: Colors;
  chat: ChatTexts;
  client: ClientTexts;
  /** For events without `at` (lists, help); defaults to `Date.now`. */
  now?: () => number;
  /**
   * The terminal's width in columns, read for every event (so a resize applies to the next line);
   * undefined (the default, and when the output is not a terminal): lines are not wrapped.
   */
  width?: () => number | undefined;
}

export interface Formatter {
  /**
   * The lines for one event, as seen by `self` (undefined before registration). A room event of
   * a room other than `current` starts with `[#room] `, as text mode shows it (protocol §2).
   */
  event(event: ServerEvent, self: string | undefined, current?: string): string[];
  /**
   * A line of the client's own (connection lost, reconnecting...), timestamped; wrapped to the
   * width, the rows are joined by "\n".
   */
  status(text: string, at?: number): string;
}

/** One line to show: `head` (what the wrapped rows hang under) and `body` (what wraps). */
interface Row {
  head: string;
  body: string;
}

/** `line` cut where `text` (the user's words, ending it) starts; all body when it does not end it. */
function splitAt(line: string, text: string): Row {
  return text !== "" && line.endsWith(text)
    ? { head: line.slice(0, line.length - text.length), body: text }
    : { head: "", body: line };
}

/** Marks private messages even without colour. */
export const PRIVATE_MARKER = "»";

/** Local wall-clock `HH:MM`. */
export function formatClock(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

export function createFormatter(opts: FormatOptions): Formatter {
  const { colors: c, chat, client } = opts;
  const now = opts.now ?? Date.now;
  const width = opts.width ?? (() => undefined);
  // Continuation lines of a list line up under the first line's text.
  const indent = " ".repeat(formatClock(0).length);

  const stampWith =
    (prefix: string) =>
    (lines: (string | Row)[], at: number): string[] => {
      const columns = width();
      return lines.flatMap((line, i) => {
        const { head, body } = typeof line === "string" ? { head: "", body: line } : line;
        return hangingLines(`${i === 0 ? c.gray(formatClock(at)) : indent} ${prefix}${head}`, body, columns);
      });
    };
  const stamp = stampWith("");

  return {
    event(event, self, current) {
      const elsewhere =
        isRoomEvent(event) && current !== undefined && event.room.toLowerCase() !== current.toLowerCase();
      const stamp = stampWith(elsewhere ? `${c.cyan(`[${event.room}]`)} ` : "");
      const paint = (name: string) => (name === self ? c.bold(paintName(c, name)) : paintName(c, name));
      const at = "at" in event ? event.at : now();
      /** Someone else's words that name us: highlighted. */
      const named = (from: string, text: string) =>
        self !== undefined && from !== self && mentions(text, self);
      switch (event.type) {
        case "ping":
        case "pong":
          return [];
        case "message": {
          // Not through the catalogue: text mode's "NAME: text" is a fixed shape (protocol §2).
          if (event.notice) return stamp(renderEvent(paintNames(event, paint), chat), at);
          const hit = named(event.from, event.text);
          const name = hit ? c.inverse(paint(event.from)) : paint(event.from);
          return stamp([{ head: `${name}: `, body: hit ? c.bold(event.text) : event.text }], at);
        }
        case "private": {
          const hit = named(event.from, event.text);
          const lines = renderEvent(
            paintNames(event, paint),
            chat,
            self === undefined ? undefined : paint(self),
          );
          return stamp(
            lines.map((l) => {
              const { head, body } = splitAt(l, event.text);
              return {
                head: c.magenta(`${PRIVATE_MARKER} ${head}`),
                body: c.magenta(hit ? c.bold(body) : body),
              };
            }),
            at,
          );
        }
        case "action": {
          const hit = named(event.from, event.text);
          return stamp(
            renderEvent(paintNames(event, paint), chat).map((l) => {
              const { head, body } = splitAt(l, event.text);
              return { head: c.italic(head), body: c.italic(hit ? c.bold(body) : body) };
            }),
            at,
          );
        }
        case "away":
          // Issue 13: your own away state, or the answer to a private message to someone away.
          return stamp(renderEvent(event, chat, self).map(c.yellow), at);
        case "notice":
          return stamp(
            renderEvent(event, chat).map((l) => c.bold(c.yellow(l))),
            at,
          );
        case "throttled":
          // Issue 10 item 2: a long paste is being sent slowly, and when it is all out.
          return stamp(renderEvent(event, chat).map(c.yellow), at);
        case "error":
          return stamp([c.red(errorLine(event, chat, client))], at);
        case "history":
          // Earlier conversation, set apart: dimmed, each line with its own time (text-render).
          return stamp(renderEvent(paintNames(event, paint), chat).map(c.dim), at);
        case "gap":
          return stamp(
            renderEvent(event, chat).map((l) => c.bold(c.yellow(l))),
            at,
          );
        case "bye": {
          const reason: string = event.reason;
          const line = Object.hasOwn(chat.bye, reason)
            ? chat.bye[event.reason]({
                ...(event.text ? { text: event.text } : {}),
                ...(event.until !== undefined ? { until: event.until } : {}),
              })
            : client.byeOther({ reason, ...(event.text ? { text: event.text } : {}) });
          return stamp([c.bold(line)], at);
        }
        default:
          // Notices about the room (joins, leaves, renames, lists, help, greeting): dimmed.
          return stamp(renderEvent(paintNames(event, paint), chat).map(c.dim), at);
      }
    },
    status(text, at = now()) {
      return stamp([c.yellow(text)], at).join("\n");
    },
  };
}

/** The event with every user name replaced by `paint(name)`, for rendering. */
function paintNames(e: ServerEvent, paint: (name: string) => string): ServerEvent {
  switch (e.type) {
    case "welcome":
      return { ...e, name: paint(e.name), users: e.users.map((u) => ({ ...u, name: paint(u.name) })) };
    case "users":
      return { ...e, users: e.users.map((u) => ({ ...u, name: paint(u.name) })) };
    case "joined":
    case "left":
      return { ...e, name: paint(e.name) };
    case "message":
    case "action":
      return { ...e, from: paint(e.from) };
    case "private":
    case "renamed":
      return { ...e, from: paint(e.from), to: paint(e.to) };
    case "topic":
      return { ...e, by: paint(e.by) };
    case "room":
      return { ...e, users: e.users.map((u) => ({ ...u, name: paint(u.name) })) };
    case "history":
      return { ...e, events: e.events.map((x) => paintNames(x, paint) as RoomEvent) };
    default:
      return e;
  }
}

/** `renderError`, with a fallback for codes or params this client does not know (newer server). */
function errorLine(e: ErrorEvent, chat: ChatTexts, client: ClientTexts): string {
  let line: unknown;
  try {
    line = renderError(e, chat);
  } catch {
    line = undefined;
  }
  return typeof line === "string" ? line : client.errorOther({ code: String(e.code) });
}
