/**
 * A node:readline prompt with other output printed ABOVE it, shared by the terminal client
 * (`papo connect`) and the operator console (`papo serve` on a terminal, issue 10 item 4).
 *
 * readline draws the prompt and the typed input itself and keeps one fact about the screen:
 * `prevRows`, the row (counted from the prompt's first row) where it left the cursor. Every
 * redraw starts by moving up that many rows and clearing down. Issue 10 item 1 had two causes:
 *
 * 1. Printing above the prompt moved up to the prompt's first row, cleared, wrote, and asked
 *    readline to redraw; the redraw moved up again by `prevRows`, into the lines just printed,
 *    and cleared them (with the input over two rows every incoming line but one vanished; over
 *    three an older line went too). Now the print tells readline the cursor is on the first row
 *    of a fresh prompt (`prevRows = 0`, as readline's own clearLine() does after Enter).
 * 2. readline itself loses count when several characters arrive in one read (fast typing, a
 *    paste, tmux send-keys): emitKeypressEvents marks all but the last as "not completable"
 *    (so a pasted Tab does not complete), and _insertString then writes those straight out
 *    without checking whether they started a new row. After a paste that wrapped, `prevRows`
 *    was short, and the next redraw (an incoming line, or just Left across a row) started too
 *    low and left stale rows behind. So after readline writes characters straight out, the
 *    row is recomputed (`syncRows`) before anything redraws, from readline's own width rules
 *    (`getCursorPos()`: wide CJK and emoji take two columns, a wide character never straddles
 *    two rows), and one rule of terminals: a character that fills the last column leaves the
 *    cursor on that row until the next one is written.
 *
 * The readline members used here (`prevRows`, `line`, `cursor`, `isCompletionEnabled`, and the
 * `_insertString`, `_refreshLine`, `_ttyWrite`, `_getDisplayPos`, `_writeToOutput` methods) are the ones Node keeps
 * public "for backward compatibility"; test/client-tmux.test.ts proves the result on a real
 * terminal.
 */
import readline from "node:readline";
import type { Readable, Writable } from "node:stream";

export type Completion = [string[], string];

export interface PromptLineOptions {
  input: Readable & { isTTY?: boolean };
  output: Writable & { isTTY?: boolean; columns?: number };
  completer?: (beforeCursor: string) => Completion;
  historySize?: number;
  onLine(line: string): void;
  /** readline closed: Ctrl-D on an empty line, or the input ended. */
  onClose(): void;
  /** Ctrl-C (in raw mode it reaches readline as a key, not as a signal). */
  onInterrupt(): void;
  /**
   * Ctrl-C with text typed clears the line instead, putting the text into the history (Up recalls
   * it; a masked entry is just dropped); `onInterrupt` is called only on an empty line.
   */
  interruptClears?: boolean;
}

export interface PromptLine {
  /** Prints `text` (whole lines, each ending in "\n") above the prompt and the typed input. */
  print(text: string): void;
  /** `masked`: the input is echoed as `*` and kept out of the history (a password). */
  setPrompt(prompt: string, masked?: boolean): void;
  /**
   * Removes the line last entered (readline has moved below it; the user may have typed on the
   * new prompt since) and redraws the prompt, for callers that will show the line again in
   * another form (the client's timestamped echo, once the server has confirmed it).
   */
  eraseEntered(): void;
  /** Puts a line into the input history (Up recalls it). */
  remember(line: string): void;
  /** Rings the terminal bell: BEL takes no room and moves no cursor, so the prompt stays right. */
  bell(): void;
  /** Clears the prompt row and closes readline (restoring the terminal's mode). */
  close(): void;
}

/** The readline state this module reads and keeps right; see the module comment. */
interface ReadlineState {
  line: string;
  cursor: number;
  prevRows: number;
  isCompletionEnabled: boolean;
  history?: string[];
  historyIndex?: number;
  _writeToOutput(s: string): void;
  _insertString(c: string): void;
  _refreshLine(): void;
  _getDisplayPos(text: string): { rows: number; cols: number };
  _ttyWrite(s: string | undefined, key: KeyInfo | undefined): void;
}

interface KeyInfo {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
}

