/**
 * The browser client's brain, without DOM or Preact: one WebSocket to `/ws` speaking the json
 * schema (docs/protocol.md §5, §7), the state the page shows, reconnection with back-off (S12).
 * The socket and the clock are injected, so this runs under node:test with a fake socket.
 */
import type { ByeReason, ErrorEvent, ServerEvent, UserInfo } from "../../protocol/events.ts";

/** What the client needs of a socket; `connect` must call the callbacks asynchronously. */
export interface Link {
  send(data: string): void;
  close(): void;
}

export type Connect = (url: string, on: { open(): void; message(data: string): void; close(): void }) => Link;

/** A dialog over the page. `retryAt` is when the next attempt starts, null while one runs. */
export type Dialog =
  | { kind: "unreachable" | "lost"; retryAt: number | null }
  | { kind: "shutdown"; text?: string }
  | { kind: "closed"; reason: ByeReason; text?: string };

export type ItemKind =
  | "message"
  | "own"
  | "action"
  | "private"
  | "join"
  | "leave"
  | "system"
  | "announce"
  | "error"
  | "reconnected";

/** One entry of the message pane; the page renders `event` in the current language. */
export interface Item {
  id: number;
  kind: ItemKind;
  at: number | null;
  event: ServerEvent | null;
}

export interface ClientState {
  screen: "name" | "chat";
  link: "idle" | "connecting" | "open";
  dialog: Dialog | null;
  /** Registered users, from the server's last `hello`. */
  online: number | null;
  /** A name was sent and neither `welcome` nor a refusal has come back yet. */
  joining: boolean;
  /** Why the last name was refused (S5), shown on the name screen. */
  nameError: ErrorEvent | null;
  /** The server asks for a password before the name (`papo serve --password`). */
  needPassword: boolean;
  /** The last password given was wrong. */
  passwordRefused: boolean;
  me: string | null;
  address: string | null;
  users: UserInfo[];
  items: Item[];
  /** Messages received while the tab was hidden. */
  unread: number;
  /**
   * Issue 10 item 2: the server is sending a long paste slowly (flood control): how many of our
   * messages wait, and when (this client's clock) the last should be out. Null when none waits.
   */
  throttled: { queued: number; until: number } | null;
}

export interface ClientOptions {
  url: string;
  connect: Connect;
  isHidden(): boolean;
  now?(): number;
  /** Milliseconds between json pings while connected; a pong must come within `pongTimeoutMs`. */
  pingMs?: number;
  pongTimeoutMs?: number;
}

/** Keeps the pane bounded however long the tab stays open. */
export const MAX_ITEMS = 500;

/** Delay before reconnection attempt `attempt` (0-based): 0.5 s doubling up to 15 s, ±20 %. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(500 * 2 ** attempt, 15_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * The WebSocket URL beside the page: `ws` relative to it (so a reverse proxy may serve papo under
 * a sub-path), ws: for an http: page and wss: for https:.
 */
export function socketUrl(pageHref: string): string {
  const url = new URL("ws", pageHref);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.search = "";
  url.hash = "";
  return url.href;
}

const INITIAL: ClientState = {
  screen: "name",
  link: "idle",
  dialog: null,
  online: null,
  joining: false,
  nameError: null,
  needPassword: false,
  passwordRefused: false,
  me: null,
  address: null,
  users: [],
  items: [],
  unread: 0,
  throttled: null,
};

/** A name refusal: shown inline on the name screen rather than in the pane. */
const NAME_ERRORS = new Set(["name_invalid", "name_taken", "not_registered"]);

export class ChatClient {
  #state: ClientState = INITIAL;
  readonly #opts: ClientOptions;
  readonly #listeners = new Set<(s: ClientState) => void>();
  #link: Link | null = null;
  /** Generation of the current link: callbacks of an abandoned link are ignored. */
  #gen = 0;
  #opened = false;
  #bye: ByeReason | null = null;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;
  #pingId = 0;
  #prompted = false;
  /** A name typed while not connected, sent at the next prompt. */
  #pendingName: string | null = null;
  /** The name to take back after a reconnection. */
  #rejoin: string | null = null;
  /** The server password, kept in memory only, for reconnections. */
  #password: string | null = null;
  /** Which prompt the server sent last on this link. */
  #asked: "name" | "password" | null = null;
  #nextId = 1;

  constructor(opts: ClientOptions) {
    this.#opts = opts;
  }

  get state(): ClientState {
    return this.#state;
  }

