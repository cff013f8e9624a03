import type { ByeReason, GapReason, LeaveReason, NameProblem, RoomInfo } from "../protocol/events.ts";

export type Lang = "en" | "pt-BR";
export const LANGS: readonly Lang[] = ["en", "pt-BR"];

/** The texts of the chat itself: what a text-mode user reads and what clients render from events. */
export interface ChatTexts {
  greeting(p: { online: number }): string;
  promptName: string;
  promptPassword: string;
  nameProblem: Record<NameProblem, string>;
  nameTaken(p: { name: string }): string;
  welcome(p: { name: string; address: string | null }): string;
  online(p: { names: string[] }): string;
  usersLine(p: { name: string; address: string | null; away?: string }): string;
  tips: string;
  joined(p: { name: string; address: string | null }): string;
  left(p: { name: string; reason: LeaveReason; text?: string }): string;
  privateIn(p: { from: string; text: string }): string;
  privateOut(p: { to: string; text: string }): string;
  action(p: { from: string; text: string }): string;
  renamed(p: { from: string; to: string }): string;
  helpHeader: string;
  commandHelp: Record<string, string>;
  /**
   * How each command is written, in this language (issue 10 item 5): `/sair [motivo]`. Keyed by
   * the command's name, and `private` for `@NAME TEXT`. The first word must be a name or alias
   * of the command; /help lists the others after it.
   */
  commandUsage: Record<string, string>;
  announce(p: { text: string }): string;
  unknownUser(p: { name: string }): string;
  privateSelf: string;
  privateMissingText(p: { usage: string }): string;
  unknownCommand(p: { command: string }): string;
  usage(p: { usage: string }): string;
  notRegistered: string;
  lineTooLong(p: { limit: number }): string;
  invalidUtf8: string;
  badJson: string;
  badRequest: string;
  flood(p: { retryMs: number }): string;
  throttled(p: { queued: number; delayMs: number }): string;
  throttledDone: string;
  badPassword: string;
  internal: string;
  /** `until` (ms since the epoch): when a ban ends (issue 13, reason `banned`). */
  bye: Record<ByeReason, (p: { text?: string; until?: number }) => string>;
  /** Rooms (issue 14). */
  roomEntered(p: { room: string; names: string[] }): string;
  topicIs(p: { room: string; topic: string }): string;
  noTopic(p: { room: string }): string;
  topicSet(p: { by: string; topic: string }): string;
  historyHeader(p: { room: string; count: number; more: boolean }): string;
  historyEnd: string;
  /** A history line: its time (HH:MM, server time) and the event as it reads live. */
  historyLine(p: { time: string; line: string }): string;
  gap(p: { room: string; reason: GapReason }): string;
  current(p: { room: string }): string;
  parted(p: { room: string; current: string }): string;
  roomsHeader(p: { count: number }): string;
  roomsLine(p: RoomInfo): string;
  roomUsers(p: { room: string; names: string[] }): string;
  roomProblem: Record<NameProblem | "prefix", string>;
  notInRoom(p: { room: string }): string;
  tooManyRooms(p: { limit: number }): string;
  roomsFull(p: { limit: number }): string;
  lobbyPart: string;
  resumeFailed(p: { reason: "invalid" | "expired" | "taken" }): string;
  historyPaused: string;
  historyResumed: string;
  /** Issue 12: this node cannot reach the cluster's Redis; lines are queued, not lost. */
  clusterDegraded: string;
  clusterRestored: string;
  notChat: string;
  tlsOnPlainPort: string;
  // ---- Away, notices, PART reasons, room operators (issues 11 and 13) ----
  /** `/away`: you are away now (`text` "" when no message was given). */
  awayOn(p: { text: string }): string;
  /** `/back`. */
  awayOff: string;
  /** To whoever writes privately to a user who is away. */
  awayReply(p: { name: string; text: string }): string;
  /** A public message sent as a notice (IRC NOTICE). */
  noticeIn(p: { from: string; text: string }): string;
  /** A private message sent as a notice. */
  privateNoticeIn(p: { from: string; text: string }): string;
  /** Someone was removed from a room by one of its operators. */
  kickedFromRoom(p: { name: string; by: string; text?: string }): string;
  modeChanged(p: { by: string; room: string; modes: string }): string;
  invitedYou(p: { by: string; room: string }): string;
  inviteSent(p: { name: string; room: string }): string;
  notRoomOperator(p: { room: string }): string;
  roomFull(p: { room: string; limit: number }): string;
  roomKey(p: { room: string }): string;
  roomInviteOnly(p: { room: string }): string;
  roomBanned(p: { room: string }): string;
  roomModerated(p: { room: string }): string;
  userNotInRoom(p: { room: string; name: string }): string;
  userInRoom(p: { room: string; name: string }): string;
  badMode(p: {
    mode: string;
    problem: "unknown" | "invalid_param" | "not_in_room" | "list_full";
    arg?: string;
  }): string;
  /** Issue 13: per-connection language (`/lang`). `lang` and `langs` are tags (`pt-BR`). */
  langNow(p: { lang: string; langs: string[] }): string;
  langSet(p: { lang: string; langs: string[] }): string;
  langUnknown(p: { lang: string; langs: string[] }): string;
}

