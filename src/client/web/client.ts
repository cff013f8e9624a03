/**
 * The browser client's brain, without DOM or Preact: one WebSocket to `/ws` speaking the json
 * schema (docs/protocol.md §5-§7), the state the page shows, reconnection with back-off (S12).
 * The socket and the clock are injected, so this runs under node:test with a fake socket.
 *
 * Rooms (issue 14): one pane per room, with its history, unread count, topic and its place in the
 * room's log (epoch, last seq). After a lost connection or a server restart the page sends
 * `resume` and gets, per room, exactly what it missed (or a `gap`); what it sent and never saw
 * come back (its `cid`) waits in an outbox and is sent again (issue 10 item 3).
 */

import { findCommand } from "../../protocol/commands.ts";
import type { ByeReason, ErrorEvent, RoomEvent, ServerEvent, UserInfo } from "../../protocol/events.ts";
import { parseInput } from "../../protocol/input.ts";
import { mentions } from "../../protocol/mention.ts";

/** What the client needs of a socket; `connect` must call the callbacks asynchronously. */
export interface Link {
  send(data: string): void;
  close(): void;
}

export type Connect = (url: string, on: { open(): void; message(data: string): void; close(): void }) => Link;

/**
 * A dialog over the page. `retryAt` is when the next attempt starts, null while one runs. After a
 * shutdown the page keeps trying too (operators restart servers), with the operator's reason.
 */
export type Dialog =
  | { kind: "unreachable" | "lost"; retryAt: number | null }
  | { kind: "shutdown"; text?: string; retryAt: number | null }
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
  | "reconnected"
  /** The line between history and what happens live ("new"). */
  | "divider"
  /** The server could not replay what was missed (`gap`), or a rejoin skipped events. */
  | "gap";

/** One entry of a room's pane; the page renders `event` in the current language. */
export interface Item {
  id: number;
  kind: ItemKind;
  at: number | null;
  event: ServerEvent | null;
  /** For logged room events: the log's epoch and the event's place in it. */
  epoch?: string;
  seq?: number;
  /** Said before the user arrived (history on join, "load older"): shown greyed. */
  history?: boolean;
}

/** One room the user is in, as its pane shows it. */
export interface RoomView {
  /** The room's display name (`#lobby`), as the server spells it. */
  name: string;
  users: UserInfo[];
  topic?: string;
  /** The store's epoch the seqs below belong to (null before the server said). */
  epoch: string | null;
  /** The last seq of the room's log this page has: what a resume asks to continue after. */
  seq: number;
  items: Item[];
  /** The log holds events older than the first one shown ("load older"). */
  more: boolean;
  loadingOlder: boolean;
  /** Messages that arrived while another room was shown. */
  unread: number;
  /** Issue 13: messages naming the user that arrived while the room was not in view. */
  mentions: number;
}

/** Issue 13: what a desktop notification says (a mention, or a private message, while the tab is hidden). */
export interface Mention {
  room: string | null;
  from: string;
  text: string;
  private: boolean;
}

/**
 * A message the user sent, until the server echoes it back (its `cid`): `queued` waits for a
 * connection, `sent` for the echo, `failed` could not be delivered (the text is kept).
 */
export interface Outgoing {
  cid: string;
  /** The room whose pane it was typed in (and, unless private, the room it goes to). */
  room: string;
  text: string;
  /** `@name text`: the server does not de-duplicate these, so one sent is never sent again blindly. */
  private: boolean;
  state: "queued" | "sent" | "failed";
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
  /** The rooms the user is in, the lobby first, then in the order they were joined. */
  rooms: RoomView[];
  /** The room whose pane is shown; plain lines go there. */
  view: string | null;
  outbox: Outgoing[];
  /** Messages received while the tab was hidden. */
  unread: number;
  /** Issue 13: room names from the last `/rooms` answer, for Tab completion. */
  knownRooms: string[];
  /**
   * Issue 10 item 2: the server is sending a long paste slowly (flood control): how many of our
   * messages wait, and when (this client's clock) the last should be out. Null when none waits.
   */
  throttled: { queued: number; until: number } | null;
  /** Issue 13: your own away message (`/away`; "" when none was given), null when you are not away. */
  away: string | null;
}

export interface ClientOptions {
  /** The server's WebSocket URL, or several (a cluster's nodes, `socketUrls`): tried in turn. */
  url: string | readonly string[];
  connect: Connect;
  isHidden(): boolean;
  now?(): number;
  /** Milliseconds between json pings while connected; a pong must come within `pongTimeoutMs`. */
  pingMs?: number;
  pongTimeoutMs?: number;
  /** A prefix for message ids (cid), unique to this page; random by default. */
  cidPrefix?: string;
  /** Issue 13: called for a mention or a private message that arrives while the tab is hidden. */
  notify?(m: Mention): void;
}

