/**
 * Real terminals for tests: programs run in tmux (a private tmux server on its own socket, so a
 * test never touches a user's sessions), and the tests read the screen as a user sees it.
 */
import { execFileSync } from "node:child_process";
import { after } from "node:test";
import { ROOT, WAIT_MS } from "./client-helpers.ts";

function tmuxVersion(): string | undefined {
  try {
    return execFileSync("tmux", ["-V"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

export const TMUX_VERSION = tmuxVersion();
/** The `skip` option of a tmux test: the reason when tmux is missing. */
export const NEEDS_TMUX = TMUX_VERSION
  ? false
  : "tmux is not installed (apt-get install tmux to run this test)";

const SOCKET = `papo-test-${process.pid}`;
export const tmux = (...args: string[]) =>
  execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

export function killTmux(): void {
  try {
    tmux("kill-server");
  } catch {
    // already gone: the last session ended with its program
  }
}

after(() => {
  if (TMUX_VERSION) killTmux();
});

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A program in a tmux window of the given size; LANG=C so texts are English. */
export class TmuxPane {
  constructor(
    readonly name: string,
    command: string[],
    columns = 100,
    rows = 30,
  ) {
    tmux(
      "new-session",
      "-d",
      "-s",
      name,
      "-x",
      String(columns),
      "-y",
      String(rows),
      "-c",
      ROOT,
      "-e",
      "LANG=C",
      command.join(" "),
    );
    // Debugging: PAPO_TMUX_RAW=DIR keeps every byte the program wrote, one file per pane.
    const raw = process.env.PAPO_TMUX_RAW;
    if (raw) tmux("pipe-pane", "-t", name, "-o", `cat > ${raw}/${name}.raw`);
  }

  /** The visible screen, one entry per row, without colours, trailing blank rows dropped. */
  screen(): string[] {
    return trimEnd(tmux("capture-pane", "-p", "-t", this.name).split("\n"));
  }

  /**
   * Everything written so far, scrollback included, with rows that the terminal wrapped joined
   * back into the line that was written (`capture-pane -J`), trailing blanks dropped.
   */
  history(): string[] {
    return trimEnd(
      tmux("capture-pane", "-p", "-J", "-S", "-", "-t", this.name)
        .split("\n")
        .map((l) => l.trimEnd()),
    );
  }

  cursor(): { x: number; y: number } {
    const [x, y] = tmux("display", "-p", "-t", this.name, "#{cursor_x} #{cursor_y}").trim().split(" ");
    return { x: Number(x), y: Number(y) };
  }

  /** Types text literally. */
  type(text: string): void {
    tmux("send-keys", "-t", this.name, "-l", text);
  }

  /** Presses keys by tmux name (`Enter`, `Left`, `C-l`, ...). */
  keys(...names: string[]): void {
    tmux("send-keys", "-t", this.name, ...names);
  }

  alive(): boolean {
    try {
      tmux("has-session", "-t", this.name);
      return true;
    } catch {
      return false;
    }
  }

  async waitScreen(check: (lines: string[]) => boolean, what: string): Promise<string[]> {
    return this.#wait(() => this.screen(), check, what);
  }

  async waitHistory(check: (lines: string[]) => boolean, what: string): Promise<string[]> {
    return this.#wait(() => this.history(), check, what);
  }

  async waitExit(): Promise<boolean> {
    const deadline = Date.now() + WAIT_MS;
    while (this.alive() && Date.now() < deadline) await sleep(50);
    return !this.alive();
  }

  kill(): void {
    try {
      tmux("kill-session", "-t", this.name);
    } catch {
      // the program has ended
    }
  }

  async #wait(read: () => string[], check: (lines: string[]) => boolean, what: string): Promise<string[]> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      let lines: string[] = [];
      try {
        lines = read();
      } catch {
        // the session may be gone (the program exited)
      }
      if (check(lines)) return lines;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; screen:\n${lines.join("\n")}`);
      await sleep(50);
    }
  }
}

function trimEnd(lines: string[]): string[] {
  while (lines.length > 0 && (lines.at(-1) ?? "").trim() === "") lines.pop();
  return lines;
}
