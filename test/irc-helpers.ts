/** A raw IRC client over a real socket: lines in, lines out, the way a test reads a protocol. */
import { type IrcMessage, parseMessage } from "../src/protocol/irc/message.ts";
import { TextClient } from "./helpers.ts";

export class IrcClient {
  readonly text: TextClient;

  constructor(port: number) {
    this.text = new TextClient(port);
  }

  /** Lines received so far, without their CR. */
  get lines(): string[] {
    return this.text.lines.map((l) => l.replace(/\r$/, ""));
  }

  get closed(): boolean {
    return this.text.closed;
  }

  send(line: string): void {
    this.text.send(`${line}\r\n`);
  }

  /** Waits for a line matching `pattern` after line index `from`; returns it parsed. */
  async waitFor(pattern: RegExp, { from = 0, ms = 3000 } = {}): Promise<IrcMessage & { line: string }> {
    const raw = await this.text.waitFor(
      { test: (l: string) => pattern.test(l.replace(/\r$/, "")) } as RegExp,
      {
        from,
        ms,
      },
    );
    const line = raw.replace(/\r$/, "");
    const m = parseMessage(line);
    if (!m) throw new Error(`unparsable line ${JSON.stringify(line)}`);
    return { ...m, line };
  }

  waitClosed(ms = 3000): Promise<void> {
    return this.text.waitClosed(ms);
  }

  /**
   * Registers with NICK/USER (and PASS); resolves at the end of the welcome burst (376), after
   * joining the lobby (366 #lobby) unless `lobby` is false: IRC clients choose their channels.
   */
  static async register(
    port: number,
    nick: string,
    { pass, caps, lobby = true }: { pass?: string; caps?: string[]; lobby?: boolean } = {},
  ) {
    const c = new IrcClient(port);
    await c.text.ready;
    if (caps) c.send("CAP LS 302");
    if (pass !== undefined) c.send(`PASS ${pass}`);
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick}`);
    if (caps) {
      c.send(`CAP REQ :${caps.join(" ")}`);
      c.send("CAP END");
    }
    await c.waitFor(/ 376 /);
    if (lobby) {
      c.send("JOIN #lobby");
      await c.waitFor(/ 366 \S+ #lobby /);
    }
    return c;
  }

  close(): void {
    this.text.close();
  }
}
