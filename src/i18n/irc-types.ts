import type { LeaveReason } from "../protocol/events.ts";

/**
 * The texts of the IRC listener (issue 11): the human-readable trailing parameter of its numeric
 * replies and the reasons in QUIT lines. The chat's own texts (name problems, `bye` reasons, flood)
 * come from ChatTexts, so an IRC user reads the same words as an `nc` user.
 */
export interface IrcTexts {
  welcome(p: { network: string; nick: string }): string;
  yourHost(p: { server: string; version: string }): string;
  created(p: { date: string }): string;
  isupport: string;
  noMotd: string;
  endOfList: string;
  noTopic: string;
  endOfBanList: string;
  /** 482: papo has no channel operators (yet), so no channel mode can be set. */
  noChannelOperators: string;
  usersDontMatch: string;
  unknownModeFlag: string;
  endOfNames: string;
  /** 432 for a nick papo would have to escape (names.ts): the IRC nick alphabet. */
  nickAlphabet: string;
  noNicknameGiven: string;
  nicknameInUse: string;
  unknownCommand: string;
  needMoreParams: string;
  notRegistered: string;
  alreadyRegistered: string;
  passwordMismatch: string;
  noSuchNick: string;
  noSuchChannel: string;
  noRecipient(p: { command: string }): string;
  noTextToSend: string;
  inputTooLong: string;
  invalidCapCommand: string;
  /** The QUIT reason other IRC users see when a papo user leaves without one. */
  quitReason: Record<LeaveReason, string>;
  // ---- WHO, WHOIS, WHOWAS, LUSERS, AWAY, KICK, INVITE, OPER (issues 11 and 13) ----
  /** The MOTD (375, 372, 376): IRC clients choose their channels, so it points at the lobby. */
  motdStart(p: { server: string }): string;
  motdLobby(p: { lobby: string; online: number }): string;
  endOfMotd: string;
  /** FAIL CHATHISTORY's text. */
  chathistoryFail: string;
  nowAway: string;
  unAway: string;
  /** 301 for a user away without a message. */
  awayDefault: string;
  endOfWho: string;
  endOfWhois: string;
  endOfWhowas: string;
  wasNoSuchNick: string;
  /** 312: the server's description. */
  serverInfo: string;
  /** 312 in WHOWAS: when the name was given up. */
  whowasAt(p: { date: string }): string;
  /** 317. */
  whoisIdle: string;
  lusersClient(p: { users: number }): string;
  lusersUnknown: string;
  lusersChannels: string;
  lusersMe(p: { clients: number }): string;
  localUsers(p: { users: number; max: number }): string;
  globalUsers(p: { users: number; max: number }): string;
  endOfInviteList: string;
  /** 491: papo's operator is its console; OPER gives no powers. */
  noOperHost: string;
  /** `papo serve`'s line about the IRC listener. */
  serveListening(p: { url: string }): string;
  // ---- issue 11, the listeners (IRC on by default, IRC over TLS, the banner, the operator) ----
  /** `papo serve`'s line about IRC over TLS. */
  serveListeningTls(p: { url: string }): string;
  /** The banner's LAN line: `irc://HOST:PORT` (and `ircs://…`) for IRC clients on the network. */
  serveJoinWith(p: { urls: string }): string;
  /** The default IRC port could not be bound: the chat starts without IRC (one stderr line). */
  serveOff(p: { reason: string }): string;
  /** The same for IRC over TLS's default port. */
  serveTlsOff(p: { reason: string }): string;
}
