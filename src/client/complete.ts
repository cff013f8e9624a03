/**
 * Tab completion for node:readline: nicknames (after `@`, or any word), commands (a word
 * starting with `/` at the start of the line) and room names (after `/join` or `/part` and their
 * aliases, or any word starting with `#`). Pure: readline passes the text before the cursor
 * and gets `[candidates, the word they replace]`.
 *
 * Issue 13: Tab on an empty line addresses someone, `name: `, and each further Tab puts the next
 * name in its place (in order, round again after the last), as chat clients do.
 */
import { COMMAND_WORDS, findCommand } from "../protocol/commands.ts";

/** Commands whose first argument is a room name. */
const ROOM_COMMANDS: ReadonlySet<string> = new Set(["join", "part", "users"]);

export type Completion = [candidates: string[], word: string];

/**
 * Candidates for the word before the cursor. A single candidate gets a trailing space, so the user
 * can go on typing; several are returned as they are (readline fills in their common prefix, and
 * lists them on a second Tab). Names match case-insensitively (the server compares names that way)
 * but are completed with the case the server uses.
 */
export function complete(
  beforeCursor: string,
  users: readonly string[],
  self?: string,
  commands: readonly string[] = COMMAND_WORDS,
  /** Rooms the client knows: its own and the last `/rooms` answer's. */
  rooms: readonly string[] = [],
): Completion {
  const addressed = addressing(beforeCursor, users, self);
  if (addressed !== undefined) return addressed;
  const word = /\S*$/.exec(beforeCursor)?.[0] ?? "";
  const before = beforeCursor.slice(0, beforeCursor.length - word.length);
  const atLineStart = before.trim() === "";
  const args = before.trim().split(/\s+/);
  const command = args.length === 1 && args[0]?.startsWith("/") ? findCommand(args[0].slice(1)) : undefined;
  const roomArgument = command !== undefined && ROOM_COMMANDS.has(command.name);
  if (word === "" && !roomArgument) return [[], word];
  let candidates: string[];
  if (roomArgument || word.startsWith("#")) {
    const p = word.startsWith("#") ? word : `#${word}`;
    candidates = matching([...new Set(rooms)], p);
  } else if (word.startsWith("/")) {
    // `//text` is a message, not a command; a command is only a command at the start of the line.
    if (!atLineStart || word.startsWith("//")) return [[], word];
    candidates = matching(commands, word);
  } else if (word.startsWith("@")) {
    // S8: a private message to yourself is refused, so do not offer your own name.
    const others = users.filter((n) => n !== self);
    candidates = matching(others, word.slice(1)).map((n) => `@${n}`);
  } else {
    candidates = matching(
      users.filter((n) => n !== self),
      word,
    );
  }
  if (candidates.length === 1) return [[`${candidates[0]} `], word];
  return [candidates, word];
}

/**
 * `name: ` for an empty line; for a line that is just `name: ` (a Tab before put it there), the
 * next name in order in its place. Undefined for anything else, or when nobody else is here.
 */
function addressing(beforeCursor: string, users: readonly string[], self?: string): Completion | undefined {
  const others = matching(
    users.filter((n) => n !== self),
    "",
  );
  const first = others[0];
  if (first === undefined) return undefined;
  if (beforeCursor === "") return [[`${first}: `], ""];
  const current = /^(\S+): $/u.exec(beforeCursor)?.[1]?.toLowerCase();
  const at = others.findIndex((n) => n.toLowerCase() === current);
  if (at < 0) return undefined;
  const next = others[(at + 1) % others.length] as string;
  // Alone with one other person there is nothing to cycle to (and readline would list the one).
  return others.length === 1 ? [[], beforeCursor] : [[`${next}: `], beforeCursor];
}

/** Names starting with `prefix`, case-insensitively, sorted for a stable list. */
function matching(names: readonly string[], prefix: string): string[] {
  const p = prefix.toLowerCase();
  return names
    .filter((n) => n.toLowerCase().startsWith(p))
    .sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }));
}
