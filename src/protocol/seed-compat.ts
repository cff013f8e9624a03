/**
 * What the seeds' own clients need from text mode (issue 10, "The seeds' own clients,
 * unchanged"; docs/protocol.md §2, "Clients that send no line ends"). Pure: the TCP transport
 * feeds it and acts on the answers.
 *
 * - Seeds 001-004 send each message with one `send()` and no newline: `QuietGapRule` decides, per
 *   connection and from its first message, whether a fragment followed by a quiet gap is a line.
 * - Seed 002 wraps every message as `<NAME> <TEXT>`: `parseSeed002`.
 * - Seed 001 prefixes every message with `NAME: ` and decodes only ASCII: `stripOwnLabel`,
 *   `asciiSafe`.
 * - Seed 004 closes its window only on the exact read `SERVIDOR_ENCERRADO`: `SEED_SHUTDOWN_LINE`.
 */

/** What seed 004's client waits for, alone in one read, before it closes its window. */
export const SEED_SHUTDOWN_LINE = "SERVIDOR_ENCERRADO";

/** What seed 001's server sends to ask for the nickname (no line end), and its client waits for. */
export const SEED_NICK_GREETING = "NICK";

const IAC = 0xff;

/**
 * Per connection: is a fragment that is followed by a quiet gap a whole line?
 *
 * Decided once, from the connection's first message (its name), and never undone:
 * - "on" when that message came in a single read of at least 2 bytes with no line end, and then
 *   nothing came for the gap — one `send()` without a newline, as the seeds' clients do;
 * - "off" when a line end came first (nc, telnet in line mode, every other client), when the
 *   fragment came in more than one read (typing one byte per packet: telnet in character mode, a
 *   raw terminal; a trickle), or when a telnet IAC byte (0xFF) was seen.
 * A 1-byte fragment in one read leaves it undecided (it may be the first key of typing). The
 * transport never asks while the seed-000 header check or json mode could still apply.
 */
export class QuietGapRule {
  #state: "undecided" | "on" | "off";
  /** Reads that carried the current fragment. */
  #reads = 0;

  constructor(forceOn = false) {
    this.#state = forceOn ? "on" : "undecided";
  }

  get state(): "undecided" | "on" | "off" {
    return this.#state;
  }

  /** True once fragments are lines for this connection. */
  get on(): boolean {
    return this.#state === "on";
  }

  /** False once the rule can never apply: the transport stops arming its gap timer. */
  get possible(): boolean {
    return this.#state !== "off";
  }

  /**
   * One read of bytes for this connection. `lineEnded`: a line end was in it; `midLine`: a fragment
   * is pending after it.
   */
  read(chunk: Uint8Array, lineEnded: boolean, midLine: boolean): void {
    if (this.#state === "off") return;
    if (this.#state === "undecided") {
      // Telnet speaks IAC option negotiation; it always sends line ends (or one byte per key).
      if (chunk.includes(IAC) || lineEnded) {
        this.#state = "off";
        return;
      }
    }
    this.#reads = midLine ? (lineEnded ? 1 : this.#reads + 1) : 0;
  }

  /**
   * The connection has been quiet for the gap with a fragment of `bytes` bytes pending: true when
   * that fragment is to be taken as a line.
   */
  quiet(bytes: number): boolean {
    if (this.#state === "on") return this.#take();
    if (this.#state === "off") return false;
    if (this.#reads > 1) {
      this.#state = "off";
      return false;
    }
    if (this.#reads === 1 && bytes >= 2) {
      this.#state = "on";
      return this.#take();
    }
    return false;
  }

  #take(): boolean {
    this.#reads = 0;
    return true;
  }
}

const SEED002 = /^<([^<>\s]+)> <([\s\S]*)>$/;

/**
 * Seed 002's client sends every message as `<NAME> <TEXT>` (its `sendMessages`): the name and the
 * text, or undefined when `line` does not have exactly that shape.
 */
export function parseSeed002(line: string): { name: string; text: string } | undefined {
  const m = SEED002.exec(line.trim());
  return m ? { name: m[1] as string, text: (m[2] as string).trim() } : undefined;
}

/**
 * Seed 001's client sends `NAME: text` (its `write`): the text without the client's own `label: `
 * prefix; anything else is returned as it is.
 */
export function stripOwnLabel(line: string, label: string): string {
  const prefix = `${label}: `;
  if (label && line.startsWith(prefix)) return line.slice(prefix.length);
  if (label && line === `${label}:`) return "";
  return line;
}

/**
 * Text seed 001's client can decode (it calls `decode('ascii')` and drops the connection on any
 * other byte): accents are removed (`Mãe` -> `Mae`), typographic punctuation is replaced by its
 * ASCII look-alike, and anything else that is not printable ASCII becomes `?`. Line ends stay.
 */
export function asciiSafe(text: string): string {
  let out = "";
  for (const ch of text.normalize("NFKD")) {
    const c = ch.codePointAt(0) as number;
    if (c === 0x0a || (c >= 0x20 && c < 0x7f)) out += ch;
    else if (c >= 0x300 && c <= 0x36f)
      continue; // combining marks: the accent of a decomposed letter
    else out += ASCII_LOOKALIKE[ch] ?? "?";
  }
  return out;
}

const ASCII_LOOKALIKE: Record<string, string> = {
  "\u2014": "-",
  "\u2013": "-",
  "\u2018": "'",
  "\u2019": "'",
  "\u201c": '"',
  "\u201d": '"',
  "\u2026": "...",
  "\u00a0": " ",
  "\u2192": "->",
  "\u00ab": '"',
  "\u00bb": '"',
  "\u00df": "ss",
  "\u00e6": "ae",
  "\u00c6": "AE",
  "\u00f8": "o",
  "\u00d8": "O",
  "\t": " ",
};
