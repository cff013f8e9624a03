/**
 * The command table (docs/protocol.md §3). Commands are data; /help is generated from this table.
 * Aliases in English and Portuguese (seed 003/004 use /sair).
 */
import type { CommandInfo } from "./events.ts";
import type { Session } from "./session.ts";

export interface Command {
  name: string;
  aliases: string[];
  usage: string;
  /** True when the command cannot run without arguments. */
  needsArgs: boolean;
  run(session: Session, args: string): void;
}

export const COMMANDS: readonly Command[] = [
  {
    name: "quit",
    aliases: ["sair", "exit"],
    usage: "/quit [reason]",
    needsArgs: false,
    run: (s, args) => s.quit(args || undefined),
  },
  {
    name: "users",
    aliases: ["who", "usuarios"],
    usage: "/users",
    needsArgs: false,
    run: (s) => s.listUsers(),
  },
  {
    name: "nick",
    aliases: ["nome"],
    usage: "/nick NAME",
    needsArgs: true,
    run: (s, args) => s.rename(args),
  },
  {
    name: "me",
    aliases: ["eu"],
    usage: "/me TEXT",
    needsArgs: true,
    run: (s, args) => s.action(args),
  },
  {
    name: "help",
    aliases: ["ajuda"],
    usage: "/help",
    needsArgs: false,
    run: (s) => s.help(),
  },
];

/** The usage of a private message, for `private_missing_text`. */
export const PRIVATE_USAGE = "@NAME TEXT";

const byName = new Map<string, Command>();
for (const c of COMMANDS) for (const n of [c.name, ...c.aliases]) byName.set(n, c);

export function findCommand(name: string): Command | undefined {
  return byName.get(name.toLowerCase());
}

export const COMMAND_INFO: readonly CommandInfo[] = COMMANDS.map(({ name, aliases, usage }) => ({
  name,
  aliases,
  usage,
}));

/** Every command name and alias with its slash, for completion. */
export const COMMAND_WORDS: readonly string[] = COMMANDS.flatMap((c) => [c.name, ...c.aliases]).map(
  (n) => `/${n}`,
);
