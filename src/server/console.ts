/**
 * The operator console on the server's stdin (S11, seed 004's `sair`): works with a terminal or
 * a pipe, and does nothing harmful when stdin is closed.
 *
 * On a terminal (stdin and stdout both TTYs) it is a readline prompt, the same one as the
 * terminal client's (src/tty/prompt.ts): line editing, history, Ctrl-L, Tab completion of
 * commands and names, and what the server prints (its answers, log lines) appears ABOVE the
 * half-typed command instead of inside it (issue 10 item 4). Through a pipe it reads plain lines,
 * as before.
 */
import type { Readable, Writable } from "node:stream";
import { banTarget, parseBanArgs } from "../core/bans.ts";
import { canonicalName } from "../core/nickname.ts";
import type { ServerTexts } from "../i18n/types.ts";
import { LineDecoder } from "../protocol/line-decoder.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import { createPromptLine } from "../tty/prompt.ts";
import { statsFigures } from "./metrics.ts";
import type { RunningServer } from "./server.ts";

export interface ConsoleOptions {
  input: Readable & { isTTY?: boolean };
  output: Writable & { isTTY?: boolean; columns?: number };
  /** Force a mode (tests); by default interactive when both ends are terminals. */
  interactive?: boolean;
  texts: ServerTexts;
  server: RunningServer;
  /** Called for the shutdown command, with the operator's reason. */
  onShutdown(reason?: string): void;
}

const ALIASES: Record<string, string> = {
  users: "users",
  who: "users",
  usuarios: "users",
  kick: "kick",
  expulsar: "kick",
  announce: "announce",
  say: "announce",
  avisar: "announce",
  shutdown: "shutdown",
  sair: "shutdown",
  quit: "shutdown",
  help: "help",
  ajuda: "help",
  // Issue 13
  stats: "stats",
  estatisticas: "stats",
  ban: "ban",
  banir: "ban",
  unban: "unban",
  desbanir: "unban",
  bans: "bans",
  banidos: "bans",
};

/** Runs one console line; returns the lines to print. Exported for tests. */
export function runConsoleLine(line: string, opts: Omit<ConsoleOptions, "input" | "output">): string[] {
  const t = opts.texts;
  const m = /^\/?(\S+)\s*([\s\S]*)$/.exec(line.trim());
  if (!m) return [];
  const word = (m[1] ?? "").toLowerCase();
  const args = (m[2] ?? "").trim();
  const chat = opts.server.chat;
  switch (ALIASES[word]) {
    case "users": {
      const users = chat.users();
      if (users.length === 0) return [t.consoleNoUsers];
      return [
        t.consoleUsers({ count: users.length }),
        ...users.map((u) => `  ${u.name}  ${chat.find(canonicalName(u.name))?.port.remote ?? ""}`),
      ];
    }
    case "kick": {
      const k = /^(\S+)\s*([\s\S]*)$/.exec(args);
      if (!k) return [t.consoleUsage({ usage: t.consoleUsages.kick })];
      const name = k[1] as string;
      const reason = sanitizeText(k[2] ?? "").trim() || undefined;
      // Issue 10 item 6: answer with the user's own spelling (`/kick fabi` removes Fabi).
      const target = chat.find(canonicalName(name))?.name;
      return target !== undefined && chat.kick(canonicalName(name), reason)
        ? [t.consoleKicked({ name: target })]
        : [t.consoleNoSuchUser({ name: sanitizeText(name) })];
    }
    case "announce": {
      const text = sanitizeText(args).trim();
      if (!text) return [t.consoleUsage({ usage: t.consoleUsages.announce })];
      chat.announce(text);
      return [t.consoleAnnounced];
    }
    case "shutdown": {
      const reason = sanitizeText(args).trim() || undefined;
      opts.onShutdown(reason);
      return [];
    }
    case "stats": {
      // The first /stats starts the event-loop monitor when no metrics listener did.
      opts.server.metrics.startLoopMonitor();
      return t.consoleStats(statsFigures(opts.server.metrics));
    }
    case "ban": {
      // Issue 13: `/ban NAME|ADDRESS|CIDR [duration] [reason]`.
      if (!args) return [t.consoleUsage({ usage: t.consoleUsages.ban })];
      const parsed = parseBanArgs(sanitizeText(args));
      if (!parsed) return [t.consoleBadBanTarget({ target: sanitizeText(args.split(/\s/)[0] ?? "") })];
      const { ban, removed } = chat.ban(parsed.target, {
        ...(parsed.durationMs !== undefined ? { durationMs: parsed.durationMs } : {}),
        ...(parsed.reason !== undefined ? { reason: parsed.reason } : {}),
      });
      return [
        t.consoleBanned({
          target: ban.shown,
          ...(ban.until !== undefined ? { until: ban.until } : {}),
          removed,
        }),
      ];
    }
    case "unban": {
      if (!args) return [t.consoleUsage({ usage: t.consoleUsages.unban })];
      const target = banTarget(sanitizeText(args));
      if (!target) return [t.consoleBadBanTarget({ target: sanitizeText(args) })];
      return chat.unban(target.key)
        ? [t.consoleUnbanned({ target: target.shown })]
        : [t.consoleNoSuchBan({ target: target.shown })];
    }
    case "bans": {
      const bans = chat.bans.list();
      if (bans.length === 0) return [t.consoleNoBans];
      return [
        t.consoleBans({ count: bans.length }),
        ...bans.map((b) =>
          t.consoleBanLine({
            target: b.shown,
            ...(b.until !== undefined ? { until: b.until } : {}),
            ...(b.reason !== undefined ? { reason: b.reason } : {}),
          }),
        ),
      ];
    }
    case "help":
      return t.consoleHelp;
    default:
      return [t.consoleUnknown({ command: sanitizeText(word) })];
  }
}

