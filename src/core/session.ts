/**
 * One connection's life: asking for a name, chatting in its rooms, leaving exactly once.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { LANGS, type Lang, parseLang } from "../i18n/index.ts";
import { COMMAND_INFO, findCommand, PRIVATE_USAGE } from "../protocol/commands.ts";
import {
  type Address,
  type ByeReason,
  errorEvent,
  type LeaveReason,
  type RoomEvent,
  type RoomInfo,
  type ServerEvent,
  type UnsequencedRoomEvent,
  type UserInfo,
} from "../protocol/events.ts";
import { type Input, parseInput } from "../protocol/input.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import type { Refusal } from "./admission.ts";
import type { Ban, BanList } from "./bans.ts";
import { COMMAND_HANDLERS } from "./commands.ts";
import type { ChatCounters, TransportName } from "./counters.ts";
import { FloodGate } from "./flood.ts";
import { canonicalName, checkName } from "./nickname.ts";
import type { ChatOptions, LogFn, RoomLimits } from "./options.ts";
import { checkRoomName, type Room } from "./room.ts";
import type { ModeRequest } from "./room-modes.ts";

/** What a transport gives the core for one connection. */
export interface SessionPort {
  /** The peer as `IP:PORT` (IPv6 as `[addr]:port`). */
  readonly remote: string;
  /** True when this connection wants its own public messages back (json mode). */
  readonly echo: boolean;
  /** What the client says of itself, when its protocol has it (IRC USER: username, real name). */
  readonly ident?: { user: string; realname: string };
  send(event: ServerEvent): void;
  /** Flush what was sent, then close. The core has already sent the `bye`. */
  close(): void;
  // Issue 13: read only when the metrics are (never on the hot path); unset: not shown.
  /** What this connection is, for the metrics' `transport` label. */
  readonly transport?: TransportName;
  /** True over TLS (HTTPS for a WebSocket). */
  readonly tls?: boolean;
  /** Bytes waiting to be written to the peer (ours and the socket's). */
  readonly queuedBytes?: number;
  /**
   * Issue 13: the language the texts this connection is sent are rendered in, and switching it
   * (`/lang`). Unset on connections whose client renders its own texts (json, WebSocket).
   */
  readonly lang?: Lang;
  setLang?(lang: Lang): void;
}

/** Where a resuming client was in one room (json `resume`). */
export interface ResumeRoom {
  room: string;
  epoch: string;
  seq: number;
}

/**
 * What a session needs of the chat it belongs to (core/chat.ts implements it). Declared here so
 * the two modules do not import each other.
 */
export interface SessionHost {
  readonly options: ChatOptions;
  readonly limits: RoomLimits;
  readonly store: { readonly epoch: string };
  readonly lobby: Room<Session>;
  readonly online: number;
  /** Issue 13: what the metrics count. */
  readonly counters: ChatCounters;
  log: LogFn;
  /** Why the connection is refused (a connection limit, or a ban on its address), if it is. */
  admit(session: Session): Refusal | Ban | undefined;
  /** Issue 13: the bans in force on this node. */
  readonly bans: BanList;
  admitted(session: Session): void;
  claim(canonical: string, session: Session): boolean;
  release(canonical: string, session: Session): void;
  forget(session: Session): void;
  find(canonical: string): Session | undefined;
  /** The registered session holding this resume nonce (whatever its name is now). */
  findByNonce(nonce: string): Session | undefined;
  bindNonce(nonce: string, session: Session): void;
  unbindNonce(nonce: string, session: Session): void;
  deliver(session: Session, event: ServerEvent): void;
  room(key: string): Room<Session> | undefined;
  roomList(viewer?: Session): RoomInfo[];
  join(session: Session, raw: string, resume?: { epoch: string; seq: number }, key?: string): void;
  setModes(session: Session, room: Room<Session>, requests: readonly ModeRequest[]): void;
  kickFromRoom(session: Session, room: Room<Session>, name: string, text?: string): void;
  invite(session: Session, room: Room<Session>, name: string): void;
  enter(
    session: Session,
    room: Room<Session>,
    opts: { current: boolean; announce: boolean; resume?: { epoch: string; seq: number }; initial?: boolean },
  ): void;
  part(session: Session, room: Room<Session>, tell?: boolean, text?: string): void;
  leaveAll(session: Session, event: { reason: LeaveReason; text?: string }, tell: boolean): void;
  transfer(from: Session, to: Session): Room<Session>[];
  publish(room: Room<Session>, event: UnsequencedRoomEvent): void;
  seen(room: Room<Session>, from: string, cid: string): boolean;
  seenPrivate(from: string, cid: string): boolean;
  history(session: Session, room: Room<Session>, before: number, limit: number, said?: boolean): void;
  tokenFor(name: string, nonce: string): string;
  readToken(token: string): { name: string; nonce: string; expires: number } | "invalid" | "expired";
  newNonce(): string;
}