/** Issue 13: what the console's `/stats` shows (src/server/metrics.ts gathers it). */
export interface StatsFigures {
  /** Open connections in all, and by kind (`text`, `json`, `websocket+tls`, ...; only those open). */
  connections: number;
  byTransport: { kind: string; count: number }[];
  users: number;
  rooms: number;
  publicMessages: number;
  actions: number;
  privateMessages: number;
  deliveries: number;
  /** Reasons (stable codes) with a non-zero count. */
  refusals: { reason: string; count: number }[];
  disconnections: { reason: string; count: number }[];
  sendQueueBytes: number;
  sendQueueMaxBytes: number;
  /** Event-loop delay in ms (undefined: measuring only from now). */
  loop: { p50: number; p99: number; max: number } | undefined;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  commits: number;
  commitMeanMs: number;
  storeFailures: number;
  healthy: boolean;
  /** Why not healthy (stable codes, as /healthz says them). */
  problems: string[];
  uptimeSeconds: number;
}

/** The texts of the server process: startup, errors, operator console. */
export interface ServerTexts {
  listening(p: { address: string }): string;
  listeningTls(p: { address: string }): string;
  listeningNick(p: { address: string }): string;
  tlsFileError(p: { option: string; file: string; reason: string }): string;
  joinHint: string;
  /** `address` is host:port as `papo connect` takes it; `host` is bare, as `nc` takes it. */
  joinWith(p: { address: string; host: string; port: number }): string;
  startFailed(p: { reason: string }): string;
  portInUse(p: { address: string }): string;
  permissionDenied(p: { address: string }): string;
  badOption(p: { detail: string }): string;
  // Issue 13: the configuration file (`papo serve --print-config`); printed as TOML comments.
  configHeader: string;
  configFile(p: { file: string }): string;
  configNoFile: string;
  configNotSet: string;
  configOverridden(p: { by: string }): string;
  consoleReady: string;
  consoleHelp: string[];
  consoleUnknown(p: { command: string }): string;
  consoleUsers(p: { count: number }): string;
  consoleNoUsers: string;
  consoleKicked(p: { name: string }): string;
  consoleNoSuchUser(p: { name: string }): string;
  consoleAnnounced: string;
  consoleUsage(p: { usage: string }): string;
  /** How the console commands that take arguments are written, in this language. */
  consoleUsages: { kick: string; announce: string; ban: string; unban: string };
  /** Issue 13: bans (`/ban`, `/unban`, `/bans`). `until`: ms since the epoch, unset for ever. */
  consoleBanned(p: { target: string; until?: number; removed: string[] }): string;
  consoleUnbanned(p: { target: string }): string;
  consoleNoSuchBan(p: { target: string }): string;
  consoleBadBanTarget(p: { target: string }): string;
  consoleBans(p: { count: number }): string;
  consoleBanLine(p: { target: string; until?: number; reason?: string }): string;
  consoleNoBans: string;
  shuttingDown(p: { text?: string }): string;
  // Issue 13: metrics and health.
  /** The metrics listener is up (`--metrics-port`); `url` has no path. */
  metricsListening(p: { url: string }): string;
  /** The console's `/stats`: the figures of `GET /metrics`, for a person. */
  consoleStats(f: StatsFigures): string[];
  /** Issue 14: where history is kept, and why it cannot be. */
  historyIn(p: { file: string }): string;
  storeFallback(p: { reason: string }): string;
  storeMissing(p: { reason: string }): string;
  /** Issue 12: cluster mode (`--redis`): where rooms, names and history are shared. */
  clusterIn(p: { address: string }): string;
  redisUnreachable(p: { address: string; reason: string }): string;
  stopped: string;
}

export interface Catalogue {
  lang: Lang;
  chat: ChatTexts;
  server: ServerTexts;
}
