import type { Lang } from "./types.ts";

/**
 * Texts only the browser client shows (buttons, dialogs, labels). What the server says — joins,
 * leaves, errors, refusals — comes from `ChatTexts` through `renderEvent`, as in the terminal.
 */
export interface WebTexts {
  lang: Lang;
  /** The language's own name, for the language switch. */
  langName: string;
  languageLabel: string;
  appName: string;
  tagline: string;
  nameLabel: string;
  namePlaceholder: string;
  nameRules: string;
  passwordLabel: string;
  join: string;
  joining: string;
  connecting: string;
  onlineCount(p: { count: number }): string;
  usersTitle: string;
  usersToggle(p: { count: number }): string;
  you: string;
  privateMark: string;
  privateTo(p: { name: string }): string;
  messageLabel: string;
  /** The message field's hint, in the shown room. */
  messagePlaceholder(p: { room: string }): string;
  /** The message field's hint while the connection is down (what is sent waits for it). */
  offlinePlaceholder: string;
  send: string;
  leave: string;
  leaveTitle: string;
  /** Issue 10 item 2: a long paste goes out at the flood-control rate. */
  sendingSlowly(p: { queued: number; seconds: number }): string;
  newMessages: string;
  reconnected: string;
  unreachableTitle: string;
  unreachableBody: string;
  lostTitle: string;
  lostBody: string;
  retryIn(p: { seconds: number }): string;
  retrying: string;
  retryNow: string;
  shutdownTitle: string;
  shutdownNoReason: string;
  closedTitle: string;
  connectAgain: string;
  dismiss: string;
  unreadTitle(p: { count: number; title: string }): string;
  /** Rooms (issue 14). */
  roomsTitle: string;
  /** An unread count beside a room's name, for screen readers. */
  unreadIn(p: { count: number }): string;
  joinRoomLabel: string;
  joinRoomPlaceholder: string;
  joinRoomButton: string;
  leaveRoom(p: { room: string }): string;
  /** The line between history (greyed) and what happens live. */
  historyDivider: string;
  loadOlder: string;
  loadingOlder: string;
  /** Shown at the top of a room whose whole log is on screen. */
  historyStart: string;
  /** Where what was said while the page was away could not be replayed. */
  gap: string;
  /** Beside a message of one's own that has not come back from the server yet. */
  waiting: string;
  sending: string;
  notDelivered: string;
  sendAgain: string;
  discard: string;
  // Issue 13 item 1: how to join from a terminal with the client file this server serves.
  /** Put before the command (`curl -O …/papo.mjs && node papo.mjs connect HOST:PORT`). */
  terminalHint: string;
  // Issue 13: mentions.
  /** The mention badge beside a room's name, for screen readers. */
  mentionsIn(p: { count: number }): string;
  /** A desktop notification's title: someone named you in a room, or wrote to you privately. */
  notifyMention(p: { from: string; room: string }): string;
  notifyPrivate(p: { from: string }): string;
  // Issue 13: away (`/away [message]`, `/back`).
  /** Beside an away user in the member list, and your own state in the top bar (text "" for no message). */
  awayHint(p: { text: string }): string;
}

/** What `papo serve` prints about the web app. */
export interface WebServerTexts {
  webListening(p: { url: string }): string;
  webJoinWith(p: { url: string }): string;
  /** Issue 13 item 1: the start-up hint for people without papo: download the client file, run it. */
  clientJoinWith(p: { url: string; address: string }): string;
  /** The default HTTP port could not be used: the chat runs without the web app. */
  webUnavailable(p: { reason: string }): string;
}

export interface WebCatalogue {
  page: WebTexts;
  serve: WebServerTexts;
}
