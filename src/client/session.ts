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
 *
 * Rooms and resume (issue 14): the state tracks, per room, the epoch and the last seq shown.
 * After a reconnect the client sends `resume` (the welcome's token, and where it was in each
 * room) instead of `name`: the server gives the name back and replays what was missed; events
 * the client has shown already (same room, epoch and seq) are dropped, so each shows once.
 *
 * Nothing typed is lost (issue 10 item 3): every message, action and private message carries a
 * client id (`cid`) and stays in the outbox until the server's echo with that cid comes back
 * (live, or in a resume's replay). After a reconnect, what did not come back is sent again with
 * the same cid: the server drops a cid it has logged already, so it is posted once. A private
 * message is not logged, so a second copy could not be told apart: it is not resent, and the user
 * is told (and gets the text back). A line typed while offline waits in the queue and goes out
 * after the resume.
 */

import { clientEn } from "../i18n/client-en.ts";
import type { ClientTexts } from "../i18n/client-types.ts";
import { findCommand } from "../protocol/commands.ts";
import type { RoomEvent, ServerEvent } from "../protocol/events.ts";
import type { ClientRequest } from "../protocol/json.ts";
import { mentions } from "../protocol/mention.ts";
import type { Formatter } from "./format.ts";
import { parseServerLine } from "./server-events.ts";
import {
  alreadySeen,
  type ClientState,
  INITIAL_STATE,
  LOBBY,
  reduce,
  resumePoints,
  sameRoom,
} from "./state.ts";

export type Effect =
  /** `echoed`: the server will show this line back (a message, `@name text`, `/me`). */
  | { kind: "send"; request: ClientRequest; echoed?: boolean }
  | { kind: "print"; lines: string[] }
  /** The prompt to show: asking for a name, or chatting as `self` (in `room`, when not only the lobby). */
  | { kind: "prompt"; mode: "name" | "password" }
  | { kind: "prompt"; mode: "chat"; self: string; room?: string }
  /** Someone's words just shown name the user (issue 13): ring the terminal bell. */
  | { kind: "bell" }
  /** The server confirmed the line the user typed as `typed`: its echo follows. */
  | { kind: "acked"; typed: string }
  /** Text the user typed that was not (surely) delivered: give it back (input history). */
  | { kind: "keep"; text: string }
  /** The connection is gone (closed without `bye`, or a `bye` worth retrying): reconnect. */
  | { kind: "lost"; reason?: string }
  /** Offline, the user asked to try again now (Enter on an empty line). */
  | { kind: "retry" }
  /** The session is over; exit with `code`. */
  | { kind: "done"; code: number };

export type Phase =
  /** The first connection is being made; input is queued (a pipe may already be at its end). */
  | "connecting"
  /** The connection was lost; between reconnect attempts. */
  | "offline"
  /** Connected, `hello` sent, waiting to be asked for a name. */
  | "starting"
  /** A name (or a resume) was sent; waiting for `welcome` or a refusal. */
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
  /** The client's own texts (default English). */
  texts?: ClientTexts;
  /** Lines typed before they can be sent are kept, up to this many (default 1000). */
  maxQueued?: number;
  /** Makes this client's message ids unique (default: random). */
  cidPrefix?: string;
}

/** Exit codes (documented in `papo connect --help`). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;

/**
 * `bye` reasons that end the session: the user left, or the server does not want this client
 * back as it is. Any other (shutdown: operators restart; ping_timeout: our link was down) is
 * a lost connection, to be retried.
 */
const FINAL_BYES: ReadonlySet<string> = new Set([
  "quit",
  "kicked",
  "flood",
  "bad_password",
  "replaced",
  "banned",
  "line_overflow",
  "bad_frame",
]);

/** A line sent with a cid and not yet echoed back. */
interface Pending {
  readonly cid: string;
  /** What the user typed, as typed (the terminal erases it once the echo shows it). */
  readonly typed: string;
  readonly text: string;
  /** The current room when it was sent: a resend names it, whatever is current then. */
  readonly room: string;
  readonly private: boolean;
  /** The connection it was last sent on. */
  conn: number;
}