  subscribe(fn: (s: ClientState) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Connects at once, to show who is online and to report an unreachable server early. */
  start(): void {
    this.#connect();
  }

  /** Asks for a name (S5), after the server password when one is asked for; connects first if needed. */
  join(name: string, password?: string): void {
    const trimmed = name.trim();
    if (password !== undefined) this.#password = password;
    this.#set({ joining: true, nameError: null, passwordRefused: false });
    this.#pendingName = trimmed;
    if (this.#state.link === "open" && this.#prompted) {
      this.#answerPrompt();
      return;
    }
    if (this.#state.link === "idle" && !this.#retryTimer) this.#connect();
  }

  /** Sends what the user typed: a message, `@name text` or a `/command`, as the terminal does. */
  say(text: string): void {
    if (text.trim()) this.#send({ type: "line", text });
  }

  /** The Leave ("Sair") button (S9): the server tells everyone and answers `bye quit`. */
  leave(): void {
    if (this.#state.link === "open" && this.#state.me) this.#send({ type: "line", text: "/quit" });
    else this.#toNameScreen();
  }

  /** The dialog's "Retry now". */
  retryNow(): void {
    const d = this.#state.dialog;
    if (d && (d.kind === "unreachable" || d.kind === "lost")) this.#connect();
  }

  /** "Connect again" after a shutdown or a disconnection by the server. */
  reconnect(): void {
    const d = this.#state.dialog;
    // After a shutdown the user comes back under the same name; after a kick they choose again.
    if (d?.kind !== "shutdown") {
      this.#rejoin = null;
      this.#toNameScreen();
    }
    this.#set({ dialog: null });
    this.#connect();
  }

  /** Closes a shutdown or disconnection dialog and returns to the name screen. */
  dismiss(): void {
    this.#rejoin = null;
    this.#toNameScreen();
    this.#set({ dialog: null });
  }

  /** The tab became visible: the unread count starts again. */
  visible(): void {
    if (this.#state.unread) this.#set({ unread: 0 });
  }

  #set(patch: Partial<ClientState>): void {
    this.#state = { ...this.#state, ...patch };
    for (const fn of this.#listeners) fn(this.#state);
  }

  #send(request: object): void {
    this.#link?.send(JSON.stringify(request));
  }

  #now(): number {
    return this.#opts.now?.() ?? Date.now();
  }

  #connect(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#abandon();
    const gen = ++this.#gen;
    this.#opened = false;
    this.#bye = null;
    this.#prompted = false;
    this.#asked = null;
    const d = this.#state.dialog;
    this.#set({
      link: "connecting",
      dialog: d && (d.kind === "unreachable" || d.kind === "lost") ? { kind: d.kind, retryAt: null } : d,
    });
    this.#link = this.#opts.connect(this.#opts.url, {
      open: () => gen === this.#gen && this.#onOpen(),
      message: (data) => gen === this.#gen && this.#onMessage(data),
      close: () => gen === this.#gen && this.#onClose(),
    });
  }

  /** Forgets the current link (its late callbacks are ignored) and closes it. */
  #abandon(): void {
    this.#gen++;
    this.#stopPing();
    const link = this.#link;
    this.#link = null;
    link?.close();
  }

  #onOpen(): void {
    this.#opened = true;
    this.#attempt = 0;
    const d = this.#state.dialog;
    this.#set({ link: "open", dialog: d && (d.kind === "unreachable" || d.kind === "lost") ? null : d });
    this.#startPing();
  }

  #onMessage(data: string): void {
    let event: ServerEvent;
    try {
      event = JSON.parse(data) as ServerEvent;
    } catch {
      return;
    }
    if (typeof event !== "object" || event === null || typeof event.type !== "string") return;
    this.#handle(event);
  }

  #onClose(): void {
    this.#stopPing();
    this.#link = null;
    if (this.#state.throttled) this.#set({ throttled: null });
    const bye = this.#bye;
    if (bye === "quit") {
      // S9: back to the name screen, with a fresh connection ready for the next name.
      this.#rejoin = null;
      this.#toNameScreen();
      this.#connect();
      return;
    }
    if (bye !== null) {
      // The server said why (shutdown, kicked, registration timeout...): no automatic retry.
      this.#set({ link: "idle", joining: false });
      return;
    }
    // S12: no `bye` — the server went away or could not be reached. Retry with back-off.
    const d = this.#state.dialog;
    const kind = this.#opened || d?.kind === "lost" ? "lost" : "unreachable";
    const delay = backoffMs(this.#attempt++);
    this.#set({ link: "idle", dialog: { kind, retryAt: this.#now() + delay } });
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #startPing(): void {
    const every = this.#opts.pingMs ?? 25_000;
    this.#pingTimer = setInterval(() => {
      this.#send({ type: "ping", id: ++this.#pingId });
      clearTimeout(this.#pongTimer);
      // A server or network gone silent (no FIN, e.g. a phone changing networks) counts as a drop.
      this.#pongTimer = setTimeout(() => {
        // While the server holds our messages it reads nothing from us, the ping included: its
        // pong comes once the backlog is out (issue 10 item 2), so that silence is not a drop.
        const held = this.#state.throttled;
        if (held && this.#now() < held.until + (this.#opts.pongTimeoutMs ?? 10_000)) return;
        this.#abandon();
        this.#onClose();
      }, this.#opts.pongTimeoutMs ?? 10_000);
    }, every);
  }

  #stopPing(): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
    this.#pingTimer = undefined;
    this.#pongTimer = undefined;
  }

  /** Answers the server's last prompt with what the user gave, if anything. */
  #answerPrompt(): void {
    if (this.#asked === "password") {
      if (this.#password === null) return this.#set({ joining: false });
      this.#set({ joining: true });
      return this.#send({ type: "password", password: this.#password });
    }
    const name = this.#rejoin ?? this.#pendingName;
    if (this.#asked === "name" && name !== null) {
      this.#set({ joining: true });
      this.#send({ type: "name", name });
    }
  }

  #toNameScreen(): void {
    this.#set({
      screen: "name",
      joining: false,
      me: null,
      address: null,
      users: [],
      items: [],
      unread: 0,
    });
  }

  #item(kind: ItemKind, event: ServerEvent | null, at: number | null = null): Item {
    return { id: this.#nextId++, kind, at, event };
  }

  #push(...items: Item[]): Partial<ClientState> {
    const all = this.#state.items.concat(items);
    return { items: all.length > MAX_ITEMS ? all.slice(all.length - MAX_ITEMS) : all };
  }

  #unread(from: string): Partial<ClientState> {
    return from !== this.#state.me && this.#opts.isHidden() ? { unread: this.#state.unread + 1 } : {};
  }

  #handle(event: ServerEvent): void {
    const s = this.#state;
    switch (event.type) {
      case "hello":
        return this.#set({ online: event.online });
      case "prompt":
        this.#prompted = true;
        this.#asked = event.need;
        if (event.need === "password" && !s.needPassword) this.#set({ needPassword: true });
        return this.#answerPrompt();
      case "welcome": {
        const rejoined = this.#rejoin !== null && s.screen === "chat";
        this.#pendingName = null;
        this.#rejoin = event.name;
        return this.#set({
          screen: "chat",
          joining: false,
          nameError: null,
          me: event.name,
          address: event.address,
          users: event.users,
          online: event.users.length,
          ...(rejoined
            ? this.#push(this.#item("reconnected", null, event.at))
            : { items: [this.#item("system", event, event.at)] }),
        });
      }
      case "joined":
        return this.#set({
          users: s.users.some((u) => u.name === event.name)
            ? s.users
            : [...s.users, { name: event.name, address: event.address }],
          online: (s.online ?? 0) + 1,
          ...this.#push(this.#item("join", event, event.at)),
        });
      case "left":
        return this.#set({
          users: s.users.filter((u) => u.name !== event.name),
          online: Math.max(0, (s.online ?? 1) - 1),
          ...this.#push(this.#item("leave", event, event.at)),
        });
      case "renamed": {
        const mine = event.from === s.me;
        if (mine) this.#rejoin = event.to;
        return this.#set({
          users: s.users.map((u) => (u.name === event.from ? { ...u, name: event.to } : u)),
          ...(mine ? { me: event.to } : {}),
          ...this.#push(this.#item("system", event, event.at)),
        });
      }
      case "users":
        return this.#set({ users: event.users, ...this.#push(this.#item("system", event)) });
      case "help":
        return this.#set(this.#push(this.#item("system", event)));
      case "message":
        return this.#set({
          ...this.#unread(event.from),
          ...this.#push(this.#item(event.from === s.me ? "own" : "message", event, event.at)),
        });
      case "action":
        return this.#set({
          ...this.#unread(event.from),
          ...this.#push(this.#item("action", event, event.at)),
        });
      case "private":
        return this.#set({
          ...this.#unread(event.from),
          ...this.#push(this.#item("private", event, event.at)),
        });
      case "notice":
        return this.#set(this.#push(this.#item("announce", event, event.at)));
      case "throttled":
        return this.#set({
          throttled: event.queued > 0 ? { queued: event.queued, until: this.#now() + event.delayMs } : null,
        });
      case "error":
        if (s.screen === "name" || (NAME_ERRORS.has(event.code) && s.joining)) {
          // S5: the refusal reason inline; an automatic re-join that failed lands here too.
          this.#pendingName = null;
          this.#rejoin = null;
          return this.#set({
            joining: false,
            nameError: event,
            ...(s.screen === "chat" ? { screen: "name" } : {}),
          });
        }
        return this.#set(this.#push(this.#item("error", event, event.at)));
      case "bye":
        this.#bye = event.reason;
        if (event.reason === "bad_password") {
          // Shown on the name screen; the next attempt reconnects.
          this.#password = null;
          this.#rejoin = null;
          this.#toNameScreen();
          return this.#set({ passwordRefused: true, needPassword: true });
        }
        if (event.reason === "shutdown")
          return this.#set({ dialog: { kind: "shutdown", ...(event.text ? { text: event.text } : {}) } });
        if (event.reason === "quit" || event.reason === "registration_timeout") return;
        return this.#set({
          dialog: { kind: "closed", reason: event.reason, ...(event.text ? { text: event.text } : {}) },
        });
      case "pong":
        clearTimeout(this.#pongTimer);
        return;
      case "room":
      case "history":
      case "gap":
      case "current":
      case "parted":
      case "rooms":
      case "topic":
        // Rooms (issue 14): shown by the room list (not yet in this client).
        return;
      case "ping":
        return this.#send({ type: "pong", ...("id" in event ? { id: event.id } : {}) });
      default: {
        // An event type from a newer server: ignored rather than shown wrongly.
        const never: never = event;
        return never;
      }
    }
  }
}
