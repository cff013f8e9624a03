/**
 * Renders events as the human-readable lines of text mode (docs/protocol.md §2). The terminal
 * client reuses this for the json events it receives, so both read the same.
 */
import type { ErrorEvent, ServerEvent } from "../core/events.ts";
import type { ChatTexts } from "../i18n/types.ts";

/**
 * The lines (without line ends) one event shows as. `self` is the viewer's name, which decides
 * whether a private message is incoming or the sender's own copy.
 */
export function renderEvent(event: ServerEvent, t: ChatTexts, self?: string): string[] {
  switch (event.type) {
    case "hello":
      return [t.greeting({ online: event.online })];
    case "prompt":
      return [event.need === "name" ? t.promptName : t.promptPassword];
    case "welcome":
      return [
        t.welcome({ name: event.name, address: event.address }),
        t.online({ names: event.users.map((u) => u.name) }),
        t.tips,
      ];
    case "joined":
      return [t.joined(event)];
    case "left":
      return [t.left(event)];
    case "message":
      return [`${event.from}: ${event.text}`];
    case "action":
      return [t.action(event)];
    case "private":
      return [
        self !== undefined && event.from === self && event.to !== self
          ? t.privateOut({ to: event.to, text: event.text })
          : t.privateIn({ from: event.from, text: event.text }),
      ];
    case "renamed":
      return [t.renamed(event)];
    case "users":
      return [t.online({ names: event.users.map((u) => u.name) }), ...event.users.map((u) => t.usersLine(u))];
    case "help":
      return [
        t.helpHeader,
        ...event.commands.map((c) => {
          const aliases = c.aliases.length ? ` (${c.aliases.map((a) => `/${a}`).join(", ")})` : "";
          return `*   ${c.usage}${aliases} — ${t.commandHelp[c.name] ?? ""}`;
        }),
        `*   @NAME TEXT — ${t.commandHelp.private ?? ""}`,
      ];
    case "notice":
      return [t.announce(event.params)];
    case "error":
      return [renderError(event, t)];
    case "bye":
      return [t.bye[event.reason]({ ...(event.text ? { text: event.text } : {}) })];
    case "ping":
    case "pong":
      return [];
    default: {
      const never: never = event;
      return never;
    }
  }
}

export function renderError(e: ErrorEvent, t: ChatTexts): string {
  switch (e.code) {
    case "name_invalid":
      return t.nameProblem[e.params.reason];
    case "name_taken":
      return t.nameTaken(e.params);
    case "unknown_user":
      return t.unknownUser(e.params);
    case "private_self":
      return t.privateSelf;
    case "private_missing_text":
      return t.privateMissingText(e.params);
    case "unknown_command":
      return t.unknownCommand(e.params);
    case "usage":
      return t.usage(e.params);
    case "not_registered":
      return t.notRegistered;
    case "line_too_long":
      return t.lineTooLong(e.params);
    case "invalid_utf8":
      return t.invalidUtf8;
    case "bad_json":
      return t.badJson;
    case "bad_request":
      return t.badRequest;
    case "flood":
      return t.flood(e.params);
    case "bad_password":
      return t.badPassword;
    case "internal":
      return t.internal;
    default: {
      const never: never = e;
      return never;
    }
  }
}
