/**
 * RPL_ISUPPORT (005): what papo's IRC listener tells a client about itself after registration
 * (modern ircdocs "RPL_ISUPPORT Tokens"). Every token is derived from papo's own limits, so what a
 * client is told is what the server enforces.
 */
import type { IrcMessage } from "./message.ts";
import { RPL } from "./numerics.ts";
import { IRC_LINE_BYTES } from "./split.ts";

export interface IsupportOptions {
  /** NETWORK: the name clients show for the network (`papo` by default in the composition). */
  network: string;
  /** NICKLEN, in bytes (names.ts: ircNickLength). */
  nickLength: number;
  /** CHANNELLEN, in bytes, with the `#`. */
  channelLength: number;
  /** TOPICLEN, in bytes; unset: no topics yet, no token. */
  topicLength?: number;
  /** AWAYLEN, in bytes; unset: no token. */
  awayLength?: number;
  /** KICKLEN, in bytes; unset: no token. */
  kickLength?: number;
  /** CHANLIMIT for `#`: channels one client may be in; unset: no limit announced. */
  channelLimit?: number;
  /** CHATHISTORY: most messages one request returns (draft/chathistory); unset: not offered. */
  chathistory?: number;
  /** CHANMODES and PREFIX (room-modes.ts); unset: none (`,,,` and empty). */
  chanmodes?: string;
  prefix?: string;
}

/**
 * The tokens, in a fixed order. Deliberate values:
 * - CASEMAPPING=ascii: clients fold only A-Z; papo's canonical key (case, confusables) stays the
 *   authority, and a name it refuses as taken gets 433 whatever the client thought.
 * - PREFIX= (empty): no channel operators or voice yet; CHANMODES=,,, : no channel modes.
 * - LINELEN=512: client lines longer than that are refused (417), so the classic limit is stated.
 * - UTF8ONLY: papo is UTF-8 end to end (S3) and refuses anything else.
 */
export function isupportTokens(o: IsupportOptions): string[] {
  const tokens: string[] = [];
  if (o.awayLength !== undefined) tokens.push(`AWAYLEN=${o.awayLength}`);
  tokens.push("CASEMAPPING=ascii");
  if (o.channelLimit !== undefined) tokens.push(`CHANLIMIT=#:${o.channelLimit}`);
  tokens.push(`CHANMODES=${o.chanmodes ?? ",,,"}`, `CHANNELLEN=${o.channelLength}`, "CHANTYPES=#");
  if (o.chathistory !== undefined) tokens.push(`CHATHISTORY=${o.chathistory}`);
  if (o.kickLength !== undefined) tokens.push(`KICKLEN=${o.kickLength}`);
  tokens.push(`LINELEN=${IRC_LINE_BYTES}`);
  // papo's msgid names a place in a room's log; timestamps are not offered as references.
  if (o.chathistory !== undefined) tokens.push("MSGREFTYPES=msgid");
  tokens.push(`NETWORK=${isupportValue(o.network)}`, `NICKLEN=${o.nickLength}`, `PREFIX=${o.prefix ?? ""}`);
  tokens.push("TARGMAX=JOIN:,NAMES:1,NOTICE:1,PART:,PRIVMSG:1,WHOIS:1");
  if (o.topicLength !== undefined) tokens.push(`TOPICLEN=${o.topicLength}`);
  tokens.push("UTF8ONLY");
  return tokens;
}

/**
 * A token value with the characters the format cannot hold written as `\xHH` (space, `\`, `=`,
 * and, to keep 005 ASCII as irctest checks, anything outside printable ASCII, byte by byte).
 */
export function isupportValue(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value)) {
    out +=
      byte > 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x3d
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Tokens per 005: a reply has at most 15 parameters, the nick and the trailing text among them. */
const TOKENS_PER_LINE = 13;
const TRAILER = "are supported by this server";

/** The 005 replies carrying `tokens` to `nick`, each within 13 tokens and 512 bytes. */
export function isupportMessages(server: string, nick: string, tokens: readonly string[]): IrcMessage[] {
  const out: IrcMessage[] = [];
  // `:server 005 nick <tokens> :are supported by this server` plus CRLF.
  const fixed = Buffer.byteLength(`:${server} ${RPL.ISUPPORT} ${nick} :${TRAILER}`) + 2;
  let batch: string[] = [];
  let bytes = fixed;
  for (const token of tokens) {
    const size = Buffer.byteLength(token) + 1;
    if (batch.length > 0 && (batch.length === TOKENS_PER_LINE || bytes + size > IRC_LINE_BYTES)) {
      out.push({ source: server, command: RPL.ISUPPORT, params: [nick, ...batch, TRAILER] });
      batch = [];
      bytes = fixed;
    }
    batch.push(token);
    bytes += size;
  }
  if (batch.length > 0)
    out.push({ source: server, command: RPL.ISUPPORT, params: [nick, ...batch, TRAILER] });
  return out;
}