export function createPromptLine(opts: PromptLineOptions): PromptLine {
  const { output } = opts;
  let masked = false;
  let prompt = "";
  let closed = false;
  const completer = opts.completer;
  const rl = readline.createInterface({
    input: opts.input,
    output,
    terminal: true,
    // Never complete names into a password.
    ...(completer
      ? { completer: (before: string): Completion => (masked ? [[], before] : completer(before)) }
      : {}),
    prompt: "",
    historySize: opts.historySize ?? 500,
    removeHistoryDuplicates: true,
  });
  const state = rl as unknown as ReadlineState;
  // readline has no hidden input; every echo goes through _writeToOutput (a long-standing,
  // widely used hook), so masking there covers typing, redraws and printing above the prompt.
  const write = state._writeToOutput.bind(rl);
  state._writeToOutput = (s: string) => write(masked ? maskEcho(s, prompt) : s);

  /** readline wrote typed characters straight out since `prevRows` was last right. */
  let unsynced = false;
  /** Rows the entry took, noted as Enter was pressed (for eraseEntered). */
  let enteredRows = 1;
  let refreshes = 0;
  /** Characters were inserted mid-line by writing them over the rest; a redraw is owed. */
  let overtyped = false;
  const refresh = state._refreshLine.bind(rl);
  state._refreshLine = () => {
    // Redraws readline starts itself after a keystroke come after a sync (below); the others
    // (a new prompt, a resize) come with the cursor where the last write left it.
    if (unsynced) syncRows();
    refreshes++;
    overtyped = false;
    refresh();
  };
  const insert = state._insertString.bind(rl);
  state._insertString = (c: string) => {
    // The last character of a read is checked for a new row by readline, from `prevRows`.
    if (unsynced && state.isCompletionEnabled) syncRows();
    if (!state.isCompletionEnabled && state.cursor < state.line.length) {
      // readline's unchecked path appends to the END of the line wherever the cursor is, so a
      // paste into the middle of a line came out scrambled ("hello world", cursor before
      // "world", paste "XYZ": "hello woZrldXY"). Insert at the cursor; the screen shows it
      // typed over the rest of the line until the read's last key redraws.
      state.line = state.line.slice(0, state.cursor) + c + state.line.slice(state.cursor);
      state.cursor += c.length;
      state._writeToOutput(c);
      unsynced = true;
      overtyped = true;
      return;
    }
    const before = refreshes;
    insert(c);
    if (refreshes === before && c !== "") unsynced = true;
  };
  const ttyWrite = state._ttyWrite.bind(rl);
  state._ttyWrite = (s, key) => {
    // Anything but typing a character may move the cursor before redrawing: count rows first,
    // while readline's cursor is still where its last write left the terminal's.
    const typing = !key?.ctrl && !key?.meta && typeof s === "string" && /^[^\x00-\x1f\x7f]/u.test(s);
    if (unsynced && !typing) syncRows();
    if (overtyped && (!typing || state.isCompletionEnabled)) {
      if (unsynced) syncRows();
      state._refreshLine();
    }
    if (key?.name === "return" || key?.name === "enter") {
      // readline moves to the end of the entry (redrawing if that changes rows), then "\r\n".
      const end =
        state.cursor === state.line.length
          ? state.prevRows
          : state._getDisplayPos(rl.getPrompt() + state.line).rows;
      enteredRows = end + 1;
    }
    ttyWrite(s, key);
  };

  /**
   * Sets `prevRows` to the terminal cursor's row. Only right just after readline (or the insert
   * above) wrote characters straight out, so only called while `unsynced`.
   */
  function syncRows(): void {
    const { rows, cols } = rl.getCursorPos();
    // A character that filled the row's last column leaves the cursor on that row.
    state.prevRows = cols === 0 && rows > 0 ? rows - 1 : rows;
    unsynced = false;
  }

  rl.on("line", (line) => {
    if (masked) {
      masked = false;
      // Keep the password out of the up-arrow history.
      if (state.history?.[0] === line) state.history.shift();
    }
    opts.onLine(line);
  });
  rl.on("close", () => {
    if (closed) return;
    closed = true;
    opts.onClose();
  });
  rl.on("SIGINT", () => {
    if (opts.interruptClears && state.line !== "") {
      // Rows are right here: _ttyWrite synced them before handing readline the key.
      if (!masked) remember(state.line);
      state.line = "";
      state.cursor = 0;
      state._refreshLine();
      return;
    }
    opts.onInterrupt();
  });

  function remember(line: string): void {
    if (!state.history || line.trim() === "") return;
    const seen = state.history.indexOf(line);
    if (seen >= 0) state.history.splice(seen, 1);
    state.history.unshift(line);
    if (state.history.length > (opts.historySize ?? 500)) state.history.pop();
    // Up starts again from the newest entry.
    state.historyIndex = -1;
  }

  /** Erases the prompt and the input, leaving the cursor at the start of their first row. */
  function clearPromptRows(): void {
    if (unsynced) syncRows();
    readline.moveCursor(output, 0, -state.prevRows);
    readline.cursorTo(output, 0);
    readline.clearScreenDown(output);
  }

  /** Redraws prompt + input with the cursor where it was, from the first row of a fresh prompt. */
  function redrawFromFreshRow(): void {
    state.prevRows = 0;
    unsynced = false;
    // Not rl.prompt(true): that also resumes input readline paused (during Tab completion).
    state._refreshLine();
  }

  return {
    print(text) {
      if (closed) {
        output.write(text);
        return;
      }
      clearPromptRows();
      output.write(text);
      redrawFromFreshRow();
    },
    setPrompt(next, mask = false) {
      if (closed) return;
      // Count rows by the old prompt, which is what the screen shows.
      if (unsynced) syncRows();
      prompt = next;
      masked = mask;
      rl.setPrompt(next);
      // readline's redraw clears from the old prompt's first row down, so a shorter prompt
      // leaves nothing behind.
      rl.prompt(true);
    },
    eraseEntered() {
      if (closed) return;
      // Up over what was typed since (0 rows right after Enter), then over the entry.
      if (unsynced) syncRows();
      readline.moveCursor(output, 0, -(state.prevRows + enteredRows));
      readline.cursorTo(output, 0);
      readline.clearScreenDown(output);
      redrawFromFreshRow();
    },
    remember,
    bell() {
      if (!closed) output.write("\x07");
    },
    close() {
      if (closed) return;
      closed = true;
      // Leave the cursor on a clean row for the shell.
      clearPromptRows();
      rl.close();
    },
  };
}

/**
 * What readline echoes, with the typed text as `*` (the prompt and escape sequences kept). Each
 * character becomes as many `*` as the columns it takes, so readline's idea of where the cursor
 * is stays true for wide characters.
 */
export function maskEcho(s: string, prompt: string): string {
  const head = prompt !== "" && s.startsWith(prompt) ? prompt : "";
  const keep = (m: string) => m.startsWith("\x1b") || m === "\r" || m === "\n";
  return (
    head +
    s
      .slice(head.length)
      .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|[\s\S]/gu, (m) => (keep(m) ? m : "*".repeat(displayWidth(m))))
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
