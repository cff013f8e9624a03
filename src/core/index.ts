export {
  Chat,
  type ChatOptions,
  DEFAULT_ROOM_LIMITS,
  type LogFn,
  type LogLevel,
  type RoomLimits,
} from "./chat.ts";
export * from "./nickname.ts";
export type { FanOut, MaybePromise, RoomHead, RoomStore } from "./ports.ts";
export { checkRoomName, LOBBY, Room } from "./room.ts";
export { Session, type SessionPort } from "./session.ts";
