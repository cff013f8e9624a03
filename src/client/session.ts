/**
 * The terminal client's logic with no I/O: server lines and user input in, effects out (send a
 * request, print lines, change the prompt, end). The shell (main.ts) owns the socket, the
 * terminal and the timers, and just carries the effects out, so every protocol decision here is
 * unit-testable.
 *
 * Registration (S5): the name from `--name` (or, after a reconnect, the name we had) is sent
 * when the server first asks; if it is refused, the reason is shown and the user is asked.
 * Input typed before we can use it (a pipe delivers everything at once) is queued in order: the
 * first queued line answers a name prompt, the rest are sent once registered.
 */
import { findCommand } from "../protocol/commands.ts";
import type { ServerEvent } from "../protocol/events.ts";
import type { ClientRequest } from "../protocol/json.ts";
import type { Formatter } from "./format.ts";
import { parseServerLine } from "./server-events.ts";
import { type ClientState, INITIAL_STATE, reduce } from "./state.ts";

export type Effect =
  /** `echoed`: the server will show this line back (a message, `@name text`, `/me`). */
  | { kind: "send"; request: ClientRequest; echoed?: boolean }
  | { kind: "print"; lines: string[] }
  /** The prompt to show: asking for a name, or chatting as `self`. */
  | { kind: "prompt"; mode: "name" | "password" }
  | { kind: "prompt"; mode: "chat"; self: string }
  /** The connection closed without a `bye`: the shell reconnects or gives up. */
  | { kind: "lost" }
  /** The session is over; exit with `code`. */
  | { kind: "done"; code: number };

export type Phase =
  /** The first connection is being made; input is queued (a pipe may already be at its end). */
  | "connecting"
  /** The connection was lost; between reconnect attempts. */
  | "offline"
  /** Connected, `hello` sent, waiting to be asked for a name. */
  | "starting"
  /** A name was sent; waiting for `welcome` or a refusal. */
  | "registering"
  /** The server asked for its password (item 8) and the next input line is it. */
  | "password"
  /** The server asked for a name and the next input line is it. */
  | "naming"
  | "registered"
  | "ended";

export interface SessionOptions {
  /** `--name`: tried first, without asking. */
  name?: string;
  /** The server password (PAPO_PASSWORD): sent when asked, without asking the user. */
  password?: string;
  formatter: Formatter;
  /** Lines typed before they can be sent are kept, up to this many (default 100). */
  maxQueued?: number;
}