export class ClientSession {
  readonly #opts: SessionOptions;
  readonly #texts: ClientTexts;
  #state: ClientState = INITIAL_STATE;
  #phase: Phase = "connecting";
  #wantName: string | undefined;
  /** The password to send when asked: given, or typed once (so a reconnect needs no retyping). */
  #password: string | undefined;
  #passwordSent = false;
  #queue: string[] = [];
  #quitting = false;
  #greeted = false;
  /** Connections made so far; a pending line remembers which one it went out on. */
  #conn = 0;
  #cids = 0;
  readonly #cidPrefix: string;
  #outbox: Pending[] = [];
  /** Registered at least once: later welcomes are reconnects (no banner). */
  #registered = false;
  /** The token to resume with on this connection (taken from the state at `connected`). */
  #resumeToken: string | undefined;
  /** Rooms listed in this connection's resume: our own `joined` there is not shown. */
  #resumed = new Set<string>();
  /** Of those, the ones whose `room` event has not come yet: it is not shown either. */
  #quiet = new Set<string>();
  /** The next `current` event answers our own join that restores the current room after a resume. */
  #quietCurrent = false;
  #lastPrompt = "";

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.#texts = opts.texts ?? clientEn;
    this.#password = opts.password;
    this.#cidPrefix = opts.cidPrefix ?? Math.random().toString(36).slice(2, 10);
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

  /** The texts of lines sent and not yet confirmed by the server, oldest first. */
  get unconfirmed(): readonly string[] {
    return this.#outbox.map((p) => p.text);
  }

