/**
 * Everything the server tells a client is one of these events. Transports render them: json mode
 * as-is (docs/protocol.md §5), text mode through the i18n catalogue. The core never builds text.
 */
import type { NameProblem } from "./nickname.ts";

/** `"IP:PORT"`, or null when the operator hides addresses. */
export type Address = string | null;

export interface UserInfo {
  name: string;
  address: Address;
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
  | "bad_password";

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
  | { type: "error"; code: "internal"; params: Record<string, never>; at: number };

export type ErrorCode = ErrorEvent["code"];

export interface CommandInfo {
  name: string;
  aliases: string[];
  usage: string;
}

export type ServerEvent =
  | { type: "hello"; protocol: 1; server: string; online: number }
  | { type: "prompt"; need: "name" | "password" }
  | { type: "welcome"; name: string; address: Address; users: UserInfo[]; at: number }
  | { type: "joined"; name: string; address: Address; at: number }
  | { type: "left"; name: string; reason: LeaveReason; text?: string; at: number }
  | { type: "message"; from: string; text: string; at: number }
  | { type: "action"; from: string; text: string; at: number }
  | { type: "private"; from: string; to: string; text: string; at: number }
  | { type: "renamed"; from: string; to: string; at: number }
  | { type: "users"; users: UserInfo[] }
  | { type: "help"; commands: CommandInfo[] }
  | { type: "notice"; code: "announce"; params: { text: string }; at: number }
  | ErrorEvent
  | { type: "bye"; reason: ByeReason; text?: string; at: number }
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
