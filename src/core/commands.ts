/**
 * What each command does (the table of names, aliases and usage is protocol/commands.ts, which
 * the clients share). Commands are data: adding one is a row there and a handler here.
 */
import type { CommandName } from "../protocol/commands.ts";
import { errorEvent } from "../protocol/events.ts";
import { parseModeRequest } from "./room-modes.ts";
import type { Session } from "./session.ts";

type Handler = (session: Session, args: string, room: string | undefined, cid: string | undefined) => void;

export const COMMAND_HANDLERS: Readonly<Record<CommandName, Handler>> = {
  quit: (s, args) => s.quit(args || undefined),
  users: (s, args, room) => s.listUsers(args || room),
  nick: (s, args) => s.rename(args),
  // The client's id comes along: a `/me` resent after a reconnect is not posted twice.
  me: (s, args, room, cid) => s.action(args, room, cid),
  // `/join #room [key]`: a key for a room its operators locked (+k).
  join: (s, args) => {
    const [room = "", key] = args.split(/\s+/).filter(Boolean);
    s.join(room, key);
  },
  // `/part [#room] [reason]`: the first word names the room, the rest is the reason.
  part: (s, args, room) => {
    const [first = "", ...rest] = args.split(/\s+/).filter(Boolean);
    s.part(first || room, rest.join(" ") || undefined);
  },
  rooms: (s) => s.listRooms(),
  history: (s, args, room) => s.showHistory(Number.parseInt(args, 10), room, undefined, true),
  topic: (s, args, room) => s.topic(args, room),
  away: (s, args) => s.setAway(args),
  back: (s) => s.setAway(undefined),
  // Room operators (room-modes.ts): in the current room, or the one named first.
  kick: (s, args, room) => {
    const [name = "", ...reason] = args.split(/\s+/).filter(Boolean);
    s.kickFromRoom(room ?? "", name, reason.join(" ") || undefined);
  },
  invite: (s, args, room) => {
    const [name = "", target] = args.split(/\s+/).filter(Boolean);
    s.invite(name, target ?? room ?? "");
  },
  mode: (s, args, room) => {
    const words = args.split(/\s+/).filter(Boolean);
    const target = words[0]?.startsWith("#") ? words.shift() : room;
    const [spec = "", ...params] = words;
    if (!/^[+-]/.test(spec))
      return s.send(errorEvent("usage", { command: "mode", usage: "/mode [#room] +MODES [ARGS]" }));
    s.setModes(target ?? "", parseModeRequest(spec, params));
  },
  help: (s) => s.help(),
  lang: (s, args) => s.language(args),
};