/**
 * `password`: waiting for the server password (item 8); `checking`: a wrong one was given, the
 * answer is being delayed; `naming`: waiting for a name; `active`: in the chat.
 */
type State = "password" | "checking" | "naming" | "active" | "closed";

export class Session {
  readonly chat: SessionHost;
  readonly port: SessionPort;
  #state: State;
  #name = "";
  #canonical = "";
  /** Binds resume tokens to this session: a token from another session cannot take its place. */
  #nonce = "";
  #info: UserInfo | undefined;
  /** Issue 13: the away message while away ("" when none was given), undefined when here. */
  #away: string | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #passwordTimer: NodeJS.Timeout | undefined;
  readonly #flood: FloodGate | undefined;
  /** The rooms this session is in, in join order. */
  readonly rooms = new Set<Room<Session>>();
  /** Where plain lines go (text users; json lines without a room). */
  current: Room<Session>;
  /**
   * True for a connection that chooses its rooms itself (IRC: a client joins its channels, as on
   * any IRC server): it does not enter the lobby at registration and may leave its last room.
   */
  #roomless = false;
  /** Live events held back per room while that room's history is still being read. */
  #held: Map<Room<Session>, RoomEvent[]> | undefined;

  constructor(chat: SessionHost, port: SessionPort) {
    this.chat = chat;
    this.port = port;
    this.current = chat.lobby;
    this.#state = chat.options.password ? "password" : "naming";
    if (chat.options.flood) this.#flood = new FloodGate(chat.options.flood);
  }

  get name(): string {
    return this.#name;
  }

  get canonical(): string {
    return this.#canonical;
  }

  get registered(): boolean {
    return this.#state === "active";
  }

  get closed(): boolean {
    return this.#state === "closed";
  }

  /** The address others see: null when the operator hides addresses. */
  get shownAddress(): Address {
    return this.chat.options.hideAddresses ? null : this.port.remote;
  }

  /**
   * Who this user is, as the user lists show it: one frozen object per name, so a welcome in a
   * room of N users copies N references rather than making N objects (issue 5: a join storm).
   */
  info(): UserInfo {
    const cached = this.#info;
    if (cached && cached.name === this.#name && cached.away === this.#away) return cached;
    this.#info = Object.freeze({
      name: this.#name,
      address: this.shownAddress,
      ...(this.#away !== undefined ? { away: this.#away } : {}),
    });
    return this.#info;
  }

  /** The away message while away ("" when none was given); undefined when here (issue 13). */
  get away(): string | undefined {
    return this.#away;
  }

