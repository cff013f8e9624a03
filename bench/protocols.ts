/**
 * Protocol adapters for the load generator. An adapter knows how a client registers and how a
 * public message is written on the wire; the hot receive path (finding the benchmark payload at
 * the end of a delivered line) is the same for every protocol and lives in the worker.
 *
 * - `text`: papo's text mode, and the seed-style / raw Node baselines that speak the same shape.
 *   The server greets; we answer with `NAME`; registration is complete on the first line that
 *   contains our own name as a whole word (papo: `* Hello, NAME! ...`). A message is `PAYLOAD\n`;
 *   the others receive `NAME: PAYLOAD\n`; the sender gets no echo.
 * - Rooms runs (`--rooms K`): client i is in `#r<i mod K>` (text: `/join` after the welcome,
 *   registered at `* You are in #r…`; IRC: JOIN that channel) and talks only there.
 * - `irc`: NICK/USER, wait for 001, JOIN #bench, registered at 366 (end of NAMES) for #bench.
 *   A message is `PRIVMSG #bench :PAYLOAD`; the others receive
 *   `:nick!user@host PRIVMSG #bench :PAYLOAD`. PING is answered with PONG at any time. The channel
 *   may be another one (`--channel`): papo's `#lobby`, where every papo user is.
 * - `mixed` (papo only): one room shared by both kinds, client i speaking IRC when i is even and
 *   text when odd (with `--ports IRC,TEXT`, i mod 2 also picks the port). The IRC half talks in
 *   `#lobby` (which papo's IRC users enter at registration, and where text users are), so every
 *   message crosses from one protocol to the other for half of its recipients.
 */

export type ProtocolName = "text" | "irc" | "mixed";

export interface LineResult {
  /** bytes to write back (a reply, the next registration step) */
  reply?: string;
  /** registration completed with this line */
  registered?: boolean;
  /** the server refused us; the client has failed with this reason */
  error?: string;
}

export interface ProtocolAdapter {
  readonly name: ProtocolName;
  /** what to send as soon as the TCP connection is up ("" to wait for the server) */
  onConnect(nick: string): string;
  /**
   * a line that is not a benchmark delivery (greeting, notices, numerics, PING...); `room` is the
   * client's room in a rooms run (`--rooms K`), undefined otherwise
   */
  onLine(line: string, nick: string, registered: boolean, room?: string): LineResult;
  /** one public message carrying `payload` (to `room` in a rooms run) */
  encodeMessage(payload: string, room?: string): string;
  /** the polite goodbye, written before closing */
  quit(): string;
}