/** Exit codes (documented in `papo connect --help`). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;

export class ClientSession {
  readonly #opts: SessionOptions;
  #state: ClientState = INITIAL_STATE;
  #phase: Phase = "connecting";
  #wantName: string | undefined;
  /** The password to send when asked: given, or typed once (so a reconnect needs no retyping). */
  #password: string | undefined;
  #passwordSent = false;
  #queue: string[] = [];
  #quitting = false;
  #greeted = false;

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.#password = opts.password;
  }

  get state(): ClientState {
    return this.#state;
  }

  get phase(): Phase {
    return this.#phase;
  }

  /** The server answered our `hello` on this connection: it is a papo server. */
  get greeted(): boolean {
    return this.#greeted;
  }

  /** The user asked to leave (`/quit`, Ctrl-C, Ctrl-D, end of input). */
  get quitting(): boolean {
    return this.#quitting;
  }

  /** A connection is open: greet in json mode (protocol §5) and prepare to claim a name. */
  connected(): Effect[] {
    if (this.#phase === "ended") return [];
    this.#phase = "starting";
    // After a reconnect, claim the name we had (it may have been changed with /nick).
    this.#wantName = this.#state.self ?? this.#opts.name;
    this.#passwordSent = false;
    this.#greeted = false;
    return [{ kind: "send", request: { type: "hello", protocol: 1 } }];
  }

  /** One line from the server. */
  serverLine(line: string): Effect[] {
    if (this.#phase === "ended") return [];
    const event = parseServerLine(line);
    return event ? this.event(event) : [];
  }

  /** One event from the server. */
  event(event: ServerEvent): Effect[] {
    if (this.#phase === "ended") return [];
    this.#state = reduce(this.#state, event);
    const show = (): Effect => ({
      kind: "print",
      lines: this.#opts.formatter.event(event, this.#state.self),
    });
    switch (event.type) {
      case "ping":
        return [{ kind: "send", request: { type: "pong", ...("id" in event ? { id: event.id } : {}) } }];
      case "pong":
        return [];
      case "hello":
        this.#greeted = true;
        return [show()];
      case "prompt": {
        if (event.need === "password") {
          // A wrong password ends the connection (bye bad_password), so it is sent once at most.
          if (this.#password !== undefined && !this.#passwordSent) {
            this.#passwordSent = true;
            this.#phase = "registering";
            return [{ kind: "send", request: { type: "password", password: this.#password } }];
          }
          this.#phase = "password";
          return [show(), { kind: "prompt", mode: "password" }, ...this.#drain()];
        }
        if (this.#wantName !== undefined) {
          const name = this.#wantName;
          this.#wantName = undefined;
          this.#phase = "registering";
          return [{ kind: "send", request: { type: "name", name } }];
        }
        this.#phase = "naming";
        return [show(), { kind: "prompt", mode: "name" }, ...this.#drain()];
      }
      case "welcome":
        this.#phase = "registered";
        return [show(), { kind: "prompt", mode: "chat", self: event.name }, ...this.#drain()];
      case "renamed":
        return this.#state.self === event.to && event.from !== event.to
          ? [show(), { kind: "prompt", mode: "chat", self: event.to }]
          : [show()];
      case "bye":
        this.#phase = "ended";
        // Leaving on purpose and a server shutdown are normal ends; anything else is a failure.
        return [
          show(),
          {
            kind: "done",
            code: event.reason === "quit" || event.reason === "shutdown" ? EXIT_OK : EXIT_FAILURE,
          },
        ];
      default:
        return [show()];
    }
  }

  /** One line the user typed (without its line end). */
  input(line: string): Effect[] {
    switch (this.#phase) {
      case "ended":
        return [];
      case "naming":
        return this.#answerName(line);
      case "password":
        return this.#answerPassword(line);
      case "registered":
        return this.#sendLine(line);
      case "offline":
        // The connection is gone: leaving needs no server.
        if (isQuit(line)) return this.#end(EXIT_OK);
        this.#enqueue(line);
        return [];
      default:
        if (isQuit(line)) this.#quitting = true;
        this.#enqueue(line);
        return [];
    }
  }

  /** Ctrl-C, Ctrl-D or the end of piped input: leave as `/quit` does, after what was queued. */
  leave(): Effect[] {
    if (this.#quitting || this.#phase === "ended") return [];
    this.#quitting = true;
    return this.input("/quit");
  }

  /** The connection closed (the shell calls this only if no `done` was given before). */
  disconnected(): Effect[] {
    if (this.#phase === "ended") return [];
    if (this.#quitting) return this.#end(EXIT_OK);
    this.#phase = "offline";
    return [{ kind: "lost" }];
  }

  #end(code: number): Effect[] {
    this.#phase = "ended";
    return [{ kind: "done", code }];
  }

  #answerName(line: string): Effect[] {
    const text = line.trim();
    if (text === "") return [{ kind: "prompt", mode: "name" }];
    // Before registration the server takes /quit too (protocol §3).
    if (isQuit(text)) {
      this.#quitting = true;
      return [{ kind: "send", request: { type: "line", text } }];
    }
    this.#phase = "registering";
    return [{ kind: "send", request: { type: "name", name: text } }];
  }

  #answerPassword(line: string): Effect[] {
    if (line.trim() === "") return [{ kind: "prompt", mode: "password" }];
    if (isQuit(line)) {
      this.#quitting = true;
      return [{ kind: "send", request: { type: "line", text: line.trim() } }];
    }
    this.#password = line;
    this.#passwordSent = true;
    this.#phase = "registering";
    return [{ kind: "send", request: { type: "password", password: line } }];
  }

  #sendLine(line: string): Effect[] {
    const text = line.trim();
    if (text === "") return []; // the server ignores empty lines too (protocol §3)
    if (isQuit(text)) this.#quitting = true;
    return [{ kind: "send", request: { type: "line", text }, echoed: isEchoed(text) }];
  }

  #enqueue(line: string): void {
    if (this.#queue.length < (this.#opts.maxQueued ?? 100)) this.#queue.push(line);
  }

  /** Feeds queued lines while the phase can take them (a name answer stops at the next prompt). */
  #drain(): Effect[] {
    const out: Effect[] = [];
    const takes = () =>
      this.#phase === "naming" || this.#phase === "password" || this.#phase === "registered";
    while (this.#queue.length > 0 && takes()) {
      out.push(...this.input(this.#queue.shift() as string));
    }
    return out;
  }
}

/** `/quit`, `/sair`, `/exit` (any case, with or without a reason). */
export function isQuit(line: string): boolean {
  const word = line.trim().split(/\s+/, 1)[0] ?? "";
  return word.startsWith("/") && !word.startsWith("//") && findCommand(word.slice(1))?.name === "quit";
}

/** True when the server will show this line back to us (json mode echoes messages, privates, /me). */
export function isEchoed(line: string): boolean {
  const text = line.trim();
  // `@name` with no text is refused (private_missing_text), so it is not echoed.
  if (text.startsWith("@")) return /\s/.test(text);
  if (!text.startsWith("/") || text.startsWith("//")) return text !== "";
  const word = text.split(/\s+/, 1)[0] ?? "";
  return findCommand(word.slice(1))?.name === "me" && text.length > word.length;
}
