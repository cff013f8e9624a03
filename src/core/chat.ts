/**
 * The room: who is connected, who is registered under which name, and fan-out. No I/O here
 * ("This package should not know anything about sockets" — ssh-chat); transports hand the core a
 * SessionPort per connection.
 */
import { Admission, type AdmissionLimits, type Refusal, type Ticket } from "./admission.ts";
import type { ServerEvent, UserInfo } from "./events.ts";
import type { FloodLimits } from "./flood.ts";
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
  /** The server password (`--password`); unset or empty: none is asked for. */
  password?: string;
  /** Milliseconds before a wrong password is answered, against guessing (default 2000). */
  passwordDelayMs?: number;
  /** Flood control per connection (ROBUSTNESS C20, D21, D22); unset: none. */
  flood?: FloodLimits;
  /** Connection limits shared by every transport (ROBUSTNESS D23); unset: everyone is admitted. */
  admission?: AdmissionLimits;
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
  readonly #admission: Admission | undefined;
  /** Admitted sessions and what they count against. */
  readonly #tickets = new Map<Session, Ticket>();

  constructor(options: ChatOptions, log: LogFn = () => {}) {
    this.options = options;
    this.log = log;
    if (options.admission) this.#admission = new Admission(options.admission);
  }

  /**
   * Counts a new session against the connection limits (ROBUSTNESS D23); `Session.start` calls it.
   * Returns why the connection is refused, or undefined when it is admitted.
   */
  admit(session: Session): Refusal | undefined {
    if (!this.#admission || this.#tickets.has(session)) return undefined;
    const result = this.#admission.admit(session.port.remote);
    if (typeof result === "string") return result;
    this.#tickets.set(session, result);
    return undefined;
  }

  /** The session chose a name: it leaves the per-address count of unregistered connections. */
  admitted(session: Session): void {
    const ticket = this.#tickets.get(session);
    if (ticket) this.#admission?.registered(ticket);
  }

  /** Per-address records held by the connection limits (tests: churn must not grow it). */
  get trackedAddresses(): number {
    return this.#admission?.tracked ?? 0;
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
    return Array.from(this.#members.values(), (s) => s.info());
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
    const ticket = this.#tickets.get(session);
    if (ticket) {
      this.#tickets.delete(session);
      this.#admission?.release(ticket);
    }
  }

  /**
   * Sends one event to one session; a transport that throws costs that session its connection,
   * never the sender or the rest of a broadcast (ROBUSTNESS E27).
   */
  deliver(session: Session, event: ServerEvent): void {
    try {
      session.send(event);
    } catch (err) {
      this.log("error", "send_failed", {
        remote: session.port.remote,
        name: session.name || undefined,
        error: String((err as Error)?.message ?? err),
      });
      session.fail();
    }
  }

  /**
   * Sends one event object to every registered member (but `except`). The same object goes to
   * everyone, so a transport can encode it once and reuse the bytes (DESIGN: encode once).
   */
  broadcast(event: ServerEvent, except?: Session): void {
    for (const s of this.#members.values()) if (s !== except) this.deliver(s, event);
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
