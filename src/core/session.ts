/**
 * One connection's life in the room: asking for a name, chatting, leaving exactly once.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { type Input, parseInput } from "../protocol/input.ts";
import type { Chat } from "./chat.ts";
import { COMMAND_INFO, findCommand, PRIVATE_USAGE } from "./commands.ts";
import {
  type Address,
  type ByeReason,
  errorEvent,
  type LeaveReason,
  type ServerEvent,
  type UserInfo,
} from "./events.ts";
import { FloodGate } from "./flood.ts";
import { canonicalName, checkName } from "./nickname.ts";
import { sanitizeText } from "./sanitize.ts";

/** What a transport gives the core for one connection. */
export interface SessionPort {
  /** The peer as `IP:PORT` (IPv6 as `[addr]:port`). */
  readonly remote: string;
  /** True when this connection wants its own public messages back (json mode). */
  readonly echo: boolean;
  send(event: ServerEvent): void;
  /** Flush what was sent, then close. The core has already sent the `bye`. */
  close(): void;
}

/**
 * `password`: waiting for the server password (item 8); `checking`: a wrong one was given, the
 * answer is being delayed; `naming`: waiting for a name; `active`: in the room.
 */
type State = "password" | "checking" | "naming" | "active" | "closed";

export class Session {
  readonly chat: Chat;
  readonly port: SessionPort;
  #state: State;
  #name = "";
  #canonical = "";
  #info: UserInfo | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #passwordTimer: NodeJS.Timeout | undefined;
  readonly #flood: FloodGate | undefined;

