/**
 * The operator console on the server's stdin (S11, seed 004's `sair`): works with a terminal or
 * a pipe, and does nothing harmful when stdin is closed.
 */
import type { Readable, Writable } from "node:stream";
import { canonicalName } from "../core/nickname.ts";
import type { ServerTexts } from "../i18n/types.ts";
import { LineDecoder } from "../protocol/line-decoder.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import type { RunningServer } from "./server.ts";

export interface ConsoleOptions {
  input: Readable;
  output: Writable;
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
      if (!k) return [t.consoleUsage({ usage: "/kick NAME [reason]" })];
      const name = k[1] as string;
      const reason = sanitizeText(k[2] ?? "").trim() || undefined;
      return chat.kick(canonicalName(name), reason)
        ? [t.consoleKicked({ name: sanitizeText(name) })]
        : [t.consoleNoSuchUser({ name: sanitizeText(name) })];
    }
    case "announce": {
      const text = sanitizeText(args).trim();
      if (!text) return [t.consoleUsage({ usage: "/announce TEXT" })];
      chat.announce(text);
      return [t.consoleAnnounced];
    }
    case "shutdown": {
      const reason = sanitizeText(args).trim() || undefined;
      opts.onShutdown(reason);
      return [];
    }
    case "help":
      return t.consoleHelp;
    default:
      return [t.consoleUnknown({ command: sanitizeText(word) })];
  }
}

/** Longest console line, in bytes; longer ones are ignored, and a stream that never ends a line cannot exhaust memory. */
const CONSOLE_LINE_BYTES = 4096;

/** Reads console lines from `input` until it ends; `close()` stops listening. */
export function startConsole(opts: ConsoleOptions): { close(): void } {
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
    close() {
      opts.input.off("data", onData);
      opts.input.pause();
      // Let the process exit even though stdin is still open.
      (opts.input as Readable & { unref?: () => void }).unref?.();
    },
  };
}
