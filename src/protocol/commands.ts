/**
 * The commands a user can type (docs/protocol.md §3), as data the clients share with the server:
 * names, aliases in English and Portuguese (seed 003/004 use /sair), usage. The core attaches a
 * handler to each name (core/commands.ts); /help is generated from this table.
 */
import type { CommandInfo } from "./events.ts";

export type CommandName =
  | "quit"
  | "users"
  | "nick"
  | "me"
  | "join"
  | "part"
  | "rooms"
  | "history"
  | "topic"
  | "away"
  | "back"
  | "kick"
  | "invite"
  | "mode"
  | "help"
  | "lang";

export interface CommandSpec {
  name: CommandName;
  aliases: string[];
  usage: string;
  /** True when the command cannot run without arguments. */
  needsArgs: boolean;
}

export const COMMAND_SPECS: readonly CommandSpec[] = [
  { name: "quit", aliases: ["sair", "exit"], usage: "/quit [reason]", needsArgs: false },
  { name: "users", aliases: ["who", "usuarios"], usage: "/users [#room]", needsArgs: false },
  { name: "nick", aliases: ["nome"], usage: "/nick NAME", needsArgs: true },
  { name: "me", aliases: ["eu"], usage: "/me TEXT", needsArgs: true },
  { name: "join", aliases: ["entrar", "j"], usage: "/join #room [key]", needsArgs: true },
  { name: "part", aliases: ["leave"], usage: "/part [#room] [reason]", needsArgs: false },
  { name: "rooms", aliases: ["salas", "list"], usage: "/rooms", needsArgs: false },
  { name: "history", aliases: ["historico"], usage: "/history [N]", needsArgs: false },
  { name: "topic", aliases: ["tema"], usage: "/topic [TEXT]", needsArgs: false },
  { name: "away", aliases: ["ausente"], usage: "/away [message]", needsArgs: false },
  { name: "back", aliases: ["voltei"], usage: "/back", needsArgs: false },
  { name: "kick", aliases: ["expulsar"], usage: "/kick NAME [reason]", needsArgs: true },
  { name: "invite", aliases: ["convidar"], usage: "/invite NAME [#room]", needsArgs: true },
  { name: "mode", aliases: ["modo"], usage: "/mode [#room] +MODES [ARGS]", needsArgs: true },
  { name: "help", aliases: ["ajuda"], usage: "/help", needsArgs: false },
  { name: "lang", aliases: ["idioma", "language"], usage: "/lang [en|pt-BR]", needsArgs: false },
];

/** The usage of a private message, for `private_missing_text`. */
export const PRIVATE_USAGE = "@NAME TEXT";

const byName = new Map<string, CommandSpec>();
for (const c of COMMAND_SPECS) for (const n of [c.name, ...c.aliases]) byName.set(n, c);

/** The command a typed name (without its slash, any case) stands for. */
export function findCommand(name: string): CommandSpec | undefined {
  return byName.get(name.toLowerCase());
}

export const COMMAND_INFO: readonly CommandInfo[] = COMMAND_SPECS.map(({ name, aliases, usage }) => ({
  name,
  aliases,
  usage,
}));

/** Every command name and alias with its slash, for completion. */
export const COMMAND_WORDS: readonly string[] = COMMAND_SPECS.flatMap((c) => [c.name, ...c.aliases]).map(
  (n) => `/${n}`,
);
