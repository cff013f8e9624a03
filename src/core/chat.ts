/**
 * The room: who is connected, who is registered under which name, and fan-out. No I/O here
 * ("This package should not know anything about sockets" — ssh-chat); transports hand the core a
 * SessionPort per connection.
 */
import type { ServerEvent, UserInfo } from "./events.ts";
import { Session, type SessionPort } from "./session.ts";

export interface ChatOptions {
  /** `papo/VERSION`, sent in `hello`. */
  server: string;
  /** Hide IP:port from other users (`--hide-addresses`). */
  hideAddresses: boolean;
  /** Longest name, in code points. */
  maxNameLength: number;
  /** Milliseconds a connection may take to choose a name (absolute, not reset by traffic). */
  registrationTimeoutMs: number;
  /** Log message content (off by default: the operator must ask). */
  logMessages: boolean;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
/** Structured log sink: an event name and fields. The server layer formats and sanitises. */
export type LogFn = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void;

export class Chat {
  readonly options: ChatOptions;
  readonly log: LogFn;
  /** Registered sessions by canonical name. */
  readonly #members = new Map<string, Session>();
  /** Every open session, registered or not. */
  readonly #sessions = new Set<Session>();

  constructor(options: ChatOptions, log: LogFn = () => {}) {
    this.options = options;
    this.log = log;
  }

  /** A new connection: the transport calls this, then `session.start()`. */
  open(port: SessionPort): Session {
    const session = new Session(this, port);
    this.#sessions.add(session);
    return session;
  }

  get online(): number {
    return this.#members.size;
  }

  get connections(): number {
    return this.#sessions.size;
  }

  /** Registered sessions, in join order. */
  members(): IterableIterator<Session> {
    return this.#members.values();
  }

  users(): UserInfo[] {
    return [...this.#members.values()].map((s) => s.info());
  }

  find(canonical: string): Session | undefined {
    return this.#members.get(canonical);
  }

  /**
   * Claims `canonical` for `session`: check and insert in one synchronous step, so two clients
   * racing for one name can never both win (ROBUSTNESS C18).
   */
  claim(canonical: string, session: Session): boolean {
    const holder = this.#members.get(canonical);
    if (holder && holder !== session) return false;
    this.#members.set(canonical, session);
    return true;
  }

  /** Frees a name, if `session` still holds it. */
  release(canonical: string, session: Session): void {
    if (this.#members.get(canonical) === session) this.#members.delete(canonical);
  }

  /** The transport's session is gone for good. */
  forget(session: Session): void {
    this.#sessions.delete(session);
  }

  /**
   * Sends one event object to every registered member (but `except`). The same object goes to
   * everyone, so a transport can encode it once and reuse the bytes (DESIGN: encode once).
   */
  broadcast(event: ServerEvent, except?: Session): void {
    for (const s of this.#members.values()) if (s !== except) s.send(event);
  }

  /** Operator: a notice to everyone registered. */
  announce(text: string): void {
    this.broadcast({ type: "notice", code: "announce", params: { text }, at: Date.now() });
  }

  /** Operator: removes a user; false when nobody has that name. */
  kick(canonical: string, reason?: string): boolean {
    const s = this.#members.get(canonical);
    if (!s) return false;
    s.disconnect("kicked", reason);
    return true;
  }

  /** Tells every connection the server is going away, and closes them. */
  shutdown(reason?: string): void {
    for (const s of [...this.#sessions]) s.disconnect("shutdown", reason);
  }
}