const NAME_CHAR = /[A-Za-z0-9_\-[\]\\^{}|`]/;

/** True when `line` contains `name` not glued to other name characters (b0_1 vs b0_10). */
export function containsWord(line: string, name: string): boolean {
  let from = 0;
  for (;;) {
    const at = line.indexOf(name, from);
    if (at < 0) return false;
    const before = at === 0 ? "" : line[at - 1]!;
    const after = line[at + name.length] ?? "";
    if (!NAME_CHAR.test(before) && !NAME_CHAR.test(after)) return true;
    from = at + 1;
  }
}

export const textAdapter: ProtocolAdapter = {
  name: "text",
  onConnect: () => "",
  onLine(line, nick, registered, room) {
    if (registered) return {};
    // A refusal while choosing a name ("! Invalid name", "! That name is taken") is fatal here:
    // our names are valid and unique, so it means the server is not the one we think.
    if (line.startsWith("! ")) return { error: `refused: ${line}` };
    if (line.startsWith("***")) return { error: `disconnected: ${line}` };
    if (room === undefined) return containsWord(line, nick) ? { registered: true } : {};
    // A rooms run (papo only): registered once the client is in its room, where it then talks.
    if (line.startsWith(`* You are in ${room}`)) return { registered: true };
    if (line.startsWith("* Hello,") && containsWord(line, nick)) return { reply: `/join ${room}\n` };
    return {};
  },
  encodeMessage: (payload) => `${payload}\n`,
  quit: () => "/quit\n",
};

export const CHANNEL = "#bench";

export function ircAdapter(join: boolean, channel = CHANNEL): ProtocolAdapter {
  return {
    name: "irc",
    onConnect: (nick) => `NICK ${nick}\r\nUSER ${nick} 0 * :papo bench\r\n`,
    onLine(line, _nick, registered, room = channel) {
      if (line.startsWith("PING")) return { reply: `PONG${line.slice(4)}\r\n` };
      if (line.startsWith("ERROR")) return { error: line };
      if (registered) return {};
      const parts = line.split(" ");
      const numeric = parts[1];
      if (numeric === "001") {
        return join ? { reply: `JOIN ${room}\r\n` } : { registered: true };
      }
      if (numeric === "366" && parts[3]?.toLowerCase() === room.toLowerCase()) return { registered: true };
      // 4xx/5xx numerics during registration: nick in use, too many connections, banned... but
      // 422 (no MOTD), which is part of a normal welcome (papo has no MOTD).
      if (numeric && numeric !== "422" && /^[45]\d\d$/.test(numeric)) return { error: line };
      return {};
    },
    encodeMessage: (payload, room = channel) => `PRIVMSG ${room} :${payload}\r\n`,
    quit: () => "QUIT :bench done\r\n",
  };
}

/** The adapter of client `id`: in a `mixed` run, IRC for even ids and text for odd ones. */
export function adapterFor(name: ProtocolName, ircJoin = true, channel = CHANNEL, id = 0): ProtocolAdapter {
  if (name === "mixed") return id % 2 === 0 ? ircAdapter(true, channel) : textAdapter;
  return name === "irc" ? ircAdapter(ircJoin, channel) : textAdapter;
}

/**
 * The benchmark payload: exactly PAYLOAD_BYTES ASCII bytes, fixed-width fields so the receiver
 * parses them at fixed offsets without searching:
 *
 *   M|<sender:6>|<seq:8>|<sendTimeUs:13>|xxxx...x
 *   0 2        8 9     17 18           31 32     100
 *
 * The send time is microseconds since the run's epoch on the process-wide monotonic clock
 * (process.hrtime), which every worker thread of the generator shares.
 */
export const PAYLOAD_BYTES = 100;
export const OFF_SENDER = 2;
export const LEN_SENDER = 6;
export const OFF_SEQ = 9;
export const LEN_SEQ = 8;
export const OFF_TIME = 18;
export const LEN_TIME = 13;
const PAD = "x".repeat(PAYLOAD_BYTES - 32);

export function encodePayload(sender: number, seq: number, sendTimeUs: number): string {
  return `M|${String(sender).padStart(LEN_SENDER, "0")}|${String(seq).padStart(LEN_SEQ, "0")}|${String(
    Math.floor(sendTimeUs),
  ).padStart(LEN_TIME, "0")}|${PAD}`;
}

/** Parses `len` ASCII digits at `off`; -1 if any byte is not a digit. */
export function parseDigits(buf: Uint8Array, off: number, len: number): number {
  let v = 0;
  for (let i = off; i < off + len; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

export interface DecodedPayload {
  sender: number;
  seq: number;
  sendTimeUs: number;
}

/** Decodes a payload that starts at `off` (for tests and tools; the worker inlines this). */
export function decodePayload(buf: Uint8Array, off: number): DecodedPayload | null {
  if (buf[off] !== 0x4d || buf[off + 1] !== 0x7c) return null;
  const sender = parseDigits(buf, off + OFF_SENDER, LEN_SENDER);
  const seq = parseDigits(buf, off + OFF_SEQ, LEN_SEQ);
  const sendTimeUs = parseDigits(buf, off + OFF_TIME, LEN_TIME);
  if (sender < 0 || seq < 0 || sendTimeUs < 0) return null;
  return { sender, seq, sendTimeUs };
}

const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The load generator only ever talks to this machine. Returns the address to connect to, or
 * throws for anything outside 127.0.0.0/8 and ::1 ("localhost" is mapped to 127.0.0.1 without
 * a DNS lookup).
 */
export function loopbackOnly(host: string): string {
  if (host === "localhost") return "127.0.0.1";
  if (host === "::1" || host === "[::1]") return "::1";
  const m = LOOPBACK_V4.exec(host);
  if (m?.slice(1).every((o) => Number(o) <= 255)) return host;
  throw new Error(
    `refusing to load-test ${JSON.stringify(host)}: only loopback (127.0.0.0/8, ::1) is allowed`,
  );
}
