/**
 * IRC messages (RFC 1459 §2.3.1, the modern ircdocs grammar, IRCv3 message-tags): one line, without
 * its CRLF, to and from `{ tags, source, command, params }`. Pure and socket-free; tested against
 * every ircdocs/parser-tests vector (test/fixtures/irc-parser-tests.json).
 *
 * Parsing follows RFC 1459 where the ircdocs vectors do: one or more spaces separate the parts.
 * The command keeps its case (the transport upper-cases it to dispatch).
 */

/** One IRC message. `params` includes the trailing parameter, if any, as its last element. */
export interface IrcMessage {
  /** IRCv3 tags, unescaped; a tag without a value has the empty string. */
  tags?: ReadonlyMap<string, string>;
  /** The prefix without its leading `:` (`nick!user@host` or a server name). */
  source?: string;
  command: string;
  params: readonly string[];
}

const SPACE = 0x20;

/**
 * Parses one line (no CR or LF). Returns null when there is no command (an empty line, only
 * spaces, only tags or a source). Duplicate tags: the last one wins (message-tags).
 */
export function parseMessage(line: string): IrcMessage | null {
  let i = 0;
  const n = line.length;
  let tags: Map<string, string> | undefined;
  if (line.charCodeAt(0) === 0x40 /* @ */) {
    let end = line.indexOf(" ");
    if (end < 0) end = n;
    tags = parseTags(line.slice(1, end));
    i = end;
  }
  i = skipSpaces(line, i);
  let source: string | undefined;
  if (line.charCodeAt(i) === 0x3a /* : */) {
    let end = line.indexOf(" ", i);
    if (end < 0) end = n;
    source = line.slice(i + 1, end);
    i = skipSpaces(line, end);
  }
  let end = line.indexOf(" ", i);
  if (end < 0) end = n;
  const command = line.slice(i, end);
  if (command.length === 0) return null;
  i = end;
  const params: string[] = [];
  for (;;) {
    i = skipSpaces(line, i);
    if (i >= n) break;
    if (line.charCodeAt(i) === 0x3a) {
      params.push(line.slice(i + 1));
      break;
    }
    let stop = line.indexOf(" ", i);
    if (stop < 0) stop = n;
    params.push(line.slice(i, stop));
    i = stop;
  }
  const message: IrcMessage = { command, params };
  if (tags) message.tags = tags;
  if (source !== undefined) message.source = source;
  return message;
}

function skipSpaces(s: string, i: number): number {
  while (s.charCodeAt(i) === SPACE) i++;
  return i;
}

function parseTags(raw: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const item of raw.split(";")) {
    if (item.length === 0) continue;
    const eq = item.indexOf("=");
    if (eq < 0) tags.set(item, "");
    else tags.set(item.slice(0, eq), unescapeTagValue(item.slice(eq + 1)));
  }
  return tags;
}

const UNESCAPES: Readonly<Record<string, string>> = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };

/**
 * message-tags "Escaping values": `\:` `\s` `\\` `\r` `\n`; any other escaped character stands for
 * itself; a lone `\` at the end is dropped.
 */
export function unescapeTagValue(value: string): string {
  if (!value.includes("\\")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    i++;
    if (i >= value.length) break;
    const next = value[i] as string;
    out += UNESCAPES[next] ?? next;
  }
  return out;
}

/** The inverse of unescapeTagValue for any string: `;` space `\` CR LF escaped. */
export function escapeTagValue(value: string): string {
  return value.replace(/[; \\\r\n]/g, escapeChar);
}

const ESCAPES: Readonly<Record<string, string>> = {
  ";": "\\:",
  " ": "\\s",
  "\\": "\\\\",
  "\r": "\\r",
  "\n": "\\n",
};

function escapeChar(ch: string): string {
  return ESCAPES[ch] ?? ch;
}

/** Thrown by serializeMessage for a message no line can carry (a bug in the caller). */
export class IrcSyntaxError extends Error {
  override readonly name = "IrcSyntaxError";
}

// Anything that would end the line or the message early (CR, LF, NUL).
const LINE_BREAKING = /[\r\n\0]/;
// A command is a word or a three-digit numeric (RFC 1459 §2.3.1).
const COMMAND = /^(?:[A-Za-z]+|[0-9]{3})$/;
// A tag key: an optional `+`, an optional vendor (a host name) and `/`, then letters, digits, `-`.
const TAG_KEY = /^\+?(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;

/**
 * One line (without CRLF) carrying `message`. A tag without a value is written as its bare key;
 * only the last parameter is written as a trailing one, and only when it must be (it is empty,
 * holds a space or starts with `:`) unless `alwaysTrailing` asks for it (what servers send, and
 * what simple bots that split at ` :` expect). Throws IrcSyntaxError for what no line can carry: CR, LF or
 * NUL anywhere, a command that is not letters or three digits, a source or a middle parameter that is empty, holds a space or
 * starts with `:`, or a malformed tag key.
 */
export function serializeMessage(message: IrcMessage, alwaysTrailing = false): string {
  let out = "";
  if (message.tags && message.tags.size > 0) {
    let first = true;
    for (const [key, value] of message.tags) {
      if (!TAG_KEY.test(key)) throw new IrcSyntaxError(`bad tag key ${JSON.stringify(key)}`);
      if (value.includes("\0")) throw new IrcSyntaxError("NUL in a tag value");
      out += first ? "@" : ";";
      first = false;
      out += value === "" ? key : `${key}=${escapeTagValue(value)}`;
    }
    out += " ";
  }
  if (message.source !== undefined) {
    if (!isMiddle(message.source)) throw new IrcSyntaxError(`bad source ${JSON.stringify(message.source)}`);
    out += `:${message.source} `;
  }
  const command = message.command;
  if (!COMMAND.test(command)) throw new IrcSyntaxError(`bad command ${JSON.stringify(command)}`);
  out += command;
  const params = message.params;
  const last = params.length - 1;
  for (let i = 0; i < last; i++) {
    const p = params[i] as string;
    if (!isMiddle(p)) throw new IrcSyntaxError(`bad middle parameter ${JSON.stringify(p)}`);
    out += ` ${p}`;
  }
  if (last >= 0) {
    const p = params[last] as string;
    if (LINE_BREAKING.test(p)) throw new IrcSyntaxError("CR, LF or NUL in a parameter");
    out += isMiddle(p) && !alwaysTrailing ? ` ${p}` : ` :${p}`;
  }
  return out;
}

/** Can `s` be written as a middle parameter (or a source, or a command)? */
export function isMiddle(s: string): boolean {
  return s.length > 0 && s.charCodeAt(0) !== 0x3a && !s.includes(" ") && !LINE_BREAKING.test(s);
}
