/**
 * What a chat is configured with (the server composes it): its options, room limits and log sink.
 * Apart from chat.ts so that the session can name them without importing the chat.
 */
import type { AdmissionLimits } from "./admission.ts";
import type { FloodLimits } from "./flood.ts";
import type { FanOut, RoomStore } from "./ports.ts";

export interface RoomLimits {
  /** Rooms one user may be in at once, the lobby included. */
  maxRoomsPerUser: number;
  /** Rooms with people in them, in all. */
  maxRooms: number;
  /** Longest room name, in code points, without the `#`. */
  maxRoomNameLength: number;
  /** Logged events shown on joining a room. */
  historyOnJoin: number;
  /** Most events one `/history` or json `history` request returns. */
  historyMaxPerRequest: number;
  /** Most events one resume replays per room; a longer absence is a gap. */
  resumeMaxEvents: number;
  /** Latest events per room kept in memory (history on join and short resumes without the store). */
  roomRingSize: number;
  /** How long a resume token stays valid, in milliseconds. */
  resumeTtlMs: number;
  /** Milliseconds between attempts to write history again after the store failed. */
  storeRetryMs: number;
}

export const DEFAULT_ROOM_LIMITS: RoomLimits = {
  maxRoomsPerUser: 20,
  maxRooms: 1000,
  maxRoomNameLength: 32,
  historyOnJoin: 50,
  historyMaxPerRequest: 500,
  resumeMaxEvents: 5000,
  roomRingSize: 200,
  resumeTtlMs: 24 * 60 * 60 * 1000,
  storeRetryMs: 5000,
};

export interface ChatOptions {
  /** `papo/VERSION`, sent in `hello`. */
  server: string;
  /** The server's language (`--lang`): what `/lang` reports where a connection chose none. */
  lang?: string;
  /** Hide IP:port from other users (`--hide-addresses`). */
  hideAddresses: boolean;
  /** Longest name, in code points. */
  maxNameLength: number;
  /** Milliseconds a connection may take to choose a name (absolute, not reset by traffic). */
  registrationTimeoutMs: number;
  /** Log message content (off by default: the operator must ask). */
  logMessages: boolean;
  /** The server password (`--password`); unset or empty: none is asked for. */
  password?: string;
  /** Milliseconds before a wrong password is answered, against guessing (default 2000). */
  passwordDelayMs?: number;
  /** Flood control per connection (ROBUSTNESS C20, D21, D22); unset: none. */
  flood?: FloodLimits;
  /** Connection limits shared by every transport (ROBUSTNESS D23); unset: everyone is admitted. */
  admission?: AdmissionLimits;
  /** Room and history limits; unset fields take DEFAULT_ROOM_LIMITS. */
  rooms?: Partial<RoomLimits>;
  /** The room log store (src/store/); the server composes it. */
  store: RoomStore;
  /** The cluster's fan-out; unset: this process orders its rooms itself. */
  fanout?: FanOut;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
/** Structured log sink: an event name and fields. The server layer formats and sanitises. */
export type LogFn = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void;