/** Keeps each pane bounded however long the tab stays open (older lines come back with "load older"). */
export const MAX_ITEMS = 500;

/** How many older events one "load older" asks for. */
export const OLDER_PAGE = 50;

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

/**
 * Every WebSocket URL the page may use, its own first: `?servers=b:7780,c:7780` in the page's
 * address lists other nodes of a cluster (issue 12), tried in turn when a connection fails or
 * drops. An entry is `host:port` or a full `http(s)://` / `ws(s)://` URL; entries that do not
 * parse are skipped.
 */
export function socketUrls(pageHref: string): string[] {
  const urls = [socketUrl(pageHref)];
  const page = new URL(pageHref);
  for (const raw of (page.searchParams.get("servers") ?? "").split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    let base: URL;
    try {
      base = new URL(/^[a-z]+:\/\//i.test(entry) ? entry : `${page.protocol}//${entry}/`);
    } catch {
      continue; // not an address
    }
    // A ws(s): entry names the socket itself; an http(s): one names a page beside it.
    if (base.protocol === "ws:" || base.protocol === "wss:") {
      if (!urls.includes(base.href)) urls.push(base.href);
      continue;
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") continue;
    const ws = socketUrl(base.href);
    if (!urls.includes(ws)) urls.push(ws);
  }
  return urls;
}

/** The room a user is in, by name (room names compare case-insensitively, as the server's do). */
export function findRoom(
  s: Pick<ClientState, "rooms">,
  name: string | null | undefined,
): RoomView | undefined {
  if (!name) return undefined;
  const key = name.toLowerCase();
  return s.rooms.find((r) => r.name.toLowerCase() === key);
}

/** The room whose pane is shown. */
export function viewRoom(s: ClientState): RoomView | undefined {
  return findRoom(s, s.view) ?? s.rooms[0];
}

/** The oldest seq the pane shows of the room's current epoch: "load older" asks for what is before it. */
export function oldestSeq(room: RoomView): number {
  let oldest = room.seq + 1;
  for (const i of room.items)
    if (i.seq !== undefined && i.epoch === room.epoch && i.seq < oldest) oldest = i.seq;
  return oldest;
}

const LOBBY = "#lobby";

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
  rooms: [],
  view: null,
  outbox: [],
  unread: 0,
  knownRooms: [],
  throttled: null,
  away: null,
};

/** A name refusal: shown inline on the name screen rather than in the pane. */
const NAME_ERRORS = new Set(["name_invalid", "name_taken", "not_registered"]);
/** A room's modes refused us (a resume names the rooms the page shows): the room goes from the list. */
const ROOM_REFUSALS = new Set(["room_invite_only", "room_key", "room_full", "room_banned"]);

/** Issue 13: the away message of `name` in a user list ("" for none), null when not away. */
function awayOf(users: readonly UserInfo[], name: string): string | null {
  return users.find((u) => u.name === name)?.away ?? null;
}

/** `u` with `away` set to `away`, or without it when undefined. */
function withAway(u: UserInfo, away: string | undefined): UserInfo {
  const { away: _, ...rest } = u;
  return away === undefined ? rest : { ...rest, away };
}

function newRoom(name: string, users: UserInfo[] = []): RoomView {
  return {
    name,
    users,
    epoch: null,
    seq: 0,
    items: [],
    more: false,
    loadingOlder: false,
    unread: 0,
    mentions: 0,
  };
}

function randomPrefix(): string {
  return Math.random().toString(36).slice(2, 10);
}

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
  /** Which of the URLs the next connection uses (it moves on after a failure or a drop). */
  #urlIndex = 0;
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
  /** The session token from the welcome, for `resume` after a lost connection. */
  #token: string | null = null;
  /** A `resume` was sent on this link and not refused. */
  #resuming = false;
  /** This link has a welcome: lines can go. */
  #ready = false;
  /**
   * Rooms waiting for their history after a `room` event on this link: the head the server gave,
   * where this page was, and whether the page showed the room before (a re-entry).
   */
  #syncing = new Map<string, { head: number; prevSeq: number; reentry: boolean; epochChanged: boolean }>();
  /** Rooms the server said it could not replay (`gap`): their history is shown after a marker. */
  #gapped = new Set<string>();
  /** Commands typed while offline: sent once after the next welcome. */
  #commands: { text: string; room: string }[] = [];
  /** Barrier pings: the outbox entries sent before each (see `#barrier`). */
  #barriers = new Map<string, { cids: Set<string>; errors: number }>();
  /** Errors received on this link so far (a refused line is always answered with one). */
  #errors = 0;
  readonly #cidPrefix: string;
  #nextCid = 1;
  #nextId = 1;

  constructor(opts: ClientOptions) {
    this.#opts = opts;
    this.#cidPrefix = opts.cidPrefix ?? randomPrefix();
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

  /**
   * Sends what the user typed in the shown room: a message, `@name text` or a `/command`, as the
   * terminal does. Messages wait in the outbox until they come back; while offline they (and
   * commands) wait for the connection.
   */
  say(text: string): void {
    const input = parseInput(text);
    if (input.kind === "empty") return;
    const room = viewRoom(this.#state)?.name ?? LOBBY;
    // `/me` is a message too (an action, echoed with its cid); other commands are not.
    if (input.kind === "command" && !(findCommand(input.name)?.name === "me" && input.args)) {
      if (this.#ready) this.#send({ type: "line", text, room });
      else this.#commands.push({ text, room });
      return;
    }
    const out: Outgoing = {
      cid: `${this.#cidPrefix}-${this.#nextCid++}`,
      room,
      text,
      private: input.kind === "private",
      state: "queued",
    };
    this.#set({ outbox: [...this.#state.outbox, out] });
    if (this.#ready) this.#post([out]);
  }

  /** "Send again" on a message that could not be delivered. */
  resend(cid: string): void {
    const out = this.#state.outbox.find((o) => o.cid === cid);
    if (out?.state !== "failed") return;
    const again: Outgoing = { ...out, state: "queued" };
    this.#set({ outbox: this.#state.outbox.map((o) => (o.cid === cid ? again : o)) });
    if (this.#ready && findRoom(this.#state, again.room)) this.#post([again]);
  }

  /** Forgets a message that could not be delivered. */
  discard(cid: string): void {
    this.#set({ outbox: this.#state.outbox.filter((o) => o.cid !== cid || o.state !== "failed") });
  }

  /** Shows a room's pane; its unread count starts again. */
  show(room: string): void {
    const r = findRoom(this.#state, room);
    if (!r) return;
    this.#set({
      view: r.name,
      ...this.#patchRoom(r.name, { unread: 0, ...(this.#opts.isHidden() ? {} : { mentions: 0 }) }),
    });
  }

  /** Joins (creating it if needed) a room; its pane is shown when the server confirms. */
  joinRoom(raw: string): void {
    let name = raw.trim();
    if (!name) return;
    if (!name.startsWith("#")) name = `#${name}`;
    const known = findRoom(this.#state, name);
    if (known) return this.show(known.name);
    if (this.#ready) this.#send({ type: "join", room: name });
  }

  /** Leaves a room (not the lobby). */
  partRoom(room: string): void {
    if (this.#ready) this.#send({ type: "part", room });
  }

  /** Asks for the events before the oldest one shown (when the pane is scrolled to the top). */
  loadOlder(room: string): void {
    const r = findRoom(this.#state, room);
    if (!r?.more || r.loadingOlder || !this.#ready || r.epoch === null) return;
    this.#set(this.#patchRoom(r.name, { loadingOlder: true }));
    this.#send({ type: "history", room: r.name, before: oldestSeq(r), limit: OLDER_PAGE });
  }

  /** The Leave ("Sair") button (S9): the server tells everyone and answers `bye quit`. */
  leave(): void {
    if (this.#state.link === "open" && this.#state.me) this.#send({ type: "line", text: "/quit" });
    else this.#toNameScreen();
  }

  /** The dialog's "Retry now". */
  retryNow(): void {
    const d = this.#state.dialog;
    if (d && (d.kind === "unreachable" || d.kind === "lost" || d.kind === "shutdown")) this.#connect();
  }

  /** "Connect again" after a disconnection by the server: choose a name again. */
  reconnect(): void {
    const d = this.#state.dialog;
    // After a shutdown the user comes back under the same name; after a kick they choose again.
    if (d?.kind !== "shutdown") {
      this.#forgetSession();
      this.#toNameScreen();
    }
    this.#set({ dialog: null });
    this.#connect();
  }

  /** Closes a dialog for good (stops retrying) and returns to the name screen. */
  dismiss(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#state.link !== "idle") {
      this.#abandon();
      this.#set({ link: "idle" });
    }
    this.#forgetSession();
    this.#toNameScreen();
    this.#set({ dialog: null });
  }

  /** The tab became visible: the unread count starts again, and the shown room's mentions are seen. */
  visible(): void {
    const r = viewRoom(this.#state);
    if (this.#state.unread || r?.mentions)
      this.#set({ unread: 0, ...(r?.mentions ? this.#patchRoom(r.name, { mentions: 0 }) : {}) });
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
    this.#resuming = false;
    this.#ready = false;
    this.#syncing.clear();
    this.#gapped.clear();
    this.#barriers.clear();
    this.#errors = 0;
    const d = this.#state.dialog;
    this.#set({
      link: "connecting",
      dialog: d && "retryAt" in d ? { ...d, retryAt: null } : d,
    });
    const urls = typeof this.#opts.url === "string" ? [this.#opts.url] : this.#opts.url;
    const url = urls[this.#urlIndex % urls.length] as string;
    this.#link = this.#opts.connect(url, {
      open: () => gen === this.#gen && this.#onOpen(),
      message: (data) => gen === this.#gen && this.#onMessage(data),
      close: () => gen === this.#gen && this.#onClose(),
    });
  }

  /** Forgets the current link (its late callbacks are ignored) and closes it. */
  #abandon(): void {
    this.#gen++;
    this.#stopPing();
    this.#ready = false;
    const link = this.#link;
    this.#link = null;
    link?.close();
  }

  #onOpen(): void {
    this.#opened = true;
    this.#attempt = 0;
    const d = this.#state.dialog;
    this.#set({ link: "open", dialog: d && "retryAt" in d ? null : d });
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
    this.#ready = false;
    if (this.#state.throttled) this.#set({ throttled: null });
    const bye = this.#bye;
    if (bye === "quit") {
      // S9: back to the name screen, with a fresh connection ready for the next name.
      this.#forgetSession();
      this.#toNameScreen();
      this.#connect();
      return;
    }
    if (bye !== null && bye !== "shutdown") {
      // The server said why (kicked, registration timeout...): no automatic retry.
      this.#set({ link: "idle", joining: false });
      return;
    }
    // S12, issue 10 item 3: the server went away (a shutdown included: operators restart), or
    // could not be reached. Retry with capped back-off until the user leaves.
    const d = this.#state.dialog;
    this.#urlIndex++;
    const delay = backoffMs(this.#attempt++);
    const retryAt = this.#now() + delay;
    const dialog: Dialog =
      d?.kind === "shutdown"
        ? { ...d, retryAt }
        : { kind: this.#opened || d?.kind === "lost" ? "lost" : "unreachable", retryAt };
    this.#set({ link: "idle", dialog });
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
    if (this.#asked !== "name") return;
    // Issue 14: take the session back where each room was, rather than registering anew.
    if (this.#token !== null && this.#state.screen === "chat" && !this.#resuming) {
      this.#resuming = true;
      const rooms = this.#state.rooms
        .filter((r) => r.epoch !== null)
        .map((r) => ({ room: r.name, epoch: r.epoch, seq: r.seq }));
      return this.#send({ type: "resume", token: this.#token, rooms });
    }
    const name = this.#rejoin ?? this.#pendingName;
    if (name !== null) {
      this.#set({ joining: true });
      this.#send({ type: "name", name });
    }
  }

  #forgetSession(): void {
    this.#rejoin = null;
    this.#token = null;
    this.#commands = [];
  }

  #toNameScreen(): void {
    this.#set({
      screen: "name",
      joining: false,
      me: null,
      address: null,
      rooms: [],
      view: null,
      outbox: [],
      unread: 0,
      away: null,
    });
  }

  #item(kind: ItemKind, event: ServerEvent | null, at: number | null = null): Item {
    return { id: this.#nextId++, kind, at, event };
  }

  /** A patch replacing the room named `name` with `patch` applied (nothing if not a member). */
  #patchRoom(
    name: string,
    patch: Partial<RoomView> | ((r: RoomView) => Partial<RoomView>),
  ): Partial<ClientState> {
    const r = findRoom(this.#state, name);
    if (!r) return {};
    const next = { ...r, ...(typeof patch === "function" ? patch(r) : patch) };
    return { rooms: this.#state.rooms.map((x) => (x === r ? next : x)) };
  }

  /** Items appended to a room's pane, the oldest dropped past MAX_ITEMS (they can be loaded again). */
  #append(r: RoomView, items: Item[]): Partial<RoomView> {
    const all = r.items.concat(items);
    if (all.length <= MAX_ITEMS) return { items: all };
    return { items: all.slice(all.length - MAX_ITEMS), more: true };
  }

  /** A non-logged line (errors, notices, privates, lists) in the shown room's pane. */
  #toView(item: Item, extra: Partial<ClientState> = {}): void {
    const r = viewRoom(this.#state);
    if (!r) return;
    this.#set({ ...this.#patchRoom(r.name, (x) => this.#append(x, [item])), ...extra });
  }

  #unreadTab(from: string): Partial<ClientState> {
    return from !== this.#state.me && this.#opts.isHidden() ? { unread: this.#state.unread + 1 } : {};
  }

  /** True when the pane of `r` already shows this event (dedupe by room + epoch + seq). */
  #shown(r: RoomView, e: RoomEvent, epoch: string | null): boolean {
    if (epoch === null || typeof e.seq !== "number") return false;
    return r.items.some((i) => i.seq === e.seq && i.epoch === epoch);
  }

  #kindOf(e: RoomEvent): ItemKind {
    switch (e.type) {
      case "joined":
        return "join";
      case "left":
        return "leave";
      case "message":
        return e.from === this.#state.me ? "own" : "message";
      case "action":
        return "action";
      default:
        return "system";
    }
  }

  #logItem(e: RoomEvent, epoch: string | null, history: boolean): Item {
    return {
      ...this.#item(this.#kindOf(e), e, e.at),
      ...(epoch !== null && typeof e.seq === "number" ? { epoch, seq: e.seq } : {}),
      ...(history ? { history: true } : {}),
    };
  }

  /** What a logged event changes in its room besides the pane: members, topic. */
  #roomEffects(r: RoomView, e: RoomEvent): Partial<RoomView> {
    switch (e.type) {
      case "joined":
        return r.users.some((u) => u.name === e.name)
          ? {}
          : { users: [...r.users, { name: e.name, address: e.address }] };
      case "left":
        return { users: r.users.filter((u) => u.name !== e.name) };
      case "renamed":
        return { users: r.users.map((u) => (u.name === e.from ? { ...u, name: e.to } : u)) };
      case "topic":
        return e.topic ? { topic: e.topic } : { topic: undefined };
      default:
        return {};
    }
  }

  /** The members and topic after a run of replayed events (the `room` event said who is there now). */
  #replayEffects(r: RoomView, events: readonly RoomEvent[]): Partial<RoomView> {
    let x = r;
    for (const e of events) x = { ...x, ...this.#roomEffects(x, e) };
    return { users: x.users, topic: x.topic };
  }

  /** Removes from the outbox what these events acknowledge (own messages carrying their cid). */
  #acked(events: readonly { type: string; from?: string; cid?: string }[]): Partial<ClientState> {
    const cids = new Set<string>();
    for (const e of events) if (e.cid !== undefined && e.from === this.#state.me) cids.add(e.cid);
    if (cids.size === 0) return {};
    return { outbox: this.#state.outbox.filter((o) => !cids.has(o.cid)) };
  }

  /** A live logged event: shown once (dedupe by seq), the room's members and topic kept up. */
  #live(e: RoomEvent): void {
    const s = this.#state;
    const r = findRoom(s, e.room ?? LOBBY);
    if (!r) return;
    // Already shown (seqs are contiguous: anything up to the room's last seq was delivered).
    if (r.epoch !== null && typeof e.seq === "number" && e.seq <= r.seq) return;
    const counts = (e.type === "message" || e.type === "action") && e.from !== s.me;
    const elsewhere = counts && r.name !== viewRoom(s)?.name;
    // Issue 13: a message naming the user marks its room unless read there now, and notifies
    // when the tab is hidden.
    const named = counts && s.me !== null && mentions(e.text, s.me);
    const hidden = named && this.#opts.isHidden();
    if (hidden) this.#opts.notify?.({ room: r.name, from: e.from, text: e.text, private: false });
    this.#set({
      ...this.#acked([e]),
      ...(counts ? this.#unreadTab(e.from) : {}),
      ...this.#patchRoom(r.name, (x) => ({
        ...this.#roomEffects(x, e),
        ...this.#append(x, [this.#logItem(e, x.epoch, false)]),
        seq: typeof e.seq === "number" ? Math.max(x.seq, e.seq) : x.seq,
        ...(elsewhere ? { unread: x.unread + 1 } : {}),
        ...(named && (elsewhere || hidden) ? { mentions: x.mentions + 1 } : {}),
      })),
      ...(e.type === "renamed" && e.from === s.me ? { me: e.to } : {}),
    });
  }

  /** A `room` event: the user is in this room now (joined, registered, or resumed). */
  #enterRoom(e: Extract<ServerEvent, { type: "room" }>): void {
    const s = this.#state;
    const known = findRoom(s, e.room);
    const reentry = known !== undefined && known.epoch !== null;
    const epochChanged = reentry && known.epoch !== e.epoch;
    // The list is who was there before this session's entry; the user is in it too (a resume that
    // took over a half-open connection announces no `joined`).
    const me = s.me;
    const users =
      me !== null && !e.users.some((u) => u.name === me)
        ? [...e.users, { name: me, address: s.address }]
        : e.users;
    this.#syncing.set(e.room.toLowerCase(), { head: e.seq, prevSeq: known?.seq ?? 0, reentry, epochChanged });
    if (known) {
      // Back after a reconnect: the members and topic are now; the seq stays where this page
      // was until the history fills the rest in (unless the log itself is another one now).
      this.#set(
        this.#patchRoom(known.name, (r) => ({
          users,
          topic: e.topic,
          ...(r.epoch === null || r.epoch !== e.epoch ? { epoch: e.epoch, seq: e.seq } : {}),
        })),
      );
      return;
    }
    const r: RoomView = { ...newRoom(e.room, users), epoch: e.epoch, seq: e.seq };
    if (e.topic) r.topic = e.topic;
    // A room the user asked for (from the page or `/join`) is shown at once.
    const show = e.current && !e.initial;
    this.#set({ rooms: [...s.rooms, r], ...(show || !s.view ? { view: r.name } : {}) });
  }

  /** A `history` event: on entering a room, after a resume, or older events asked for. */
  #history(e: Extract<ServerEvent, { type: "history" }>): void {
    const s = this.#state;
    const r = findRoom(s, e.room);
    if (!r) return;
    const epoch = r.epoch;
    if (e.kind === "request") {
      const oldest = oldestSeq(r);
      const older = e.events.filter((x) => x.seq < oldest && !this.#shown(r, x, epoch));
      this.#set(
        this.#patchRoom(r.name, {
          items: older.map((x) => this.#logItem(x, epoch, true)).concat(r.items),
          more: e.more,
          loadingOlder: false,
        }),
      );
      return;
    }
    const key = r.name.toLowerCase();
    const sync = this.#syncing.get(key) ?? {
      head: r.seq,
      prevSeq: r.seq,
      reentry: false,
      epochChanged: false,
    };
    const head = sync.head;
    this.#syncing.delete(key);
    const fresh = e.events.filter((x) => !this.#shown(r, x, epoch));
    const last = fresh.reduce((m, x) => Math.max(m, x.seq), 0);
    const seq = Math.max(head, last, e.kind === "resume" ? r.seq : 0);
    if (e.kind === "resume") {
      // What was said while the page was away: shown as live, once.
      const mine = r.name === viewRoom(s)?.name;
      const theirs = fresh.filter(
        (x): x is Extract<RoomEvent, { type: "message" | "action" }> =>
          (x.type === "message" || x.type === "action") && x.from !== s.me,
      );
      const unread = theirs.length;
      const named = s.me === null ? 0 : theirs.filter((x) => s.me !== null && mentions(x.text, s.me)).length;
      this.#set({
        ...this.#acked(fresh),
        ...this.#patchRoom(r.name, (x) => ({
          ...this.#replayEffects(x, fresh),
          ...this.#append(
            x,
            fresh.map((ev) => this.#logItem(ev, epoch, false)),
          ),
          seq,
          ...(mine ? {} : { unread: x.unread + unread }),
          ...(!mine || this.#opts.isHidden() ? { mentions: x.mentions + named } : {}),
        })),
      });
    } else {
      // "join": the last N, greyed, then a divider before what comes live. On a room the pane
      // already showed (a rejoin that could not resume), a gap marker says something may be missing.
      const rejoin = sync.reentry || this.#gapped.has(key);
      const marker: Item[] = [];
      if (sync.reentry && !this.#gapped.has(key)) {
        const from = fresh[0]?.seq ?? head + 1;
        if (sync.epochChanged || from > sync.prevSeq + 1) marker.push(this.#item("gap", null));
      }
      const items = fresh.map((ev) => this.#logItem(ev, epoch, true));
      const divider = items.length > 0 ? [this.#item("divider", null)] : [];
      this.#set({
        ...this.#acked(fresh),
        ...this.#patchRoom(r.name, (x) => ({
          ...this.#append(x, [...marker, ...items, ...divider]),
          seq,
          ...(rejoin ? {} : { more: e.more }),
        })),
      });
    }
    this.#gapped.delete(key);
    this.#flush(r.name);
  }

  /** The server could not replay what this page missed in a room: a marker, then the last N. */
  /** Out of a room (parted, or a resume refused by its modes): off the list, its outbox kept. */
  #dropRoom(name: string, current?: string): void {
    const s = this.#state;
    const r = findRoom(s, name);
    if (!r) return;
    const key = r.name.toLowerCase();
    const wasShown = viewRoom(s)?.name === r.name;
    const rest = s.rooms.filter((x) => x !== r);
    const next = (current !== undefined ? findRoom(s, current)?.name : undefined) ?? rest[0]?.name ?? null;
    // What still waited to go to that room cannot go now: kept, marked, in the next pane.
    const outbox = s.outbox.map((o) =>
      o.room.toLowerCase() === key && !o.private
        ? { ...o, room: next ?? o.room, state: "failed" as const }
        : o,
    );
    this.#set({ rooms: rest, outbox, ...(wasShown ? { view: next } : {}) });
  }

  #gap(e: Extract<ServerEvent, { type: "gap" }>): void {
    const r = findRoom(this.#state, e.room);
    if (!r) return;
    const key = r.name.toLowerCase();
    this.#gapped.add(key);
    const sync = this.#syncing.get(key);
    if (sync) sync.head = e.seq;
    this.#set(
      this.#patchRoom(r.name, (x) => ({
        ...this.#append(x, [this.#item("gap", e, null)]),
        epoch: e.epoch,
        seq: e.seq,
      })),
    );
  }

  /**
   * Sends what waits in the outbox for `room` once its history is in (what the history showed
   * coming back is acknowledged already): queued messages, and sent ones whose echo never came
   * (the server drops a cid it already has). A private message that was sent but not
   * acknowledged may have arrived: it is shown as not delivered rather than sent twice.
   */
  #flush(room: string): void {
    const key = room.toLowerCase();
    const go: Outgoing[] = [];
    const outbox = this.#state.outbox.map((o) => {
      if (o.room.toLowerCase() !== key || o.state === "failed") return o;
      if (o.private && o.state === "sent") return { ...o, state: "failed" as const };
      go.push(o);
      return o;
    });
    this.#set({ outbox });
    this.#post(go);
  }

  /** Puts messages on the wire, then a barrier ping (see `#barrier`). */
  #post(list: Outgoing[]): void {
    if (list.length === 0) return;
    const cids = new Set(list.map((o) => o.cid));
    for (const o of list) {
      this.#send({
        type: "line",
        text: o.text,
        ...(o.private ? {} : { room: o.room }),
        cid: o.cid,
      });
    }
    this.#set({ outbox: this.#state.outbox.map((o) => (cids.has(o.cid) ? { ...o, state: "sent" } : o)) });
    const id = `ack-${this.#pingId++}`;
    this.#barriers.set(id, { cids, errors: this.#errors });
    this.#send({ type: "ping", id });
  }

  /**
   * The server answers a connection's requests in order, and refuses a line (flood, a room left,
   * too long...) with an `error`. So once the pong of a ping sent after some messages is back, if
   * an error came meanwhile, a message among them that has not come back was refused: it is
   * marked as not delivered, its text kept. Without an error nothing is marked (a server that
   * delays lines, as flood control may, echoes them later). A late echo still clears the mark.
   */
  #barrier(id: unknown): void {
    if (typeof id !== "string") return;
    const barrier = this.#barriers.get(id);
    if (!barrier) return;
    this.#barriers.delete(id);
    const { cids } = barrier;
    if (barrier.errors === this.#errors) return;
    if (!this.#state.outbox.some((o) => cids.has(o.cid) && o.state === "sent")) return;
    this.#set({
      outbox: this.#state.outbox.map((o) =>
        cids.has(o.cid) && o.state === "sent" ? { ...o, state: "failed" } : o,
      ),
    });
  }

  #welcome(e: Extract<ServerEvent, { type: "welcome" }>): void {
    const s = this.#state;
    const back = s.screen === "chat" && s.rooms.length > 0;
    const resumed = this.#resuming;
    this.#pendingName = null;
    this.#rejoin = e.name;
    this.#token = e.token ?? null;
    this.#resuming = false;
    this.#ready = true;
    const lobby = e.room ?? LOBBY;
    if (!back) {
      const r = newRoom(lobby, e.users);
      r.items.push(this.#item("system", e, e.at));
      this.#set({
        screen: "chat",
        joining: false,
        nameError: null,
        me: e.name,
        address: e.address,
        online: e.users.length,
        away: awayOf(e.users, e.name),
        rooms: [r],
        view: lobby,
      });
    } else {
      // Issue 10 item 3: one line, not the whole welcome again.
      this.#set({
        screen: "chat",
        joining: false,
        nameError: null,
        me: e.name,
        address: e.address,
        online: e.users.length,
        away: awayOf(e.users, e.name),
        ...this.#patchRoom(lobby, { users: e.users }),
      });
      this.#toView(this.#item("reconnected", null, e.at));
      if (!resumed) {
        // Registered anew (the resume was refused): back into the rooms the page shows.
        for (const r of s.rooms)
          if (r.name.toLowerCase() !== lobby.toLowerCase()) this.#send({ type: "join", room: r.name });
      }
    }
    const commands = this.#commands;
    this.#commands = [];
    for (const c of commands) this.#send({ type: "line", text: c.text, room: c.room });
    // Without rooms (an older server) nothing else will say when to send what waits.
    if (e.epoch === undefined) for (const r of this.#state.rooms) this.#flush(r.name);
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
      case "welcome":
        return this.#welcome(event);
      case "joined":
      case "left":
      case "message":
      case "action":
      case "renamed":
      case "topic":
        if (event.type === "renamed" && event.from === s.me) {
          this.#rejoin = event.to;
          // The token names the old name: after a rename the page registers under the new one.
          this.#token = null;
        }
        // The lobby holds everyone: its comings and goings are the online count.
        if (
          (event.type === "joined" || event.type === "left") &&
          (event.room ?? LOBBY).toLowerCase() === LOBBY
        )
          this.#set({ online: Math.max(0, (s.online ?? 0) + (event.type === "joined" ? 1 : -1)) });
        return this.#live(event);
      case "room":
        return this.#enterRoom(event);
      case "history":
        return this.#history(event);
      case "gap":
        return this.#gap(event);
      case "current": {
        const r = findRoom(s, event.room);
        if (r) this.show(r.name);
        return;
      }
      case "parted":
        return this.#dropRoom(event.room, event.current);
      case "users": {
        const room = event.room ?? viewRoom(s)?.name;
        if (room) this.#set(this.#patchRoom(room, { users: event.users }));
        return this.#toView(this.#item("system", event));
      }
      case "rooms":
        this.#set({ knownRooms: event.rooms.map((r) => r.room) });
        return this.#toView(this.#item("system", event));
      case "help":
        return this.#toView(this.#item("system", event));
      case "private":
        // Issue 13: a private message is for the user: notified like a mention when the tab is hidden.
        if (event.from !== s.me && this.#opts.isHidden())
          this.#opts.notify?.({ room: null, from: event.from, text: event.text, private: true });
        return this.#toView(this.#item("private", event, event.at), {
          ...this.#unreadTab(event.from),
          ...this.#acked([event]),
        });
      case "notice":
        return this.#toView(this.#item("announce", event, event.at));
      case "throttled":
        return this.#set({
          throttled: event.queued > 0 ? { queued: event.queued, until: this.#now() + event.delayMs } : null,
        });
      case "error":
        this.#errors++;
        if (event.code === "resume_failed") {
          // The session is gone (expired, or the name taken): the next prompt registers anew.
          this.#token = null;
          this.#resuming = false;
          return;
        }
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
        if (ROOM_REFUSALS.has(event.code) && "room" in event.params) {
          this.#dropRoom(event.params.room);
          return this.#toView(this.#item("error", event, event.at));
        }
        // A refused history request must not leave "loading" on for good.
        if (event.code === "not_in_room" && s.rooms.some((r) => r.loadingOlder))
          this.#set({ rooms: s.rooms.map((r) => (r.loadingOlder ? { ...r, loadingOlder: false } : r)) });
        return this.#toView(this.#item("error", event, event.at));
      case "bye":
        this.#bye = event.reason;
        if (event.reason === "bad_password") {
          // Shown on the name screen; the next attempt reconnects.
          this.#password = null;
          this.#forgetSession();
          this.#toNameScreen();
          return this.#set({ passwordRefused: true, needPassword: true });
        }
        if (event.reason === "shutdown")
          return this.#set({
            dialog: { kind: "shutdown", ...(event.text ? { text: event.text } : {}), retryAt: null },
          });
        if (event.reason === "quit" || event.reason === "registration_timeout") return;
        // Kicked, or taken over by another page resuming this session: no automatic retry.
        return this.#set({
          dialog: { kind: "closed", reason: event.reason, ...(event.text ? { text: event.text } : {}) },
        });
      case "pong":
        clearTimeout(this.#pongTimer);
        return this.#barrier(event.id);
      case "ping":
        return this.#send({ type: "pong", ...("id" in event ? { id: event.id } : {}) });
      case "away": {
        // Issue 13: your own /away or /back (the top bar shows it), or the answer to your private
        // message to someone away; one line in the pane per event. What it says about the name is
        // put into the member lists at once (the server sends others' changes only with the next list).
        const away = event.away ? (event.text ?? "") : undefined;
        const rooms = s.rooms.map((r) =>
          r.users.some((u) => u.name === event.name)
            ? { ...r, users: r.users.map((u) => (u.name === event.name ? withAway(u, away) : u)) }
            : r,
        );
        this.#set({ rooms, ...(event.name === s.me ? { away: away ?? null } : {}) });
        return this.#toView(this.#item("system", event, event.at));
      }
      case "mode":
      case "invited":
      case "lang":
        // Issue 13: the page has its own language switch; `mode` and `invited` are not shown.
        return;
      default: {
        // An event type from a newer server: ignored rather than shown wrongly.
        const never: never = event;
        return never;
      }
    }
  }
}
