/**
 * The terminal side of the client: node:readline, in one of two ways.
 *
 * - Interactive (stdin and stdout are terminals): a prompt with Tab completion; incoming lines are
 *   printed ABOVE the prompt and the half-typed input, which are redrawn as they were, cursor
 *   included (src/tty/prompt.ts, shared with the operator console, says how and why).
 * - Piped (either side is not a terminal): plain lines in and out, no prompt and no cursor
 *   movement, so scripts and tests read exactly the chat lines.
 */
import readline from "node:readline";
import type { Readable, Writable } from "node:stream";
import { createPromptLine, type PromptLine } from "../tty/prompt.ts";
import type { Completion } from "./complete.ts";

export { displayWidth, maskEcho } from "../tty/prompt.ts";

export interface TerminalOptions {
  input: Readable & { isTTY?: boolean };
  output: Writable & { isTTY?: boolean; columns?: number };
  /** Force a mode (tests); by default interactive when both ends are terminals. */
  interactive?: boolean;
  completer: (beforeCursor: string) => Completion;
  onLine(line: string): void;
  /** Ctrl-D on an empty line, or the end of piped input. */
  onEnd(): void;
  /** Ctrl-C on an empty line (with text typed it clears the line), or SIGINT/SIGTERM to the process. */
  onInterrupt(): void;
}

export interface Terminal {
  readonly interactive: boolean;
  /** Prints lines above the prompt (or plainly when piped). */
  print(lines: readonly string[]): void;
  /** `masked`: the input is echoed as `*` and kept out of the history (a password). */
  setPrompt(prompt: string, masked?: boolean): void;
  /**
   * Removes an entered line from the screen once the server's echo (which shows it with a
   * timestamp) has come; without this every message would appear twice. Only while it is the
   * last line entered and nothing was printed since: otherwise it stays, as a plain copy.
   */
  eraseEntered(line: string): void;
  /** Puts a line into the input history (Up recalls it): text the client gives back. */
  remember(line: string): void;
  /** Rings the terminal bell (BEL); nothing when piped. */
  bell(): void;
  close(): void;
}

export function createTerminal(opts: TerminalOptions): Terminal {
  const { input, output } = opts;
  const interactive = opts.interactive ?? Boolean(input.isTTY && output.isTTY);
  let ended = false;
  const onEnd = () => {
    if (ended) return;
    ended = true;
    opts.onEnd();
  };
  const onSignal = () => opts.onInterrupt();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const stopSignals = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };

  if (interactive) {
    /** The last line entered while it is still right above the prompt (nothing printed since). */
    let entered: string | undefined;
    const prompt: PromptLine = createPromptLine({
      input,
      output,
      completer: opts.completer,
      onLine: (line) => {
        entered = line;
        opts.onLine(line);
      },
      onClose: onEnd,
      onInterrupt: onSignal,
      // Issue 13: Ctrl-C with text typed clears the line (Up recalls it); on an empty line it leaves.
      interruptClears: true,
    });
    return {
      interactive,
      print(lines) {
        if (lines.length === 0) return;
        entered = undefined;
        prompt.print(`${lines.join("\n")}\n`);
      },
      setPrompt: (next, masked) => prompt.setPrompt(next, masked),
      eraseEntered(line) {
        if (entered !== line) return;
        entered = undefined;
        prompt.eraseEntered();
      },
      remember: (line) => prompt.remember(line),
      bell: () => prompt.bell(),
      close() {
        stopSignals();
        ended = true;
        prompt.close();
      },
    };
  }

  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  rl.on("line", (line) => opts.onLine(line));
  rl.on("close", onEnd);
  return {
    interactive,
    print(lines) {
      if (lines.length > 0) output.write(`${lines.join("\n")}\n`);
    },
    setPrompt() {},
    eraseEntered() {},
    remember() {},
    bell() {},
    close() {
      stopSignals();
      ended = true;
      rl.close();
    },
  };
}
