/**
 * Papo names as IRC nicknames (issue 11). A papo name may hold characters no IRC nick can: `!` and
 * `@` end a nick in a prefix, `,` separates targets, `*` and `?` are mask wildcards, `.` reads as
 * a server name, a leading `#` as a channel, a leading `:` as a trailing parameter, a leading digit
 * or `-` is outside the RFC 2812 grammar. Such names are shown to IRC users escaped, and IRC
 * clients may not register them.
 *
 * The escaping, a pure and reversible function:
 * - A nick is written in the RFC 2812 alphabet: ASCII letters, digits, `-` and `[ ] \ ` _ ^ { | }`,
 *   the first character not a digit or `-`. Any non-ASCII character is kept as it is: papo
 *   advertises UTF8ONLY, and papo's own rules (src/core/nickname.ts) already refuse spaces,
 *   controls, invisible and mixed-script names.
 * - Every other ASCII character, a leading digit or `-`, and the escape character `\` itself, is
 *   written as `\` and its two upper-case hex digits: `a!b` → `a\21b`, `0day` → `\30day`,
 *   `#sala` → `\23sala`, `a\b` → `a\5Cb`.
 * - So a name that needs no escaping is its own nick (`Notebook_Mãe`, `ana`), and every escaped nick
 *   holds a `\`, which no IRC client may register: an escaped name never collides with a name a
 *   real user could take. The escape is injective even across ASCII case (IRC clients fold it,
 *   CASEMAPPING=ascii): two names whose nicks differ only in case differ only in case themselves,
 *   and papo's canonical key folds case, so both cannot be online at once.
 * - Length: a character becomes at most 3 ASCII bytes, and a character is at most 4 bytes in UTF-8,
 *   so a nick is at most 4 bytes per code point of the name: NICKLEN is 4 × maxNameLength bytes.
 */

/** The escape character: an RFC 2812 "special", valid anywhere in a nick, rare in real names. */
export const NICK_ESCAPE = "\\";

/** The NICKLEN papo advertises, in bytes: the longest nick a name of `maxNameLength` code points can become. */
export function ircNickLength(maxNameLength: number): number {
  return 4 * maxNameLength;
}

/** ASCII characters a nick may hold anywhere (the escape itself is not among them). */
function isNickChar(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7d) || // a-z { | }
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x5b || // [
    c === 0x5d || // ]
    c === 0x5e || // ^
    c === 0x5f || // _
    c === 0x60 // `
  );
}

/** Must the ASCII code `c` be escaped at position `first` (the nick's first character) or later? */
function mustEscape(c: number, first: boolean): boolean {
  if (c >= 0x80) return false;
  if (!isNickChar(c)) return true;
  return first && ((c >= 0x30 && c <= 0x39) || c === 0x2d);
}

const HEX = "0123456789ABCDEF";

/** The IRC nick showing papo name `name` (identity for a name an IRC client could register). */
export function ircNick(name: string): string {
  let out = "";
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!mustEscape(c, i === 0)) continue;
    out += `${name.slice(start, i)}\\${HEX[c >> 4]}${HEX[c & 15]}`;
    start = i + 1;
  }
  return start === 0 ? name : out + name.slice(start);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  // Lower-case hex too: IRC clients treat `a\2e` and `A\2E` as one nick (CASEMAPPING=ascii).
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * The papo name an IRC nick stands for, or null when `nick` is not a nick ircNick can produce
 * (an ASCII character that should have been escaped, a `\` not followed by two hex digits, an
 * escape of a character that needs none). papoName(ircNick(x)) === x for every string x.
 */
export function papoName(nick: string): string | null {
  if (nick.length === 0) return null;
  let out = "";
  let start = 0;
  for (let i = 0; i < nick.length; i++) {
    const c = nick.charCodeAt(i);
    if (c !== 0x5c /* \ */) {
      if (mustEscape(c, i === 0)) return null;
      continue;
    }
    const hi = hexValue(nick.charCodeAt(i + 1));
    const lo = hexValue(nick.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return null;
    const code = hi * 16 + lo;
    // Only a character that needed the escape at this place in the name (a digit only first).
    if (!mustEscape(code, out.length + (i - start) === 0)) return null;
    out += nick.slice(start, i) + String.fromCharCode(code);
    i += 2;
    start = i + 1;
  }
  return start === 0 ? nick : out + nick.slice(start);
}

/**
 * May an IRC client register `nick` as it is? True when it needs no escaping; papo's own rules
 * (checkName) still apply on top. A NICK failing this is answered 432 ERR_ERRONEUSNICKNAME.
 */
export function isPlainIrcNick(nick: string): boolean {
  if (nick.length === 0) return false;
  for (let i = 0; i < nick.length; i++) {
    const c = nick.charCodeAt(i);
    if (c === 0x5c || mustEscape(c, i === 0)) return false;
  }
  return true;
}