  constructor(chat: Chat, port: SessionPort) {
    this.chat = chat;
    this.port = port;
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
    if (cached && cached.name === this.#name) return cached;
    this.#info = Object.freeze({ name: this.#name, address: this.shownAddress });
    return this.#info;
  }

  send(event: ServerEvent): void {
    if (this.#state !== "closed") this.port.send(event);
  }

  /**
   * Admits the connection (ROBUSTNESS D23: one `bye` line and close when over a connection
   * limit), greets and asks for the password or a name (S5) unless the transport greets later
   * itself, and starts the absolute registration deadline: a timer set once, which no traffic can
   * extend (ROBUSTNESS A3). Returns false when the connection was refused.
   */
  start({ greet = true }: { greet?: boolean } = {}): boolean {
    const refused = this.chat.admit(this);
    if (refused) {
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
  line(text: string): void {
    if (this.#state === "closed" || this.#state === "checking") return;
    const input = parseInput(text);
    if (input.kind === "empty") return;
    const quit = input.kind === "command" && findCommand(input.name)?.name === "quit";
    // D21: every line but /quit spends a flood token, whatever it is (names, commands, messages).
    if (!quit && !this.allowLine()) return;
    if (this.#state === "password") return quit ? this.quit() : this.#checkPassword(text);
    if (this.#state === "naming") return quit ? this.quit() : this.register(text.trim());
    this.#dispatch(input);
  }

  /** A json `name`: registration while naming, a rename once registered. */
  nameRequest(name: string): void {
    if (this.#state === "closed" || this.#state === "checking") return;
    if (!this.allowLine()) return;
    if (this.#state === "password") this.send({ type: "prompt", need: "password" });
    else if (this.#state === "naming") this.register(name);
    else if (this.#state === "active") this.rename(name);
  }

  /** A json `password` (docs/protocol.md §5); ignored unless the server is asking for one. */
  passwordRequest(password: string): void {
    if (this.#state !== "password") return;
    if (!this.allowLine()) return;
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
    this.chat.log("warn", "bad_password", { remote: this.port.remote });
    this.#passwordTimer = setTimeout(
      () => this.disconnect("bad_password"),
      this.chat.options.passwordDelayMs ?? 2000,
    );
    this.#passwordTimer.unref();
  }

  /**
   * Flood control (ROBUSTNESS D21, D22): spends a token for one line; false when the line must be
   * dropped (the sender has been told once, or disconnected as a repeat offender). Transports call
   * it for lines they drop themselves (too long, invalid UTF-8, bad JSON) before answering them.
   */
  allowLine(): boolean {
    if (!this.#flood) return true;
    const verdict = this.#flood.line();
    if (verdict.kind === "ok") return true;
    if (verdict.kind === "kick") {
      this.chat.log("warn", "flood", { remote: this.port.remote, name: this.#name || undefined });
      this.disconnect("flood");
    } else if (verdict.notify) {
      // One notice per burst of refused lines, to the sender only: no notice flood back at them.
      this.send(errorEvent("flood", { retryMs: verdict.retryMs }));
    }
    return false;
  }

  register(raw: string): void {
    if (this.#state !== "naming") return;
    const check = checkName(raw, this.chat.options);
    if (!check.ok) {
      this.send(errorEvent("name_invalid", { reason: check.reason }));
      this.send({ type: "prompt", need: "name" });
      return;
    }
    if (!this.chat.claim(check.canonical, this)) {
      this.send(errorEvent("name_taken", { name: check.name }));
      this.send({ type: "prompt", need: "name" });
      return;
    }
    this.#state = "active";
    this.#name = check.name;
    this.#canonical = check.canonical;
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    this.chat.admitted(this);
    const at = Date.now();
    this.chat.log("info", "join", { name: this.#name, remote: this.port.remote });
    // S6: the joiner sees their own address and who is online; everyone else is told.
    this.send({
      type: "welcome",
      name: this.#name,
      address: this.shownAddress,
      users: this.chat.users(),
      at,
    });
    this.chat.broadcast({ type: "joined", name: this.#name, address: this.shownAddress, at }, this);
  }

  #dispatch(input: Input): void {
    switch (input.kind) {
      case "empty":
        return;
      case "say":
        return this.say(input.text);
      case "private":
        return this.whisper(input.to, input.text);
      case "command": {
        const command = findCommand(input.name);
        // B11: the command is echoed back to its sender, so it is made terminal-safe like the rest.
        if (!command)
          return this.send(errorEvent("unknown_command", { command: sanitizeText(`/${input.name}`) }));
        if (command.needsArgs && input.args.length === 0)
          return this.send(errorEvent("usage", { command: command.name, usage: command.usage }));
        return command.run(this, input.args);
      }
      default: {
        const never: never = input;
        return never;
      }
    }
  }

  /** S7: a public message to everyone else, labelled with the sender's name. */
  say(raw: string): void {
    const text = sanitizeText(raw).trim();
    if (!text) return;
    if (this.chat.options.logMessages) this.chat.log("info", "message", { from: this.#name, text });
    const event: ServerEvent = { type: "message", from: this.#name, text, at: Date.now() };
    this.chat.broadcast(event, this.port.echo ? undefined : this);
  }

  /** S8: `@name text` to that user only (seed 004 RF6-RF7). */
  whisper(to: string, raw: string): void {
    const text = sanitizeText(raw).trim();
    if (!to || !text) return this.send(errorEvent("private_missing_text", { usage: PRIVATE_USAGE }));
    const target = this.chat.find(canonicalName(to));
    // S8: no private message to yourself (seed 004 RF7).
    if (target === this) return this.send(errorEvent("private_self", {}));
    if (!target) return this.send(errorEvent("unknown_user", { name: sanitizeText(to) }));
    if (this.chat.options.logMessages)
      this.chat.log("info", "private", { from: this.#name, to: target.name, text });
    const event: ServerEvent = { type: "private", from: this.#name, to: target.name, text, at: Date.now() };
    this.chat.deliver(target, event);
    this.send(event);
  }

  action(raw: string): void {
    const text = sanitizeText(raw).trim();
    if (!text) return this.send(errorEvent("usage", { command: "me", usage: "/me TEXT" }));
    this.chat.broadcast({ type: "action", from: this.#name, text, at: Date.now() });
  }

  rename(raw: string): void {
    const check = checkName(raw.trim(), this.chat.options);
    if (!check.ok) return this.send(errorEvent("name_invalid", { reason: check.reason }));
    if (check.name === this.#name) return;
    // C20: name changes have their own, slower bucket, so others never see a flood of notices.
    const wait = this.#flood?.renameWait() ?? 0;
    if (wait > 0) return this.send(errorEvent("flood", { retryMs: wait }));
    if (!this.chat.claim(check.canonical, this))
      return this.send(errorEvent("name_taken", { name: check.name }));
    this.#flood?.renamed();
    if (check.canonical !== this.#canonical) this.chat.release(this.#canonical, this);
    const from = this.#name;
    this.#name = check.name;
    this.#canonical = check.canonical;
    this.chat.log("info", "rename", { from, to: this.#name, remote: this.port.remote });
    this.chat.broadcast({ type: "renamed", from, to: this.#name, at: Date.now() });
  }

  listUsers(): void {
    this.send({ type: "users", users: this.chat.users() });
  }

  help(): void {
    this.send({ type: "help", commands: [...COMMAND_INFO] });
  }

  /** S9: the user leaves; everyone is told once, then the connection closes. */
  quit(reason?: string): void {
    const text = reason ? sanitizeText(reason).trim() || undefined : undefined;
    this.disconnect("quit", text);
  }

  /** The server closes this connection: says why (`bye`), leaves the room, closes. */
  disconnect(reason: ByeReason, text?: string): void {
    if (this.#state === "closed") return;
    this.port.send({ type: "bye", reason, ...(text ? { text } : {}), at: Date.now() });
    const leave: LeaveReason = reason === "quit" ? "quit" : reason === "kicked" ? "kicked" : "error";
    // On shutdown everyone is leaving at once: n departures told to n others would be n² events.
    const tell = reason !== "shutdown";
    this.#leave(leave, reason === "quit" || reason === "kicked" ? text : undefined, reason, tell);
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
    clearTimeout(this.#deadline);
    clearTimeout(this.#passwordTimer);
    this.chat.forget(this);
    if (!wasActive) return;
    this.chat.release(this.#canonical, this);
    this.chat.log("info", "leave", { name: this.#name, remote: this.port.remote, reason: why ?? reason });
    if (tell)
      this.chat.broadcast({
        type: "left",
        name: this.#name,
        reason,
        ...(text ? { text } : {}),
        at: Date.now(),
      });
  }
}

/** Compares passwords in constant time (digests first, so lengths do not leak either). */
function samePassword(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
