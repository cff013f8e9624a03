/**
 * Renders events as the human-readable lines of text mode (docs/protocol.md §2). The terminal
 * client reuses this for the json events it receives, so both read the same.
 */
import type { ChatTexts } from "../i18n/types.ts";
import { type ErrorEvent, isSaid, type RoomEvent, type ServerEvent } from "./events.ts";

/** HH:MM of a time stamp, in the local time of whoever renders it. */
export function clockTime(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** The line a logged room event reads as (live, or in history after its time). */
export function renderRoomEvent(event: RoomEvent, t: ChatTexts): string {
  switch (event.type) {
    case "joined":
      return t.joined(event);
    case "left":
      return event.by !== undefined ? t.kickedFromRoom({ ...event, by: event.by }) : t.left(event);
    case "message":
      return event.notice ? t.noticeIn(event) : `${event.from}: ${event.text}`;
    case "action":
      return t.action(event);
    case "renamed":
      return t.renamed(event);
    case "topic":
      return t.topicSet(event);
    default: {
      const never: never = event;
      return never;
    }
  }
}

/**
 * The lines (without line ends) one event shows as. `self` is the viewer's name, which decides
 * whether a private message is incoming or the sender's own copy. Room events read the same in
 * every room; a text transport prefixes those of rooms other than the viewer's current one.
 */
export function renderEvent(event: ServerEvent, t: ChatTexts, self?: string): string[] {
  switch (event.type) {
    case "hello":
      return [t.greeting({ online: event.online })];
    case "prompt":
      return [event.need === "name" ? t.promptName : t.promptPassword];
    case "welcome":
      return [
        t.welcome({ name: event.name, address: event.address }),
        t.online({ names: event.users.map((u) => u.name) }),
        t.tips,
      ];
    case "joined":
    case "left":
    case "message":
    case "action":
    case "renamed":
    case "topic":
      return [renderRoomEvent(event, t)];
    case "room": {
      if (event.initial) return [];
      if (event.query)
        return [event.topic ? t.topicIs({ room: event.room, topic: event.topic }) : t.noTopic({ room: event.room })];
      // The event lists who was there before the viewer's own `joined`: a person counts themself.
      const names = event.users.map((u) => u.name);
      if (self !== undefined && self !== "" && !names.includes(self) && names.length > 0) names.push(self);
      return [
        t.roomEntered({ room: event.room, names }),
        ...(event.topic ? [t.topicIs({ room: event.room, topic: event.topic })] : []),
      ];
    }
    case "history": {
      // What people said; comings and goings are in the log (json clients get them) but a
      // late arriver reading the text wants the conversation.
      const said = event.events.filter(isSaid);
      if (said.length === 0) return [];
      return [
        t.historyHeader({ room: event.room, count: said.length, more: event.more }),
        ...said.map((e) => t.historyLine({ time: clockTime(e.at), line: renderRoomEvent(e, t) })),
        t.historyEnd,
      ];
    }
    case "gap":
      return [t.gap(event)];
    case "current":
      return [t.current(event)];
    case "parted":
      return [t.parted(event)];
    case "rooms":
      return [t.roomsHeader({ count: event.rooms.length }), ...event.rooms.map((r) => t.roomsLine(r))];
    case "private":
      return [
        self !== undefined && event.from === self && event.to !== self
          ? t.privateOut({ to: event.to, text: event.text })
          : event.notice
            ? t.privateNoticeIn({ from: event.from, text: event.text })
            : t.privateIn({ from: event.from, text: event.text }),
      ];
    case "away":
      // Your own state (issue 13), or the answer to a private message to someone away.
      if (self !== undefined && event.name === self)
        return [event.away ? t.awayOn({ text: event.text ?? "" }) : t.awayOff];
      return [t.awayReply({ name: event.name, text: event.text ?? "" })];
    case "mode":
      return [
        t.modeChanged({ by: event.by, room: event.room, modes: [event.modes, ...event.args].join(" ") }),
      ];
    case "invited":
      return [
        self !== undefined && event.by === self
          ? t.inviteSent({ name: event.name, room: event.room })
          : t.invitedYou({ by: event.by, room: event.room }),
      ];
    case "users": {
      const names = event.users.map((u) => u.name);
      return [
        event.room ? t.roomUsers({ room: event.room, names }) : t.online({ names }),
        ...event.users.map((u) => t.usersLine(u)),
      ];
    }
    case "help":
      return [
        t.helpHeader,
        ...event.commands.map((c) => {
          // Issue 10 item 5: the usage in the reader's language, led by the name it uses
          // (`/sair [motivo]`); every other name of the command follows as an alias.
          const usage = t.commandUsage[c.name] ?? c.usage;
          const shown = /^\/(\S+)/.exec(usage)?.[1] ?? c.name;
          const others = [c.name, ...c.aliases].filter((a) => a !== shown);
          const aliases = others.length ? ` (${others.map((a) => `/${a}`).join(", ")})` : "";
          return `*   ${usage}${aliases} — ${t.commandHelp[c.name] ?? ""}`;
        }),
        `*   ${t.commandUsage.private ?? "@NAME TEXT"} — ${t.commandHelp.private ?? ""}`,
      ];
    case "notice":
      switch (event.code) {
        case "announce":
          return [t.announce({ text: event.params.text ?? "" })];
        case "history_paused":
          return [t.historyPaused];
        case "history_resumed":
          return [t.historyResumed];
        case "cluster_degraded":
          return [t.clusterDegraded];
        case "cluster_restored":
          return [t.clusterRestored];
      }
      return [];
    case "lang":
      return [event.changed ? t.langSet(event) : t.langNow(event)];
    case "throttled":
      return [event.queued > 0 ? t.throttled(event) : t.throttledDone];
    case "error":
      return [renderError(event, t)];
    case "bye":
      return [
        t.bye[event.reason]({
          ...(event.text ? { text: event.text } : {}),
          ...(event.until !== undefined ? { until: event.until } : {}),
        }),
      ];
    case "ping":
    case "pong":
      return [];
    default: {
      const never: never = event;
      return never;
    }
  }
}

export function renderError(e: ErrorEvent, t: ChatTexts): string {
  switch (e.code) {
    case "name_invalid":
      return t.nameProblem[e.params.reason];
    case "name_taken":
      return t.nameTaken(e.params);
    case "unknown_user":
      return t.unknownUser(e.params);
    case "private_self":
      return t.privateSelf;
    case "private_missing_text":
      return t.privateMissingText({ usage: t.commandUsage.private ?? e.params.usage });
    case "unknown_command":
      return t.unknownCommand(e.params);
    case "usage":
      return t.usage({ usage: t.commandUsage[e.params.command] ?? e.params.usage });
    case "not_registered":
      return t.notRegistered;
    case "line_too_long":
      return t.lineTooLong(e.params);
    case "invalid_utf8":
      return t.invalidUtf8;
    case "bad_json":
      return t.badJson;
    case "bad_request":
      return t.badRequest;
    case "flood":
      return t.flood(e.params);
    case "bad_password":
      return t.badPassword;
    case "internal":
      return t.internal;
    case "room_invalid":
      return t.roomProblem[e.params.reason];
    case "not_in_room":
      return t.notInRoom(e.params);
    case "too_many_rooms":
      return t.tooManyRooms(e.params);
    case "rooms_full":
      return t.roomsFull(e.params);
    case "lobby_part":
      return t.lobbyPart;
    case "resume_failed":
      return t.resumeFailed(e.params);
    case "not_room_operator":
      return t.notRoomOperator(e.params);
    case "room_full":
      return t.roomFull(e.params);
    case "room_key":
      return t.roomKey(e.params);
    case "room_invite_only":
      return t.roomInviteOnly(e.params);
    case "room_banned":
      return t.roomBanned(e.params);
    case "room_moderated":
      return t.roomModerated(e.params);
    case "user_not_in_room":
      return t.userNotInRoom(e.params);
    case "user_in_room":
      return t.userInRoom(e.params);
    case "bad_mode":
      return t.badMode(e.params);
    case "lang_unknown":
      return t.langUnknown({ lang: e.params.lang, langs: e.params.langs });
    default: {
      const never: never = e;
      return never;
    }
  }
}
