/**
 * What the client knows, as a pure reducer of server events: who we are, the rooms we are in
 * (who is there, and how far we have read each room's log), the current room, and the names
 * the last `/rooms` answer listed (for Tab completion).
 *
 * Reading position (issue 14): per room, the store's `epoch` and `seen`, the highest `seq` shown.
 * A room event at or below `seen` in the same epoch was shown already (a resume replays from
 * where we were; the client drops what overlaps), and a resume asks for what follows
 * `max(seen, head)`: `head` is where the log stood when we entered, so history we chose not to
 * read is not replayed.
 */
import type { RoomEvent, ServerEvent } from "../protocol/events.ts";

/** The lobby's name before the server says otherwise (servers before rooms have only it). */
export const LOBBY = "#lobby";

export interface RoomView {
  /** The display name the server uses. */
  readonly name: string;
  readonly users: readonly string[];
  readonly topic?: string;
  /** The store's epoch for this room's sequence numbers ("" when the server sends none). */
  readonly epoch: string;
  /** The room's last seq when we entered it (the `room` event). */
  readonly head: number;
  /** The highest seq shown (or read past) in this epoch. */
  readonly seen: number;
}

export interface ClientState {
  /** Our registered name; kept across a reconnect so we can claim it again. */
  readonly self: string | undefined;
  /** Everyone online we know of (every room we are in), us included, for Tab completion. */
  readonly users: readonly string[];
  /** The rooms we are in, in the order we entered them. */
  readonly rooms: readonly RoomView[];
  /** Where plain lines go. */
  readonly current: string;
  /** The resume token of the last welcome. */
  readonly token?: string;
  /** Room names from the last `/rooms` answer. */
  readonly listed: readonly string[];
}

export const INITIAL_STATE: ClientState = {
  self: undefined,
  users: [],
  rooms: [],
  current: LOBBY,
  listed: [],
};

/** Room names compare like nicknames on the server; case is the part a client can fold. */
/** Errors that say a room's modes keep us out of it. */
const ROOM_REFUSALS = new Set(["room_invite_only", "room_key", "room_full", "room_banned"]);

export function sameRoom(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function findRoom(state: ClientState, name: string): RoomView | undefined {
  return state.rooms.find((r) => sameRoom(r.name, name));
}

/**
 * True when `event` is a room event this client has shown already: the same room, the same
 * epoch, and a seq at or below what was seen. Events without a seq (servers before rooms) never are.
 */
export function alreadySeen(state: ClientState, event: RoomEvent): boolean {
  if (event.seq <= 0) return false;
  const room = findRoom(state, event.room);
  return room !== undefined && event.seq <= room.seen;
}

/** Where a resume should continue each room: after the last event we saw or skipped. */
export function resumePoints(state: ClientState): { room: string; epoch: string; seq: number }[] {
  return state.rooms
    .filter((r) => r.epoch !== "")
    .map((r) => ({ room: r.name, epoch: r.epoch, seq: Math.max(r.seen, r.head) }));
}

/** The state after `event`; the same object when the event changes nothing. */
export function reduce(state: ClientState, event: ServerEvent): ClientState {
  switch (event.type) {
    case "welcome": {
      const users = unique(event.users.map((u) => u.name));
      const lobby = event.room ?? LOBBY;
      // A reconnect keeps the reading positions: the replay that follows is compared with them.
      const kept = state.rooms.some((r) => sameRoom(r.name, lobby))
        ? state.rooms.map((r) => (sameRoom(r.name, lobby) ? { ...r, users } : r))
        : [...state.rooms, { name: lobby, users, epoch: event.epoch ?? "", head: 0, seen: 0 }];
      return withUsers({
        ...state,
        self: event.name,
        rooms: kept,
        ...(event.token !== undefined ? { token: event.token } : {}),
      });
    }
    case "room": {
      const users = unique(event.users.map((u) => u.name));
      const old = findRoom(state, event.room);
      // Another epoch: the store was rebuilt, and its numbers say nothing about ours.
      const seen = old && old.epoch === event.epoch ? old.seen : 0;
      const view: RoomView = {
        name: event.room,
        users,
        ...(event.topic ? { topic: event.topic } : {}),
        epoch: event.epoch,
        head: event.seq,
        seen,
      };
      const rooms = old ? state.rooms.map((r) => (r === old ? view : r)) : [...state.rooms, view];
      return withUsers({ ...state, rooms, current: event.current ? event.room : state.current });
    }
    case "history": {
      // What a join or a resume replays counts as read; an older page asked for does not move us.
      if (event.kind === "request") return state;
      const room = findRoom(state, event.room);
      if (!room) return state;
      const last = event.events.at(-1)?.seq ?? 0;
      const seen = Math.max(room.seen, room.head, last);
      return seen === room.seen ? state : updateRoom(state, room, { seen });
    }
    case "current":
      return sameRoom(state.current, event.room) ? state : { ...state, current: event.room };
    case "parted":
      return withUsers({
        ...state,
        rooms: state.rooms.filter((r) => !sameRoom(r.name, event.room)),
        current: event.current,
      });
    case "error": {
      // A room's modes refused us (a resume names the rooms we were in): we are not in it.
      const room = (event.params as { room?: unknown }).room;
      if (!ROOM_REFUSALS.has(event.code) || typeof room !== "string" || !findRoom(state, room)) return state;
      const rooms = state.rooms.filter((r) => !sameRoom(r.name, room));
      const current = sameRoom(state.current, room) ? (rooms.at(-1)?.name ?? LOBBY) : state.current;
      return withUsers({ ...state, rooms, current });
    }
    case "rooms":
      return { ...state, listed: event.rooms.map((r) => r.room) };
    case "users": {
      const users = unique(event.users.map((u) => u.name));
      const room = findRoom(state, event.room ?? state.current);
      return room ? withUsers(updateRoom(state, room, { users })) : state;
    }
    case "joined":
    case "left":
    case "message":
    case "action":
    case "renamed":
    case "topic":
      return roomEvent(state, event);
    default:
      return state;
  }
}

function roomEvent(state: ClientState, event: RoomEvent): ClientState {
  const self =
    event.type === "renamed" && state.self !== undefined && state.self === event.from ? event.to : state.self;
  const room = findRoom(state, event.room);
  if (!room) return self === state.self ? state : { ...state, self };
  const change: { users?: string[]; topic?: string; seen?: number } = {};
  if (event.seq > room.seen) change.seen = event.seq;
  switch (event.type) {
    case "joined":
      if (!room.users.includes(event.name)) change.users = [...room.users, event.name];
      break;
    case "left":
      if (room.users.includes(event.name)) change.users = room.users.filter((n) => n !== event.name);
      break;
    case "renamed":
      change.users = unique(room.users.map((n) => (n === event.from ? event.to : n)));
      break;
    case "topic":
      change.topic = event.topic;
      break;
    default:
      break;
  }
  if (Object.keys(change).length === 0 && self === state.self) return state;
  const next = updateRoom({ ...state, self }, room, change);
  return change.users || self !== state.self ? withUsers(next) : next;
}

function updateRoom(state: ClientState, room: RoomView, change: Partial<RoomView>): ClientState {
  return { ...state, rooms: state.rooms.map((r) => (r === room ? { ...r, ...change } : r)) };
}

/** `users` again from the rooms: everyone we share a room with, in the order first seen. */
function withUsers(state: ClientState): ClientState {
  return { ...state, users: unique(state.rooms.flatMap((r) => r.users)) };
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