  /**
   * `/away [message]` (a string, maybe empty) or `/back` (undefined). The user is told (`away`
   * event); the user lists of their rooms show it from now on.
   */
  setAway(raw: string | undefined): void {
    if (this.#state !== "active") return;
    this.#away = raw === undefined ? undefined : sanitizeText(raw).trim();
    const info = this.info();
    for (const room of this.rooms) if (room.names.has(this.#canonical)) room.names.set(this.#canonical, info);
    this.send({
      type: "away",
      name: this.#name,
      away: this.#away !== undefined,
      ...(this.#away !== undefined ? { text: this.#away } : {}),
      at: Date.now(),
    });
  }

  send(event: ServerEvent): void {
    if (this.#state !== "closed") this.port.send(event);
  }

  // ---- live events held while a room's history is read (resume from the store) -----------

  /** Starts holding live events of `room` for this session. */
  hold(room: Room<Session>): void {
    this.#held ??= new Map();
    this.#held.set(room, []);
  }

  /** True (and keeps the event) when live events of `room` are being held for this session. */
  holding(room: Room<Session>, event: RoomEvent): boolean {
    const held = this.#held?.get(room);
    if (!held) return false;
    held.push(event);
    return true;
  }

  /** Stops holding `room` and sends what `pick` keeps of what was held. */
  release(room: Room<Session>, pick: (held: RoomEvent[]) => RoomEvent[]): void {
    const held = this.#held?.get(room);
    if (!held) return;
    this.#held?.delete(room);
    if (this.#held?.size === 0) this.#held = undefined;
    for (const e of pick(held)) this.send(e);
  }

  // ---- registration -------------------------------------------------------------------------

  /**
   * Admits the connection (ROBUSTNESS D23: one `bye` line and close when over a connection
   * limit), greets and asks for the password or a name (S5) unless the transport greets later
   * itself, and starts the absolute registration deadline: a timer set once, which no traffic can
   * extend (ROBUSTNESS A3). Returns false when the connection was refused.
   */
  start({ greet = true }: { greet?: boolean } = {}): boolean {
    const refused = this.chat.admit(this);
    if (typeof refused === "object") {
      // Issue 13: a banned address gets one line and is closed, before any greeting.
      this.chat.log("info", "refused", { remote: this.port.remote, reason: "banned", ban: refused.shown });
      this.#banned(refused);
      return false;
    }
    if (refused) {
      this.chat.counters.refused(refused);
      this.chat.log("info", "refused", { remote: this.port.remote, reason: refused });
      this.disconnect(refused);
      return false;
    }
    if (greet) this.greet();
    const ms = this.chat.options.registrationTimeoutMs;
    if (ms > 0) {
      this.#deadline = setTimeout(Session.#deadlinePassed, ms, this).unref();
    }
    return true;
  }

  // Static, with the session as argument: no closure per session (issue 5: idle memory).
  static #deadlinePassed(session: Session): void {
    session.#deadline = undefined;
    if (session.#state === "naming" || session.#state === "password")
      session.disconnect("registration_timeout");
  }

  /** Sends `hello` and, while unregistered, the password or name prompt (again after a json `hello`). */
  greet(): void {
    this.send({ type: "hello", protocol: 1, server: this.chat.options.server, online: this.chat.online });
    if (this.#state === "naming") this.send({ type: "prompt", need: "name" });
    else if (this.#state === "password") this.send({ type: "prompt", need: "password" });
  }

  /** A line the user typed (text and legacy modes, json `line`). */
  line(text: string, room?: string, cid?: string): void {
    if (this.#state === "closed" || this.#state === "checking") return;
    const input = parseInput(text);
    if (input.kind === "empty") return;
    const quit = input.kind === "command" && findCommand(input.name)?.name === "quit";
    if (this.#state === "password") return quit ? this.quit() : this.#checkPassword(text);
    if (this.#state === "naming") return quit ? this.quit() : this.register(text.trim());
    this.#dispatch(input, room, cid);
  }

  /** A json `name`: registration while naming, a rename once registered. */
  nameRequest(name: string): void {
    if (this.#state === "closed" || this.#state === "checking") return;
    if (this.#state === "password") this.send({ type: "prompt", need: "password" });
    else if (this.#state === "naming") this.register(name);
    else if (this.#state === "active") this.rename(name);
  }

  /** A json `password` (docs/protocol.md §5); ignored unless the server is asking for one. */
  passwordRequest(password: string): void {
    if (this.#state !== "password") return;
    this.#checkPassword(password);
  }

  /**
   * Item 8: the right password moves on to the name; a wrong one is answered with one `bye
   * bad_password` after `passwordDelayMs` (input is ignored meanwhile), so guessing is slow.
   */
  #checkPassword(given: string): void {
    if (samePassword(given.trim(), (this.chat.options.password ?? "").trim())) {
      this.#state = "naming";
      this.send({ type: "prompt", need: "name" });
      return;
    }
    this.#state = "checking";
    this.chat.counters.refused("bad_password");
    this.chat.log("warn", "bad_password", { remote: this.port.remote });
    this.#passwordTimer = setTimeout(
      () => this.disconnect("bad_password"),
      this.chat.options.passwordDelayMs ?? 2000,
    );
    this.#passwordTimer.unref();
  }

  /**
   * Flood control of this connection (ROBUSTNESS D21, D22; issue 10 item 2). The transport paces
   * every line through it before handing it here, so the session never drops a line itself.
   */
  get flood(): FloodGate | undefined {
    return this.#flood;
  }

  /** S5: takes a name, then enters the lobby (or, resuming, the rooms the client was in). */
  register(
    raw: string,
    resume?: { nonce: string; rooms: readonly ResumeRoom[] },
    { lobby = true }: { lobby?: boolean } = {},
  ): void {
    if (this.#state !== "naming") return;
    const check = checkName(raw, this.chat.options);
    if (!check.ok) {
      this.chat.counters.refused("name_invalid");
      this.send(errorEvent("name_invalid", { reason: check.reason }));
      this.send({ type: "prompt", need: "name" });
      return;
    }
    // Issue 13: a banned name closes the connection (the name rules decide what is the same name).
    const ban = this.chat.bans.name(check.canonical);
    if (ban) return this.#banned(ban, check.name);
    if (!this.chat.claim(check.canonical, this)) {
      this.chat.counters.refused("name_taken");
      this.send(errorEvent("name_taken", { name: check.name }));
      this.send({ type: "prompt", need: "name" });
      return;
    }
    this.#activate(check.name, check.canonical, resume?.nonce ?? this.chat.newNonce());
    this.chat.log("info", "join", { name: this.#name, remote: this.port.remote });
    this.#welcome(false);
    if (!lobby) {
      this.#roomless = true;
      return;
    }
    // S6: the joiner sees their own address and who is online; everyone in the lobby is told.
    const points = new Map((resume?.rooms ?? []).map((r) => [roomKey(r.room, this.chat), r]));
    const lobbyPoint = points.get(this.chat.lobby.key);
    this.chat.enter(this, this.chat.lobby, {
      current: true,
      announce: true,
      initial: true,
      ...(lobbyPoint ? { resume: lobbyPoint } : {}),
    });
    for (const r of resume?.rooms ?? []) {
      if (roomKey(r.room, this.chat) === this.chat.lobby.key) continue;
      this.chat.join(this, r.room, r);
    }
  }

  #activate(name: string, canonical: string, nonce: string): void {
    this.#state = "active";
    this.#name = name;
    this.#canonical = canonical;
    this.#nonce = nonce;
    this.chat.bindNonce(nonce, this);
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    this.chat.admitted(this);
  }

  #welcome(resumed: boolean): void {
    const lobby = this.chat.lobby;
    this.send({
      type: "welcome",
      name: this.#name,
      address: this.shownAddress,
      // Who is in the lobby, the newcomer included (S6: "Online (N)" counts them).
      users: lobby.names.has(this.#canonical) ? lobby.users() : [...lobby.users(), this.info()],
      at: Date.now(),
      room: lobby.name,
      epoch: this.chat.store.epoch,
      // Only clients that can resume (json, WebSocket) get a token; text users have no use for it.
      ...(this.port.echo ? { token: this.chat.tokenFor(this.#name, this.#nonce) } : {}),
      ...(resumed ? { resumed: true } : {}),
    });
  }

  /**
   * A json `resume` (docs/protocol.md §6): takes the token's name back and replays what was missed
   * in each room. If the old connection is still half-open (a ghost), this connection takes its
   * place without anyone seeing a leave or a join; if the name is free it is registered again.
   */
  resumeRequest(token: string, rooms: readonly ResumeRoom[]): void {
    if (this.#state === "closed" || this.#state === "checking") return;
    if (this.#state === "password") return this.send({ type: "prompt", need: "password" });
    if (this.#state !== "naming") return this.send(errorEvent("bad_request", {}));
    const claim = this.chat.readToken(token);
    if (typeof claim === "string") {
      this.send(errorEvent("resume_failed", { reason: claim }));
      this.send({ type: "prompt", need: "name" });
      return;
    }
    // The session the token was given to, found by its nonce: it may have renamed since (/nick).
    const ghost = this.chat.findByNonce(claim.nonce);
    if (!ghost) {
      const check = checkName(claim.name, this.chat.options);
      if (check.ok && this.chat.find(check.canonical)) {
        this.send(errorEvent("resume_failed", { reason: "taken" }));
        this.send({ type: "prompt", need: "name" });
        return;
      }
      return this.register(claim.name, { nonce: claim.nonce, rooms });
    }
    // The ghost's name, rooms and current room become this session's.
    const points = new Map(rooms.map((r) => [roomKey(r.room, this.chat), r]));
    const current = ghost.current;
    // Named first, so the user lists the transfer fills show this session under its name.
    this.#activate(ghost.#name, ghost.#canonical, ghost.#nonce);
    const moved = this.chat.transfer(ghost, this);
    ghost.#replaced();
    this.chat.log("info", "resume", { name: this.#name, remote: this.port.remote });
    this.#welcome(true);
    for (const room of moved) {
      const point = points.get(room.key);
      this.chat.enter(this, room, {
        current: room === current,
        announce: false,
        ...(point ? { resume: point } : {}),
      });
    }
    this.current = current;
  }

  /** This session's connection was taken over by a resume: it goes quietly. */
  #replaced(): void {
    if (this.#state === "closed") return;
    this.port.send({ type: "bye", reason: "replaced", at: Date.now() });
    this.#state = "closed";
    this.chat.counters.disconnected("replaced");
    this.rooms.clear();
    clearTimeout(this.#deadline);
    clearTimeout(this.#passwordTimer);
    this.chat.forget(this);
    this.port.close();
  }

  // ---- commands -------------------------------------------------------------------------------

  #dispatch(input: Input, room?: string, cid?: string): void {
    switch (input.kind) {
      case "empty":
        return;
      case "say":
        return this.say(input.text, room, cid);
      case "private":
        return this.whisper(input.to, input.text, cid);
      case "command": {
        const command = findCommand(input.name);
        // B11: the command is echoed back to its sender, so it is made terminal-safe like the rest.
        if (!command)
          return this.send(errorEvent("unknown_command", { command: sanitizeText(`/${input.name}`) }));
        if (command.needsArgs && input.args.length === 0)
          return this.send(errorEvent("usage", { command: command.name, usage: command.usage }));
        return COMMAND_HANDLERS[command.name](this, input.args, room, cid);
      }
      default: {
        const never: never = input;
        return never;
      }
    }
  }

  /** The room a request names (a json `room` field), or the current one; undefined after an error. */
  target(raw: string | undefined): Room<Session> | undefined {
    if ((raw === undefined || raw === "") && (!this.#roomless || this.rooms.has(this.current)))
      return this.current;
    if (raw === undefined || raw === "") {
      this.send(errorEvent("not_in_room", { room: this.current.name }));
      return undefined;
    }
    const key = roomKey(raw, this.chat);
    const room = key === undefined ? undefined : this.chat.room(key);
    if (!room || !this.rooms.has(room)) {
      this.send(errorEvent("not_in_room", { room: sanitizeText(raw) }));
      return undefined;
    }
    return room;
  }

  /** S7: a public message to the room, labelled with the sender's name. */
  say(raw: string, roomName?: string, cid?: string, notice = false): void {
    const text = sanitizeText(raw).trim();
    if (!text) return;
    const room = this.#open(roomName) ?? this.target(roomName);
    if (!room) return;
    if (!room.loaded) return this.#later(room, () => this.say(raw, room.name, cid, notice));
    if (!this.#mayTalk(room)) return;
    // A client that resends after a reconnect (same cid) is not posted twice (issue 10 item 3).
    if (cid !== undefined && this.chat.seen(room, this.#name, cid)) return;
    this.chat.counters.publicMessages++;
    if (this.chat.options.logMessages)
      this.chat.log("info", "message", { room: room.name, from: this.#name, text });
    // The usual message has neither a cid nor the notice flag: one plain literal (no spreads).
    this.chat.publish(
      room,
      cid === undefined && !notice
        ? { type: "message", room: room.name, from: this.#name, text, at: Date.now() }
        : {
            type: "message",
            room: room.name,
            from: this.#name,
            text,
            ...(cid !== undefined ? { cid } : {}),
            ...(notice ? { notice: true as const } : {}),
            at: Date.now(),
          },
    );
  }

  /** S8: `@name text` to that user only (seed 004 RF6-RF7); private messages have no room. */
  whisper(to: string, raw: string, cid?: string, notice = false): void {
    const text = sanitizeText(raw).trim();
    if (!to || !text) return this.send(errorEvent("private_missing_text", { usage: PRIVATE_USAGE }));
    const target = this.chat.find(canonicalName(to));
    // S8: no private message to yourself (seed 004 RF7).
    if (target === this) return this.send(errorEvent("private_self", {}));
    if (!target) return this.send(errorEvent("unknown_user", { name: sanitizeText(to) }));
    if (this.chat.options.logMessages)
      this.chat.log("info", "private", { from: this.#name, to: target.name, text });
    const event: ServerEvent = {
      type: "private",
      from: this.#name,
      to: target.name,
      text,
      at: Date.now(),
      ...(cid !== undefined ? { cid } : {}),
      ...(notice ? { notice: true as const } : {}),
    };
    // A client that resends after a reconnect (same cid) does not deliver it twice; its copy is
    // its acknowledgement, so it gets that again (private messages have no log to replay it from).
    if (cid === undefined || !this.chat.seenPrivate(this.#name, cid)) {
      this.chat.counters.privateMessages++;
      this.chat.deliver(target, event);
    }
    this.send(event);
    // Issue 13: the sender learns the target is away (never in answer to a notice: no auto-replies).
    const away = target.away;
    if (away !== undefined && !notice)
      this.send({ type: "away", name: target.name, away: true, text: away, at: Date.now() });
  }

  action(raw: string, roomName?: string, cid?: string): void {
    const text = sanitizeText(raw).trim();
    if (!text) return this.send(errorEvent("usage", { command: "me", usage: "/me TEXT" }));
    const room = this.target(roomName);
    if (!room) return;
    if (!room.loaded) return this.#later(room, () => this.action(raw, room.name, cid));
    if (!this.#mayTalk(room)) return;
    if (cid !== undefined && this.chat.seen(room, this.#name, cid)) return;
    this.chat.counters.actions++;
    this.chat.publish(room, {
      type: "action",
      room: room.name,
      from: this.#name,
      text,
      ...(cid !== undefined ? { cid } : {}),
      at: Date.now(),
    });
  }

  rename(raw: string): void {
    const check = checkName(raw.trim(), this.chat.options);
    const counters = this.chat.counters;
    if (!check.ok) {
      counters.refused("name_invalid");
      return this.send(errorEvent("name_invalid", { reason: check.reason }));
    }
    if (check.name === this.#name) return;
    const ban = this.chat.bans.name(check.canonical);
    if (ban) return this.#banned(ban, check.name);
    // C20: name changes have their own, slower bucket, so others never see a flood of notices.
    const wait = this.#flood?.renameWait() ?? 0;
    if (wait > 0) {
      counters.refused("flood");
      return this.send(errorEvent("flood", { retryMs: wait }));
    }
    if (!this.chat.claim(check.canonical, this)) {
      counters.refused("name_taken");
      return this.send(errorEvent("name_taken", { name: check.name }));
    }
    this.#flood?.renamed();
    if (check.canonical !== this.#canonical) this.chat.release(this.#canonical, this);
    const from = this.#name;
    this.#name = check.name;
    this.#canonical = check.canonical;
    this.chat.log("info", "rename", { from, to: this.#name, remote: this.port.remote });
    // Each room the user is in logs the rename once; its members see it there.
    for (const room of this.rooms)
      this.chat.publish(room, { type: "renamed", room: room.name, from, to: this.#name, at: Date.now() });
  }

  /** `/users [#room]`: who is in the current room (or the one named). */
  listUsers(roomName?: string): void {
    const room = this.target(roomName);
    if (!room) return;
    this.send({ type: "users", users: room.users(), room: room.name });
  }

  /** `/join #room [key]` */
  join(raw: string, key?: string): void {
    this.chat.join(this, raw, undefined, key);
  }

  /** A room one is not in that takes messages from outside (`-n`), by name. */
  #open(raw: string | undefined): Room<Session> | undefined {
    if (!raw) return undefined;
    const key = roomKey(raw, this.chat);
    const room = key === undefined ? undefined : this.chat.room(key);
    return room && !this.rooms.has(room) && !room.modes.noExternal && room.names.size > 0 ? room : undefined;
  }

  /**
   * Issue 12: in a room still loading (a cluster node that had not seen it, joined a moment ago:
   * the join is checked against the room's modes once it is loaded), what one does waits for it
   * too, in order, and is then checked as usual. Callers test `room.loaded` first, so the
   * message path makes no closure.
   */
  #later(room: Room<Session>, redo: () => void): void {
    room.waiting.push(() => {
      if (!this.closed) redo();
    });
  }

  /** A moderated room (`+m`) hears only its operators and voiced members. */
  #mayTalk(room: Room<Session>): boolean {
    const m = room.modes;
    if (!m.moderated || m.ops.has(this.#canonical) || m.voiced.has(this.#canonical)) return true;
    this.send(errorEvent("room_moderated", { room: room.name }));
    return false;
  }

  /** Room operators (room-modes.ts): changes the modes of a room one is in. */
  setModes(roomName: string, requests: readonly ModeRequest[]): void {
    const room = this.target(roomName);
    if (!room) return;
    if (!room.loaded) return this.#later(room, () => this.setModes(room.name, requests));
    this.chat.setModes(this, room, requests);
  }

  /** Room operators: removes `name` from a room (not from the chat). */
  kickFromRoom(roomName: string, name: string, reason?: string): void {
    const room = this.target(roomName);
    const text = reason === undefined ? undefined : sanitizeText(reason).trim() || undefined;
    if (!room) return;
    if (!room.loaded) return this.#later(room, () => this.kickFromRoom(room.name, name, reason));
    this.chat.kickFromRoom(this, room, name, text);
  }

  /** Invites `name` to a room one is in. */
  invite(name: string, roomName: string): void {
    const room = this.target(roomName);
    if (!room) return;
    if (!room.loaded) return this.#later(room, () => this.invite(name, room.name));
    this.chat.invite(this, room, name);
  }

  /** `/part [#room]`: leaves the room (the current one by default). The lobby is left last. */
  part(raw?: string, reason?: string): void {
    const room = this.target(raw);
    if (!room) return;
    if (this.rooms.size <= 1 && !this.#roomless) return this.send(errorEvent("lobby_part", {}));
    const text = reason === undefined ? undefined : sanitizeText(reason).trim() || undefined;
    this.chat.part(this, room, true, text);
    this.send({ type: "parted", room: room.name, current: this.current.name });
  }

  listRooms(): void {
    this.send({ type: "rooms", rooms: this.chat.roomList(this) });
  }

  /**
   * `/history [N]` (`said`: the last N things said in the current room) and json `history` (the
   * last N events, or older ones before `before`).
   */
  showHistory(count: number, roomName?: string, before?: number, said = false): void {
    const room = this.target(roomName);
    if (!room) return;
    const n = Number.isFinite(count) && count > 0 ? Math.floor(count) : this.chat.limits.historyOnJoin;
    this.chat.history(this, room, before ?? Number.MAX_SAFE_INTEGER, n, said);
  }

  /** `/topic [text]`: shows the topic, or sets it (any member may). */
  topic(raw: string, roomName?: string, clear = false): void {
    const room = this.target(roomName);
    if (!room) return;
    if (!room.loaded) return this.#later(room, () => this.topic(raw, room.name, clear));
    const text = sanitizeText(raw).trim();
    // `clear` (IRC `TOPIC #room :`): an empty text removes the topic instead of showing it.
    if (!text && !clear) {
      this.send({
        type: "room",
        room: room.name,
        users: room.users(),
        ...(room.topic ? { topic: room.topic } : {}),
        epoch: this.chat.store.epoch,
        seq: room.head,
        current: room === this.current,
        query: true,
      });
      return;
    }
    // A topic lock (`+t`) leaves the topic to the room's operators.
    if (room.modes.topicLock && !room.modes.ops.has(this.#canonical))
      return this.send(errorEvent("not_room_operator", { room: room.name }));
    this.chat.publish(room, { type: "topic", room: room.name, by: this.#name, topic: text, at: Date.now() });
  }

  help(): void {
    this.send({ type: "help", commands: [...COMMAND_INFO] });
  }

  /** The language chosen with `/lang` on a connection that renders none (json, WebSocket). */
  #lang: Lang | undefined;

  /**
   * `/lang [LANG]` (issue 13): shows or switches the language of this connection's texts. The
   * answer is rendered after the switch, so it reads in the new language.
   */
  language(raw: string): void {
    const langs = [...LANGS];
    const arg = sanitizeText(raw).trim();
    const current = this.port.lang ?? this.#lang ?? this.chat.options.lang ?? "en";
    if (!arg) return this.send({ type: "lang", lang: current, langs, changed: false });
    const lang = parseLang(arg);
    if (!lang) return this.send(errorEvent("lang_unknown", { lang: arg, langs }));
    if (this.port.setLang) this.port.setLang(lang);
    else this.#lang = lang;
    this.send({ type: "lang", lang, langs, changed: true });
  }

  // ---- leaving ------------------------------------------------------------------------------

  /** S9: the user leaves; everyone is told once, then the connection closes. */
  quit(reason?: string): void {
    const text = reason ? sanitizeText(reason).trim() || undefined : undefined;
    this.disconnect("quit", text);
  }

  /** Issue 13: closes the connection a ban covers (`name`: the banned name it asked for). */
  #banned(ban: Ban, name?: string): void {
    if (!this.registered) this.chat.counters.refused("banned");
    if (name !== undefined)
      this.chat.log("info", "refused", { remote: this.port.remote, reason: "banned", name, ban: ban.shown });
    this.disconnect("banned", ban.reason, ban.until);
  }

  /**
   * The server closes this connection: says why (`bye`), leaves the rooms, closes. `until`: when a
   * ban ends (issue 13).
   */
  disconnect(reason: ByeReason, text?: string, until?: number): void {
    if (this.#state === "closed") return;
    this.port.send({
      type: "bye",
      reason,
      ...(text ? { text } : {}),
      ...(until !== undefined ? { until } : {}),
      at: Date.now(),
    });
    // Others see a ban as the operator removing someone (with the reason), as for /kick.
    const removed = reason === "kicked" || reason === "banned";
    const leave: LeaveReason = reason === "quit" ? "quit" : removed ? "kicked" : "error";
    // On shutdown everyone is leaving at once: n departures told to n others would be n² events.
    const tell = reason !== "shutdown";
    this.#leave(leave, reason === "quit" || removed ? text : undefined, reason, tell);
    this.port.close();
  }

  /** The transport lost the connection (closed, reset, failed write). Idempotent (S10). */
  lost(reason: LeaveReason = "disconnected"): void {
    this.#leave(reason);
  }

  /** Sending to this session threw (ROBUSTNESS E27): it leaves, and its connection is cut. */
  fail(): void {
    this.#leave("error");
    try {
      this.port.close();
    } catch {
      // The port is already broken; the session is gone either way.
    }
  }

  /** Leaves exactly once, whatever the path; frees the name at once (S10, ROBUSTNESS C19). */
  #leave(reason: LeaveReason, text?: string, why?: string, tell = true): void {
    if (this.#state === "closed") return;
    const wasActive = this.#state === "active";
    this.#state = "closed";
    this.chat.counters.disconnected(why ?? reason);
    clearTimeout(this.#deadline);
    clearTimeout(this.#passwordTimer);
    this.#held = undefined;
    this.chat.forget(this);
    if (!wasActive) return;
    this.chat.release(this.#canonical, this);
    this.chat.unbindNonce(this.#nonce, this);
    this.chat.log("info", "leave", { name: this.#name, remote: this.port.remote, reason: why ?? reason });
    // A disconnect tells each room once.
    this.chat.leaveAll(this, { reason, ...(text ? { text } : {}) }, tell);
  }
}

/** The canonical key of a room name, or undefined when it is not a valid room name. */
function roomKey(raw: string, chat: SessionHost): string | undefined {
  const check = checkRoomName(raw, chat.limits.maxRoomNameLength);
  // A mixed-script spelling names the room it is confusable with (`/part #gеral`).
  return check.key;
}

/** Compares passwords in constant time (digests first, so lengths do not leak either). */
function samePassword(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
