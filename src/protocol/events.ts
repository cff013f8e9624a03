/**
 * Everything the server tells a client is one of these events. Transports render them: json mode
 * as-is (docs/protocol.md §5), text mode through the i18n catalogue. The core never builds text.
 */
/** Why a name is refused (core/nickname.ts decides; clients show the reason). */
export type NameProblem =
  | "empty"
  | "too_long"
  | "space"
  | "at_sign"
  | "control"
  | "invisible"
  | "reserved"
  | "mixed_script"
  | "brace"
  | "slash"
  | "comma";

/** `"IP:PORT"`, or null when the operator hides addresses. */
export type Address = string | null;

export interface UserInfo {
  name: string;
  address: Address;
  /** Set while the user is away (`/away`): their message, "" when they gave none. */
  away?: string;
}

export type LeaveReason = "quit" | "disconnected" | "kicked" | "error";

export type ByeReason =
  | "quit"
  | "kicked"
  | "shutdown"
  | "line_overflow"
  | "bad_frame"
  | "registration_timeout"
  | "send_queue_exceeded"
  | "flood"
  | "ping_timeout"
  | "idle_line_timeout"
  | "server_full"
  | "too_many_connections"
  | "connect_rate"
  | "bad_password"
  | "replaced"
  /** Issue 13: the operator banned this address or name (`text`: the reason, `until`: when it ends). */
  | "banned";

export type ErrorEvent =
  | { type: "error"; code: "name_invalid"; params: { reason: NameProblem }; at: number }
  | { type: "error"; code: "name_taken"; params: { name: string }; at: number }
  | { type: "error"; code: "unknown_user"; params: { name: string }; at: number }
  | { type: "error"; code: "private_self"; params: Record<string, never>; at: number }
  | { type: "error"; code: "private_missing_text"; params: { usage: string }; at: number }
  | { type: "error"; code: "unknown_command"; params: { command: string }; at: number }
  | { type: "error"; code: "usage"; params: { command: string; usage: string }; at: number }
  | { type: "error"; code: "not_registered"; params: Record<string, never>; at: number }
  | { type: "error"; code: "line_too_long"; params: { limit: number }; at: number }
  | { type: "error"; code: "invalid_utf8"; params: Record<string, never>; at: number }
  | { type: "error"; code: "bad_json"; params: Record<string, never>; at: number }
  | { type: "error"; code: "bad_request"; params: Record<string, never>; at: number }
  | { type: "error"; code: "flood"; params: { retryMs: number }; at: number }
  | { type: "error"; code: "bad_password"; params: Record<string, never>; at: number }
  | { type: "error"; code: "internal"; params: Record<string, never>; at: number }
  | { type: "error"; code: "room_invalid"; params: { reason: NameProblem | "prefix" }; at: number }
  | { type: "error"; code: "not_in_room"; params: { room: string }; at: number }
  | { type: "error"; code: "too_many_rooms"; params: { limit: number }; at: number }
  | { type: "error"; code: "rooms_full"; params: { limit: number }; at: number }
  | { type: "error"; code: "lobby_part"; params: Record<string, never>; at: number }
  | { type: "error"; code: "resume_failed"; params: { reason: "invalid" | "expired" | "taken" }; at: number }
  // Room operators and modes (issue 11, core/room-modes.ts).
  | { type: "error"; code: "not_room_operator"; params: { room: string }; at: number }
  | { type: "error"; code: "room_full"; params: { room: string; limit: number }; at: number }
  | { type: "error"; code: "room_key"; params: { room: string }; at: number }
  | { type: "error"; code: "room_invite_only"; params: { room: string }; at: number }
  | { type: "error"; code: "room_banned"; params: { room: string }; at: number }
  | { type: "error"; code: "room_moderated"; params: { room: string }; at: number }
  | { type: "error"; code: "user_not_in_room"; params: { room: string; name: string }; at: number }
  | { type: "error"; code: "user_in_room"; params: { room: string; name: string }; at: number }
  | {
      type: "error";
      code: "bad_mode";
      params: {
        room: string;
        mode: string;
        problem: "unknown" | "invalid_param" | "not_in_room" | "list_full";
        arg?: string;
      };
      at: number;
    }
  /** Issue 13: `/lang` named a language the server has no texts in. */
  | { type: "error"; code: "lang_unknown"; params: { lang: string; langs: string[] }; at: number };

export type ErrorCode = ErrorEvent["code"];

export interface CommandInfo {
  name: string;
  aliases: string[];
  usage: string;
}

/** Where a logged room event stands: its room, its place in the room's log, when papo stamped it. */
export interface Logged {
  /** The room's display name (`#lobby`). Json clients may treat a missing room as the lobby. */
  room: string;
  /** The event's place in the room's log: 1, 2, 3... with no gaps, one order for every member. */
  seq: number;
  /** Milliseconds since the epoch, when the server accepted the event. */
  at: number;
}

/**
 * The events that go into a room's log (docs/protocol.md §6): every member of the room receives
 * them in `seq` order, and history replays them with their original `at`.
 */
export type RoomEvent =
  | ({ type: "joined"; name: string; address: Address } & Logged)
  /** `by`: the room operator who removed `name` from this room (reason `kicked`). */
  | ({ type: "left"; name: string; reason: LeaveReason; text?: string; by?: string } & Logged)
  /** `notice`: sent as a notice (IRC NOTICE): shown as one, and never answered automatically. */
  | ({ type: "message"; from: string; text: string; cid?: string; notice?: true } & Logged)
  | ({ type: "action"; from: string; text: string; cid?: string } & Logged)
  | ({ type: "renamed"; from: string; to: string } & Logged)
  | ({ type: "topic"; by: string; topic: string } & Logged);

