export { Chat, type ChatOptions, type LogFn, type LogLevel } from "./chat.ts";
export * from "./commands.ts";
export * from "./events.ts";
export * from "./nickname.ts";
export * from "./sanitize.ts";
export { Session, type SessionPort } from "./session.ts";
