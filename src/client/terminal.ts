/**
 * The terminal side of the client: node:readline, in one of two ways.
 *
 * - Interactive (stdin and stdout are terminals): a prompt with Tab completion; incoming lines are
 *   printed ABOVE the prompt by erasing the prompt and the half-typed input, writing, and redrawing
 *   them with `rl.prompt(true)`, which keeps what was typed and the cursor (STACK.md: verified
 *   under tmux). Nothing the user typed is lost or garbled.
 * - Piped (either side is not a terminal): plain lines in and out, no prompt and no cursor
 *   movement, so scripts and tests read exactly the chat lines.
 */
import readline from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { Completion } from "./complete.ts";

export interface TerminalOptions {
  input: Readable & { isTTY?: boolean };
  output: Writable & { isTTY?: boolean; columns?: number };
  /** Force a mode (tests); by default interactive when both ends are terminals. */
  interactive?: boolean;
  completer: (beforeCursor: string) => Completion;
  onLine(line: string): void;
  /** Ctrl-D on an empty line, or the end of piped input. */
  onEnd(): void;
  /** Ctrl-C (or SIGINT/SIGTERM to the process). */
  onInterrupt(): void;
}

export interface Terminal {
  readonly interactive: boolean;
  /** Prints lines above the prompt (or plainly when piped). */
  print(lines: readonly string[]): void;
  /** `masked`: the input is echoed as `*` and kept out of the history (a password). */
  setPrompt(prompt: string, masked?: boolean): void;
  /**
   * Removes the line just entered from the screen, because the server's echo will show it with a
   * timestamp; without this every message would appear twice.
   */
  eraseEntered(line: string): void;
  close(): void;
}

export function createTerminal(opts: TerminalOptions): Terminal {
  const { input, output } = opts;
  const interactive = opts.interactive ?? Boolean(input.isTTY && output.isTTY);
  const rl = readline.createInterface(
    interactive
      ? {
          input,
          output,
          terminal: true,
          // Never complete names into a password.
          completer: (before: string): Completion => (masked ? [[], before] : opts.completer(before)),
          prompt: "",
          historySize: 500,
          removeHistoryDuplicates: true,
        }
      : { input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY },
  );
  let closed = false;
  let prompt = "";
  let masked = false;
  if (interactive) {
    // readline has no hidden input; every echo goes through _writeToOutput (a long-standing,
    // widely used hook), so masking there covers typing, redraws and printing above the prompt.
    const hook = rl as unknown as { _writeToOutput(s: string): void };
    const write = hook._writeToOutput.bind(rl);
    hook._writeToOutput = (s: string) => write(masked ? maskEcho(s, prompt) : s);
  }
  rl.on("line", (line) => {
    if (masked) {
      masked = false;
      // Keep the password out of the up-arrow history.
      const history = (rl as unknown as { history?: string[] }).history;
      if (history?.[0] === line) history.shift();
    }
    opts.onLine(line);
  });
  rl.on("close", () => {
    if (!closed) {
      closed = true;
      opts.onEnd();
    }
  });
  const onSignal = () => opts.onInterrupt();
  // In raw mode Ctrl-C reaches readline as a key, not as a signal.
  rl.on("SIGINT", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  return {
    interactive,
    print(lines) {
      if (lines.length === 0) return;
      const text = `${lines.join("\n")}\n`;
      if (!interactive || closed) {
        output.write(text);
        return;
      }
      // Up to the row where the prompt starts, clear it and everything below (a long input may
      // wrap over several rows), write, then redraw prompt + input with the cursor where it was.
      const { rows } = rl.getCursorPos();
      readline.moveCursor(output, 0, -rows);
      readline.cursorTo(output, 0);
      readline.clearScreenDown(output);
      output.write(text);
      rl.prompt(true);
    },
    setPrompt(next, mask = false) {
      prompt = next;
      masked = mask && interactive;
      rl.setPrompt(next);
      if (interactive && !closed) rl.prompt(true);
    },
    eraseEntered(line) {
      if (!interactive || closed) return;
      // readline has moved to a fresh row after Enter; the entry took this many rows.
      const columns = output.columns || 80;
      const rows = Math.max(1, Math.ceil(displayWidth(prompt + line) / columns));
      readline.moveCursor(output, 0, -rows);
      readline.cursorTo(output, 0);
      readline.clearScreenDown(output);
      rl.prompt(true);
    },
    close() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (closed) return;
      closed = true;
      if (interactive) {
        // Leave the cursor on a clean row for the shell.
        readline.cursorTo(output, 0);
        readline.clearLine(output, 0);
      }
      rl.close();
    },
  };
}

/** What readline echoes, with the typed text as `*` (the prompt and escape sequences kept). */
export function maskEcho(s: string, prompt: string): string {
  const head = prompt !== "" && s.startsWith(prompt) ? prompt : "";
  const keep = (m: string) => m.startsWith("\x1b") || m === "\r" || m === "\n";
  return (
    head + s.slice(head.length).replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|[\s\S]/gu, (m) => (keep(m) ? m : "*"))
  );
}

/**
 * Columns a string takes in a terminal: escape sequences take none, combining marks none,
 * East Asian wide characters and most emoji two. An estimate, as every terminal's is.
 */
export function displayWidth(text: string): number {
  const plain = text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "");
  let width = 0;
  for (const ch of plain) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f))
      continue;
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