export type RoomEventType = RoomEvent["type"];

const ROOM_EVENT_TYPES: ReadonlySet<string> = new Set<RoomEventType>([
  "joined",
  "left",
  "message",
  "action",
  "renamed",
  "topic",
]);

/** True for the events that go into a room's log. */
export function isRoomEvent(event: { type: string }): event is RoomEvent {
  return ROOM_EVENT_TYPES.has(event.type);
}

/**
 * What people said in a room: messages, actions and topics, not comings and goings. Text mode
 * shows only these in a history block, and `/history N` counts only these.
 */
export function isSaid(event: RoomEvent): boolean {
  return event.type === "message" || event.type === "action" || event.type === "topic";
}

/** A room event before the log has given it its place. */
export type UnsequencedRoomEvent = RoomEvent extends infer E
  ? E extends RoomEvent
    ? Omit<E, "seq">
    : never
  : never;

/** One line of `/rooms`. */
export interface RoomInfo {
  room: string;
  users: number;
  topic?: string;
}

/** Why a resume could not replay a room from where the client was (docs/protocol.md §6). */
export type GapReason = "epoch" | "pruned";

export type NoticeCode =
  | "announce"
  | "history_paused"
  | "history_resumed"
  | "cluster_degraded"
  | "cluster_restored";

export type ServerEvent =
  | { type: "hello"; protocol: 1; server: string; online: number }
  | { type: "prompt"; need: "name" | "password" }
  | {
      type: "welcome";
      name: string;
      address: Address;
      /** Who is in the lobby. */
      users: UserInfo[];
      at: number;
      /** The lobby's name; absent from servers before rooms (treat as `#lobby`). */
      room?: string;
      /** The store's epoch: sequence numbers are comparable only within one epoch. */
      epoch?: string;
      /** Proof of this session, for `resume` after a lost connection (json and WebSocket only). */
      token?: string;
      /** True when this welcome answers a `resume` and the session's rooms were kept. */
      resumed?: boolean;
    }
  | RoomEvent
  | { type: "private"; from: string; to: string; text: string; at: number; cid?: string; notice?: true }
  /**
   * Away (issue 13): `name` is the recipient itself when its own state changed (`/away`,
   * `/back`); another name answers a private message to a user who is away (`away` true, `text`
   * their message, "" when they gave none).
   */
  | { type: "away"; name: string; away: boolean; text?: string; at: number }
  /** A room operator changed the room's modes (`+o ana`, `+k`, ...): to every member present. */
  | { type: "mode"; room: string; by: string; modes: string; args: string[]; at: number }
  /** `by` invited `name` to `room`: to the invited user, and to `by` as the confirmation. */
  | { type: "invited"; room: string; by: string; name: string; at: number }
  | { type: "users"; users: UserInfo[]; room?: string }
  | { type: "help"; commands: CommandInfo[] }
  | { type: "notice"; code: NoticeCode; params: { text?: string }; at: number }
  /**
   * To the sender only (issue 10 item 2): flood control holds `queued` of its lines, the last of
   * which goes out in about `delayMs`; `queued` 0 when all have gone.
   */
  | { type: "throttled"; queued: number; delayMs: number; at: number }
  | {
      type: "room";
      room: string;
      /** Who is in the room now. */
      users: UserInfo[];
      topic?: string;
      epoch: string;
      /** The room's last seq before anything live that follows this event. */
      seq: number;
      /** True when plain lines now go to this room. */
      current: boolean;
      /** True for the lobby entered at registration: the welcome already said who is there. */
      initial?: boolean;
      /** True when this answers `/topic` without text: a look at the room, not an entry into it. */
      query?: boolean;
    }
  | {
      type: "history";
      room: string;
      /** Logged events, oldest first. */
      events: RoomEvent[];
      /** True when the log holds older events than the first one here. */
      more: boolean;
      /** Why this is the start of the room's replay: "join" (last N), "resume" (after the client's seq), "request". */
      kind: "join" | "resume" | "request";
    }
  | { type: "gap"; room: string; reason: GapReason; epoch: string; seq: number }
  | { type: "current"; room: string }
  | { type: "parted"; room: string; current: string }
  | { type: "rooms"; rooms: RoomInfo[] }
  /**
   * Issue 13: answer to `/lang`: the language of this connection's server-rendered texts, the
   * ones available, and whether it just changed.
   */
  | { type: "lang"; lang: string; langs: string[]; changed: boolean }
  | ErrorEvent
  | { type: "bye"; reason: ByeReason; text?: string; until?: number; at: number }
  | { type: "ping"; id?: unknown }
  | { type: "pong"; id?: unknown };

export type EventType = ServerEvent["type"];

/** Builds an error event; `params` is checked against the code. */
export function errorEvent<C extends ErrorCode>(
  code: C,
  params: Extract<ErrorEvent, { code: C }>["params"],
): Extract<ErrorEvent, { code: C }> {
  return { type: "error", code, params, at: Date.now() } as Extract<ErrorEvent, { code: C }>;
}

/** A change of a room's modes, as announced (and, in a cluster, sent to every node). */
export type ModeEvent = Extract<ServerEvent, { type: "mode" }>;

/** An invitation to a room, as told to the invited user and its author. */
export type InvitedEvent = Extract<ServerEvent, { type: "invited" }>;