  /** Room names worth completing: ours, and the last `/rooms` answer's. */
  get knownRooms(): string[] {
    return [...new Set([...this.#state.rooms.map((r) => r.name), ...this.#state.listed])];
  }

  /** A connection is open: greet in json mode (protocol §5) and prepare to claim a name. */
  connected(): Effect[] {
    if (this.#phase === "ended") return [];
    this.#phase = "starting";
    this.#conn++;
    // After a reconnect, claim the name we had (it may have been changed with /nick); with a
    // token, by resuming, which also replays what we missed.
    this.#wantName = this.#state.self ?? this.#opts.name;
    this.#resumeToken = this.#registered ? this.#state.token : undefined;
    this.#quiet.clear();
    this.#resumed.clear();
    this.#quietCurrent = false;
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
    const before = this.#state;
    this.#state = reduce(before, event);
    const out = this.#handle(event, before);
    if (this.#phase === "registered" && this.#state.self !== undefined) {
      const p = this.#chatPrompt();
      if (p.kind === "prompt" && p.mode === "chat" && this.#lastPrompt !== promptKey(p)) {
        this.#lastPrompt = promptKey(p);
        // The welcome puts its prompt before the queued lines it sends; keep that order.
        if (!out.some((e) => e.kind === "prompt")) out.push(p);
      }
    }
    return out;
  }

  #show(event: ServerEvent): Effect {
    return {
      kind: "print",
      lines: this.#opts.formatter.event(event, this.#state.self, this.#state.current),
    };
  }

  #handle(event: ServerEvent, before: ClientState): Effect[] {
    const show = () => this.#show(event);
    switch (event.type) {
      case "ping":
        return [{ kind: "send", request: { type: "pong", ...("id" in event ? { id: event.id } : {}) } }];
      case "pong":
        return [];
      case "hello":
        this.#greeted = true;
        // On a reconnect the greeting says nothing new.
        return this.#registered ? [] : [show()];
      case "prompt":
        return this.#prompted(event.need, show);
      case "welcome":
        return this.#welcomed(event, before);
      case "error":
        if (event.code === "resume_failed") {
          // The server asks for a name next: claim it the plain way, from the lobby.
          this.#state = { ...this.#state, rooms: [], current: LOBBY };
          this.#quiet.clear();
          this.#resumed.clear();
        }
        return [show()];
      case "room": {
        if (this.#quiet.delete(event.room.toLowerCase())) return [];
        return [show()];
      }
      case "current":
        if (this.#quietCurrent) {
          this.#quietCurrent = false;
          return [];
        }
        return [show()];
      case "history":
        return this.#history(event, before);
      case "joined":
      case "left":
      case "message":
      case "action":
      case "renamed":
      case "topic":
        return this.#roomEvent(event, before);
      case "private":
        return [...this.#ack(event.from, event.cid), show(), ...this.#bell([event])];
      case "bye": {
        if (FINAL_BYES.has(event.reason) || this.#quitting) {
          this.#phase = "ended";
          // Leaving on purpose is a normal end (whatever the server was doing meanwhile).
          const code = event.reason === "quit" || this.#quitting ? EXIT_OK : EXIT_FAILURE;
          return [show(), { kind: "done", code }];
        }
        this.#phase = "offline";
        return [show(), { kind: "lost", reason: event.reason }];
      }
      default:
        return [show()];
    }
  }

  #prompted(need: "name" | "password", show: () => Effect): Effect[] {
    if (need === "password") {
      // A wrong password ends the connection (bye bad_password), so it is sent once at most.
      if (this.#password !== undefined && !this.#passwordSent) {
        this.#passwordSent = true;
        this.#phase = "registering";
        return [{ kind: "send", request: { type: "password", password: this.#password } }];
      }
      this.#phase = "password";
      return [show(), { kind: "prompt", mode: "password" }, ...this.#drain()];
    }
    if (this.#resumeToken !== undefined) {
      const token = this.#resumeToken;
      this.#resumeToken = undefined; // one try: a refusal is followed by a name prompt
      // The current room last: a server that rejoins the rooms in order leaves it current.
      const points = resumePoints(this.#state).sort(
        (a, b) =>
          Number(sameRoom(a.room, this.#state.current)) - Number(sameRoom(b.room, this.#state.current)),
      );
      for (const p of points) {
        this.#quiet.add(p.room.toLowerCase());
        this.#resumed.add(p.room.toLowerCase());
      }
      this.#phase = "registering";
      return [{ kind: "send", request: { type: "resume", token, rooms: points } }];
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

  #welcomed(event: Extract<ServerEvent, { type: "welcome" }>, before: ClientState): Effect[] {
    const reconnect = this.#registered;
    const sameName = before.self !== undefined && before.self === event.name;
    this.#registered = true;
    this.#phase = "registered";
    const out: Effect[] = [];
    // No banner on a reconnect ("Reconnected" says it), unless we are someone else now.
    if (!reconnect || !sameName) out.push(this.#show(event));
    const prompt = this.#chatPrompt();
    this.#lastPrompt = prompt.kind === "prompt" && prompt.mode === "chat" ? promptKey(prompt) : "";
    out.push(prompt);
    if (reconnect) {
      // A fresh registration enters the rooms in the order listed and leaves the last one
      // current; the lobby comes first, so it must be made current again (quietly).
      const wanted = before.current;
      if (!event.resumed && sameRoom(wanted, LOBBY) && this.#resumed.size > 1) {
        this.#quietCurrent = true;
        out.push({ kind: "send", request: { type: "join", room: wanted } });
      }
      out.push(...this.#resend(sameName, this.#resumed.size > 0));
    }
    out.push(...this.#drain());
    return out;
  }

  /**
   * After a reconnect: what was sent and not confirmed goes again (same cid, same room), or back
   * to the user. `resumed`: the server took our rooms back; otherwise only the lobby is ours.
   */
  #resend(sameName: boolean, resumed: boolean): Effect[] {
    const out: Effect[] = [];
    for (const p of [...this.#outbox]) {
      // The server drops a cid it has logged for this name; a private message it cannot check.
      if (!p.private && sameName && (resumed || sameRoom(p.room, LOBBY))) {
        p.conn = this.#conn;
        out.push({
          kind: "send",
          request: { type: "line", text: p.text, room: p.room, cid: p.cid },
          echoed: true,
        });
        continue;
      }
      this.#outbox.splice(this.#outbox.indexOf(p), 1);
      const line = this.#texts.maybeNotDelivered({ text: p.text });
      out.push(
        { kind: "print", lines: [this.#opts.formatter.status(line)] },
        { kind: "keep", text: p.typed },
      );
    }
    return out;
  }

  #history(event: Extract<ServerEvent, { type: "history" }>, before: ClientState): Effect[] {
    // A page asked for with /history is shown as it is; a join or resume replay only past what
    // this client has shown (a resume that overlaps the screen shows nothing twice).
    const fresh =
      event.kind === "request" ? event.events : event.events.filter((e) => !alreadySeen(before, e));
    const out: Effect[] = [];
    for (const e of fresh)
      if (e.type === "message" || e.type === "action") out.push(...this.#ack(e.from, e.cid, false));
    if (event.kind === "resume") {
      // What was missed continues the screen, as it would have appeared live.
      for (const e of fresh) if (!this.#quietJoin(e)) out.push(this.#show(e));
      out.push(...this.#bell(fresh));
      return out;
    }
    const shown = this.#opts.formatter.event(
      { ...event, events: fresh },
      this.#state.self,
      this.#state.current,
    );
    if (shown.length > 0) out.push({ kind: "print", lines: shown });
    return out;
  }

  #roomEvent(event: RoomEvent, before: ClientState): Effect[] {
    const out: Effect[] =
      event.type === "message" || event.type === "action" ? this.#ack(event.from, event.cid) : [];
    // Already shown (a live event a replay also carried), or our own return after a resume.
    if (alreadySeen(before, event) || this.#quietJoin(event)) return out;
    out.push(this.#show(event), ...this.#bell([event]));
    return out;
  }

  /**
   * One bell when any of these events, shown live (or as the missed part of a resume), is someone
   * else's words naming us; history asked for or shown on joining a room does not ring.
   */
  #bell(events: readonly ServerEvent[]): Effect[] {
    const self = this.#state.self;
    if (self === undefined) return [];
    const named = events.some(
      (e) =>
        (e.type === "message" || e.type === "action" || e.type === "private") &&
        e.from !== self &&
        mentions(e.text, self),
    );
    return named ? [{ kind: "bell" }] : [];
  }

  /**
   * Our own `joined` (json clients get it back, with its seq): the welcome or the `room` event
   * said it already, and after a resume the user never left, as far as they know.
   */
  #quietJoin(e: RoomEvent): boolean {
    return e.type === "joined" && e.name === this.#state.self;
  }

  /**
   * The echo of a line we sent: it is delivered. A live echo also settles the lines sent before
   * it on the same connection: the server answers a connection's lines in order (an echo, or an
   * error such as a flood refusal), so they have had their answer. A replay's does not: lines
   * resent on this connection may still be on their way.
   */
  #ack(from: string, cid: string | undefined, live = true): Effect[] {
    if (cid === undefined || from !== this.#state.self) return [];
    const i = this.#outbox.findIndex((p) => p.cid === cid);
    if (i < 0) return [];
    const p = this.#outbox[i] as Pending;
    this.#outbox = this.#outbox.filter((q, j) => j > i || (j < i && (!live || q.conn !== p.conn)));
    return [{ kind: "acked", typed: p.typed }];
  }

  #chatPrompt(): Effect {
    const self = this.#state.self ?? "";
    const { rooms, current } = this.#state;
    // Someone who never leaves the lobby sees the prompt as before rooms (their name).
    const onlyLobby = sameRoom(current, LOBBY) && rooms.length <= 1;
    return onlyLobby
      ? { kind: "prompt", mode: "chat", self }
      : { kind: "prompt", mode: "chat", self, room: current };
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
        if (line.trim() === "") return [{ kind: "retry" }];
        return this.#enqueue(line);
      default:
        if (isQuit(line)) this.#quitting = true;
        return this.#enqueue(line);
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
    if (this.#phase === "offline") return []; // a `bye` said so already
    this.#phase = "offline";
    return [{ kind: "lost" }];
  }

  #end(code: number): Effect[] {
    this.#phase = "ended";
    // Leaving with lines unsent or unconfirmed: they stay on the screen, marked.
    const lines = [
      ...this.#outbox.map((p) => this.#texts.maybeNotDelivered({ text: p.text })),
      ...this.#queue
        .filter((l) => l.trim() !== "" && !isQuit(l))
        .map((text) => this.#texts.notSent({ text })),
    ];
    this.#outbox = [];
    this.#queue = [];
    const out: Effect[] = lines.map((line) => ({
      kind: "print",
      lines: [this.#opts.formatter.status(line)],
    }));
    return [...out, { kind: "done", code }];
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
    if (!isEchoed(text)) return [{ kind: "send", request: { type: "line", text } }];
    const cid = `${this.#cidPrefix}.${++this.#cids}`;
    this.#outbox.push({
      cid,
      typed: line,
      text,
      room: this.#state.current,
      private: text.startsWith("@"),
      conn: this.#conn,
    });
    return [{ kind: "send", request: { type: "line", text, cid }, echoed: true }];
  }

  #enqueue(line: string): Effect[] {
    if (this.#queue.length < (this.#opts.maxQueued ?? 1000)) {
      this.#queue.push(line);
      return [];
    }
    return [
      { kind: "print", lines: [this.#opts.formatter.status(this.#texts.notSent({ text: line }))] },
      { kind: "keep", text: line },
    ];
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

function promptKey(p: { self: string; room?: string }): string {
  return `${p.self}\n${p.room ?? ""}`;
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