/** Longest console line, in bytes; longer ones are ignored, and a stream that never ends a line cannot exhaust memory. */
const CONSOLE_LINE_BYTES = 4096;

/** The console's prompt on a terminal (a name, the same in every language). */
export const CONSOLE_PROMPT = "papo> ";

export interface OperatorConsole {
  /** A readline prompt on a terminal (false: plain lines through a pipe). */
  readonly interactive: boolean;
  /** Writes whole lines (each ending in "\n"): above the prompt on a terminal. */
  print(text: string): void;
  close(): void;
}

/** Reads console lines from `input` until it ends; `close()` stops listening. */
export function startConsole(opts: ConsoleOptions): OperatorConsole {
  const interactive = opts.interactive ?? Boolean(opts.input.isTTY && opts.output.isTTY);
  return interactive ? startTerminalConsole(opts) : startPipedConsole(opts);
}

function startTerminalConsole(opts: ConsoleOptions): OperatorConsole {
  const prompt = createPromptLine({
    input: opts.input,
    output: opts.output,
    historySize: 100,
    completer: (before) =>
      completeConsole(
        before,
        opts.server.chat.users().map((u) => u.name),
      ),
    onLine: (line) => {
      if (Buffer.byteLength(line) > CONSOLE_LINE_BYTES) return;
      const out = runConsoleLine(line, opts);
      if (out.length > 0) prompt.print(`${out.join("\n")}\n`);
    },
    // Ctrl-D: the console ends, the server goes on (as when a piped stdin ends).
    onClose: () => (opts.input as Readable & { unref?: () => void }).unref?.(),
    // Ctrl-C reaches readline as a key in raw mode: shut down, as the signal does.
    onInterrupt: () => opts.onShutdown(),
  });
  prompt.setPrompt(CONSOLE_PROMPT);
  return {
    interactive: true,
    print: (text) => prompt.print(text),
    close() {
      prompt.close();
      opts.input.pause();
      (opts.input as Readable & { unref?: () => void }).unref?.();
    },
  };
}

/** Tab completion: a command in the first word, a user's name after it. */
export function completeConsole(before: string, names: readonly string[]): [string[], string] {
  const m = /^(\/?)(\S*)$/.exec(before);
  if (m) {
    const word = (m[2] ?? "").toLowerCase();
    const hits = Object.keys(ALIASES).filter((c) => c.startsWith(word));
    return [hits.map((c) => `${m[1] || "/"}${c} `), before];
  }
  const last = /(\S*)$/.exec(before)?.[1] ?? "";
  const hits = names.filter((n) => n.toLowerCase().startsWith(last.toLowerCase()));
  return [hits.length === 1 ? [`${hits[0]} `] : hits, last];
}

function startPipedConsole(opts: ConsoleOptions): OperatorConsole {
  // The same bounded decoder as the chat's (not readline, whose line has no limit: an endless
  // stream without a newline, such as /dev/zero, grew one string until the process died).
  const decoder = new LineDecoder({
    maxLineBytes: CONSOLE_LINE_BYTES,
    maxPendingBytes: Number.MAX_SAFE_INTEGER,
  });
  const onData = (chunk: Buffer | string) => {
    for (const item of decoder.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)) {
      if (item.kind !== "line") continue;
      for (const out of runConsoleLine(item.text, opts)) opts.output.write(`${out}\n`);
    }
  };
  opts.input.on("data", onData);
  // stdin closed (a pipe that ended, /dev/null, a detached service): the server keeps running.
  opts.input.on("error", () => {});
  return {
    interactive: false,
    print: (text) => opts.output.write(text),
    close() {
      opts.input.off("data", onData);
      opts.input.pause();
      // Let the process exit even though stdin is still open.
      (opts.input as Readable & { unref?: () => void }).unref?.();
    },
  };
}
