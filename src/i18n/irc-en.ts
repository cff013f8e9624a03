import type { IrcTexts } from "./irc-types.ts";

export const ircEn: IrcTexts = {
  welcome: ({ network, nick }) => `Welcome to the ${network} chat, ${nick}`,
  yourHost: ({ server, version }) => `Your host is ${server}, running version ${version}`,
  created: ({ date }) => `This server was started ${date}`,
  isupport: "are supported by this server",
  noMotd: "There is no message of the day",
  endOfList: "End of /LIST",
  noTopic: "No topic is set",
  endOfBanList: "End of channel ban list",
  noChannelOperators: "papo has no channel operators or channel modes",
  usersDontMatch: "Cannot change mode for other users",
  unknownModeFlag: "papo has no user modes",
  endOfNames: "End of /NAMES list",
  nickAlphabet:
    "Erroneous nickname: IRC nicknames are letters, digits and - [ ] ` _ ^ { | }, not starting with a digit or -",
  noNicknameGiven: "No nickname given",
  nicknameInUse: "Nickname is already in use (or looks the same as one)",
  unknownCommand: "Unknown command",
  needMoreParams: "Not enough parameters",
  notRegistered: "You have not registered",
  alreadyRegistered: "You may not reregister",
  passwordMismatch: "Password incorrect",
  noSuchNick: "No such nick",
  noSuchChannel: "No such channel",
  noRecipient: ({ command }) => `No recipient given (${command})`,
  noTextToSend: "No text to send",
  inputTooLong: "Input line was too long",
  invalidCapCommand: "Invalid CAP command",
  quitReason: {
    quit: "Quit",
    disconnected: "Connection closed",
    kicked: "Removed by the operator",
    error: "Disconnected",
  },
  serveListening: ({ url }) => `IRC on ${url}`,
  // ---- issue 11, the listeners (IRC on by default, IRC over TLS, the banner, the operator) ----
  serveListeningTls: ({ url }) => `IRC over TLS on ${url}`,
  serveJoinWith: ({ urls }) => `  or point an IRC client at ${urls}`,
  serveOff: ({ reason }) => `papo: IRC is off: ${reason}. Choose its port with --irc-port, or use --no-irc.`,
  serveTlsOff: ({ reason }) =>
    `papo: IRC over TLS is off: ${reason}. Choose its port with --irc-tls-port, or use --no-irc.`,
};
