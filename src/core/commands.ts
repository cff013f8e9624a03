/**
 * What each command does (the table of names, aliases and usage is protocol/commands.ts, which
 * the clients share). Commands are data: adding one is a row there and a handler here.
 */
import type { CommandName } from "../protocol/commands.ts";
import type { Session } from "./session.ts";

type Handler = (session: Session, args: string, room: string | undefined, cid: string | undefined) => void;

export const COMMAND_HANDLERS: Readonly<Record<CommandName, Handler>> = {
  quit: (s, args) => s.quit(args || undefined),
  users: (s, args, room) => s.listUsers(args || room),
  nick: (s, args) => s.rename(args),
  // The client's id comes along: a `/me` resent after a reconnect is not posted twice.
  me: (s, args, room, cid) => s.action(args, room, cid),
  join: (s, args) => s.join(args),
  part: (s, args, room) => s.part(args || room),
  rooms: (s) => s.listRooms(),
  history: (s, args, room) => s.showHistory(Number.parseInt(args, 10), room, undefined, true),
  topic: (s, args, room) => s.topic(args, room),
  help: (s) => s.help(),
  lang: (s, args) => s.language(args),
};
