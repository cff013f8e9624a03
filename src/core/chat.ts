/**
 * The chat: who is connected, who holds which name, the rooms and the order of each room's log.
 * No I/O here ("This package should not know anything about sockets" — ssh-chat): transports hand
 * the core a SessionPort per connection, and the server composes the store and, in a cluster, the
 * fan-out (core/ports.ts).
 *
 * Order: without a fan-out, a room's events get their seq here, synchronously, on the one event
 * loop, so every member sees one order and a joiner's history ends exactly where live delivery
 * begins (no lock needed, unlike ergo#543). With a fan-out, the seq comes from it and `apply` is
 * called in seq order per room.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  errorEvent,
  type GapReason,
  type InvitedEvent,
  isSaid,
  type LeaveReason,
  type ModeEvent,
  type RoomEvent,
  type RoomInfo,
  type ServerEvent,
  type UnsequencedRoomEvent,
  type UserInfo,
} from "../protocol/events.ts";
import { Admission, type Refusal, type Ticket } from "./admission.ts";
import { type Ban, BanList, type BanTarget, banCovers } from "./bans.ts";
import { ChatCounters } from "./counters.ts";
import { canonicalName } from "./nickname.ts";
import { type ChatOptions, DEFAULT_ROOM_LIMITS, type LogFn, type RoomLimits } from "./options.ts";
import type { MaybePromise, RoomStore } from "./ports.ts";
import { CidMemory, checkRoomName, LOBBY, Room } from "./room.ts";
import {
  applyModes,
  changeString,
  decodeModesInto,
  joinRefusal,
  type ModeRequest,
  parseModeRequest,
  resetModes,
} from "./room-modes.ts";
import { Session, type SessionHost, type SessionPort } from "./session.ts";
import { Whowas } from "./whowas.ts";

/** Where a resuming client was in one room. */
export interface ResumePoint {
  epoch: string;
  seq: number;
}

/** What a valid resume token says. */
export interface TokenClaim {
  name: string;
  nonce: string;
  expires: number;
}

/** `/history N` reads at most this many pages of N events looking for N things said. */
const HISTORY_PAGES = 10;

/** Runs `fn` on a value that may still be coming; errors go to `fail`. */
function when<T>(value: MaybePromise<T>, fn: (v: T) => void, fail: (err: unknown) => void): void {
  if (value instanceof Promise) value.then(fn, fail);
  else fn(value);
}

export class Chat implements SessionHost {
  readonly options: ChatOptions;
  readonly limits: RoomLimits;
  readonly log: LogFn;
  readonly store: RoomStore;
  /** Registered sessions by canonical name. */
  readonly #members = new Map<string, Session>();
  /** Every open session, registered or not. */
  readonly #sessions = new Set<Session>();
  readonly #admission: Admission | undefined;
  /** Admitted sessions and what they count against. */
  readonly #tickets = new Map<Session, Ticket>();
  /** Rooms held in memory, by canonical key. */
  readonly #rooms = new Map<string, Room<Session>>();
  readonly lobby: Room<Session>;
  /** Issue 13: what the metrics count (src/core/counters.ts); the server reads it. */
  readonly counters = new ChatCounters();
  /** Events appended since the last successful commit (so only commits that write are timed). */
  #uncommitted = 0;
  /** Issue 13: the bans this node enforces, loaded from the store at start. */
  readonly bans = new BanList();
  /** Settles once the stored bans are loaded (the server listens after it). */
  readonly bansLoaded: Promise<void>;
  #commitScheduled = false;
  #historyPaused = false;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #commitNow = () => {
    this.#commitScheduled = false;
    this.commit();
  };

  constructor(options: ChatOptions, log: LogFn = () => {}) {
    this.options = options;
    this.limits = { ...DEFAULT_ROOM_LIMITS, ...options.rooms };
    this.log = log;
    this.store = options.store;
    if (options.admission) this.#admission = new Admission(options.admission);
    this.lobby = this.#room(LOBBY, LOBBY);
    this.bansLoaded = new Promise<void>((resolve) => {
      const failed = (err: unknown) => {
        this.log("error", "bans_load_failed", { error: String((err as Error)?.message ?? err) });
        resolve();
      };
      try {
        when(
          this.store.bans ? this.store.bans(Date.now()) : [],
          (bans) => {
            for (const b of bans) this.bans.add(b);
            resolve();
          },
          failed,
        );
      } catch (err) {
        failed(err);
      }
    });
  }

  // ---- connections and names -------------------------------------------------------------

  /**
   * Counts a new session against the connection limits (ROBUSTNESS D23); `Session.start` calls it.
   * Returns why the connection is refused, or undefined when it is admitted.
   */
  admit(session: Session): Refusal | Ban | undefined {
    // Issue 13: a banned address is refused before it counts against anything.
    const ban = this.bans.address(session.port.remote);
    if (ban) return ban;
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
    const session = this.newSession(port);
    this.#sessions.add(session);
    this.counters.connectionsOpened++;
    return session;
  }

  /**
   * Makes the session for a new connection. The cluster layer (server/cluster.ts) overrides it:
   * there a name is reserved cluster-wide (asynchronously) before `claim` runs.
   */
  protected newSession(port: SessionPort): Session {
    return new Session(this, port);
  }

  get online(): number {
    return this.#members.size;
  }

  get connections(): number {
    return this.#sessions.size;
  }

  /** Every open session, registered or not (the metrics read their ports). */
  sessions(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** Users registered on this process (`online` counts a whole cluster). */
  get localUsers(): number {
    return this.#members.size;
  }

  /** Rooms held in memory: the lobby and those people are in (what `maxRooms` caps). */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Registered sessions, in join order. */
  members(): IterableIterator<Session> {
    return this.#members.values();
  }

  /** Everyone registered (the operator's `/users`). */
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

  /** Registered sessions by resume nonce: a token finds its session even after a rename. */
  readonly #byNonce = new Map<string, Session>();

  findByNonce(nonce: string): Session | undefined {
    return this.#byNonce.get(nonce);
  }

  bindNonce(nonce: string, session: Session): void {
    this.#byNonce.set(nonce, session);
  }

  unbindNonce(nonce: string, session: Session): void {
    if (this.#byNonce.get(nonce) === session) this.#byNonce.delete(nonce);
  }

  /** Names given up lately (IRC WHOWAS). */
  readonly whowas = new Whowas();

  /** Frees a name, if `session` still holds it (and remembers who had it, for WHOWAS). */
  release(canonical: string, session: Session): void {
    if (this.#members.get(canonical) !== session) return;
    this.#members.delete(canonical);
    const ident = session.port.ident;
    this.whowas.record(canonical, {
      name: session.name,
      address: session.shownAddress,
      ...(ident ? { ident } : {}),
      at: Date.now(),
    });
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
    // Issue 13: the one thing fan-out pays for the metrics, an integer add.
    this.counters.deliveries++;
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
   * Sends one event object to every registered user (but `except`), whatever their rooms: server
   * notices. The same object goes to everyone, so a transport encodes it once.
   */
  broadcast(event: ServerEvent, except?: Session): void {
    for (const s of this.#members.values()) if (s !== except) this.deliver(s, event);
  }

  /** Operator: a notice to everyone registered. */
  announce(text: string): void {
    this.broadcast({ type: "notice", code: "announce", params: { text }, at: Date.now() });
  }

  /** Operator: removes a user; their name as displayed, or undefined when nobody has that name. */
  kick(canonical: string, reason?: string): string | undefined {
    const s = this.#members.get(canonical);
    if (!s) return undefined;
    const name = s.name;
    s.disconnect("kicked", reason);
    return name;
  }

  // ---- bans (issue 13) ---------------------------------------------------------------------

  /**
   * Operator: bans an address, a network or a name, stores it, and disconnects the connections it
   * covers here. Returns the ban and the names of the users it removed.
   */
  ban(
    target: BanTarget,
    opts: { durationMs?: number; reason?: string } = {},
  ): { ban: Ban; removed: string[] } {
    const at = Date.now();
    const ban: Ban = {
      key: target.key,
      shown: target.shown,
      at,
      ...(opts.reason ? { reason: opts.reason } : {}),
      ...(opts.durationMs !== undefined ? { until: at + opts.durationMs } : {}),
    };
    this.bans.add(ban);
    this.#store("ban_save_failed", () => this.store.saveBan?.(ban));
    return { ban, removed: this.enforce(ban) };
  }

  /** Operator: lifts a ban; the ban, or undefined when none was in force. */
  unban(key: string): Ban | undefined {
    const ban = this.bans.remove(key);
    this.#store("ban_delete_failed", () => this.store.deleteBan?.(key));
    return ban;
  }

  /** Closes this node's connections `ban` covers; the names of the registered ones. */
  enforce(ban: Ban): string[] {
    const removed: string[] = [];
    for (const s of [...this.#sessions]) {
      if (s.closed || !banCovers(ban, s.port.remote, s.registered ? s.canonical : "")) continue;
      if (s.registered) removed.push(s.name);
      this.log("info", "banned", { remote: s.port.remote, name: s.name || undefined, ban: ban.shown });
      s.disconnect("banned", ban.reason, ban.until);
    }
    return removed;
  }

  /** Runs a store write that may be asynchronous; a failure is logged, never thrown. */
  #store(event: string, write: () => MaybePromise<unknown>): void {
    const failed = (err: unknown) =>
      this.log("error", event, { error: String((err as Error)?.message ?? err) });
    try {
      when(write(), () => {}, failed);
    } catch (err) {
      failed(err);
    }
  }

  /** Tells every connection the server is going away, and closes them. */
  shutdown(reason?: string): void {
    for (const s of [...this.#sessions]) s.disconnect("shutdown", reason);
    this.commit();
  }

  // ---- resume tokens ----------------------------------------------------------------------

  /** A token proving `session` is who it is, for a later `resume` (json and WebSocket). */
  tokenFor(name: string, nonce: string): string {
    const body = Buffer.from(
      JSON.stringify({ n: name, r: nonce, x: Date.now() + this.limits.resumeTtlMs }),
    ).toString("base64url");
    return `${body}.${this.#mac(body)}`;
  }

  /** The claim a token makes, or why it makes none. */
  readToken(token: string): TokenClaim | "invalid" | "expired" {
    const dot = token.indexOf(".");
    if (dot <= 0 || token.length > 1024) return "invalid";
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.#mac(body));
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return "invalid";
    try {
      const v = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
      if (typeof v.n !== "string" || typeof v.r !== "string" || typeof v.x !== "number") return "invalid";
      if (v.x < Date.now()) return "expired";
      return { name: v.n, nonce: v.r, expires: v.x };
    } catch {
      return "invalid";
    }
  }

  newNonce(): string {
    return randomBytes(9).toString("base64url");
  }

  #mac(body: string): string {
    return createHmac("sha256", this.store.secret).update(body).digest("base64url").slice(0, 22);
  }

  // ---- rooms ------------------------------------------------------------------------------

  /** The room with this canonical key, when it is in memory. */
  room(key: string): Room<Session> | undefined {
    return this.#rooms.get(key);
  }

  /** Rooms people are in (the lobby always), for `/rooms`. */
  roomList(viewer?: Session): RoomInfo[] {
    const out: RoomInfo[] = [];
    for (const r of this.#rooms.values()) {
      if (r !== this.lobby && r.names.size === 0) continue;
      // A secret room (`+s`) is listed to its members only.
      if (r.modes.secret && !(viewer && r.names.has(viewer.canonical))) continue;
      out.push({ room: r.name, users: r.names.size, ...(r.topic ? { topic: r.topic } : {}) });
    }
    return out;
  }

  /** The keys of the rooms in memory, the lobby's first (whatever their modes). */
  roomKeys(): string[] {
    return [...this.#rooms.keys()];
  }

  /** The room, made and loaded from the store if it is not in memory yet. */
  #room(key: string, name: string): Room<Session> {
    let room = this.#rooms.get(key);
    if (room) return room;
    room = new Room<Session>(key, name, Math.max(this.limits.roomRingSize, this.limits.historyOnJoin));
    this.#rooms.set(key, room);
    const r = room;
    when(
      this.store.head(key),
      (head) => {
        if (head) {
          r.head = head.seq;
          r.name = head.room;
          r.topic = head.topic;
          if (head.modes !== undefined && !decodeModesInto(r.modes, head.modes))
            this.log("warn", "room_modes_unreadable", { room: head.room });
        } else {
          this.store.saveRoom(key, { room: name });
        }
        when(
          // The ring holds at least what a join shows (historyOnJoin may exceed roomRingSize).
          this.store.recent(key, Math.max(this.limits.roomRingSize, this.limits.historyOnJoin)),
          (recent) => {
            if (!this.store.members) return this.#loaded(r, recent);
            when(
              this.store.members(key),
              (users) => {
                for (const u of users) r.names.set(canonicalName(u.name), u);
                this.#loaded(r, recent);
              },
              (err) => this.#loadFailed(r, err),
            );
          },
          (err) => this.#loadFailed(r, err),
        );
      },
      (err) => this.#loadFailed(r, err),
    );
    return room;
  }

  #loaded(room: Room<Session>, recent: RoomEvent[]): void {
    for (const e of recent) {
      if (e.seq <= room.head - recent.length) continue;
      room.ring.push(e);
      if ((e.type === "message" || e.type === "action") && e.cid !== undefined)
        room.cids.remember(canonicalName(e.from), e.cid);
    }
    const last = room.ring.at(-1);
    if (last && last.seq > room.head) room.head = last.seq;
    // Issue 12: modes read from a cluster's store may name members who left since (an operator
    // who left must not be one again by coming back under that name): only those present keep
    // their status, and an invitation of someone present was used.
    for (const set of [room.modes.ops, room.modes.voiced])
      for (const k of set) if (!room.names.has(k)) set.delete(k);
    for (const k of room.modes.invited) if (room.names.has(k)) room.modes.invited.delete(k);
    room.loaded = true;
    for (const e of room.buffered.splice(0)) this.#applyTo(room, e);
    for (const run of room.waiting.splice(0)) {
      // One failing callback (a join, or something done right behind it) loses none of the others.
      try {
        run();
      } catch (err) {
        this.log("error", "room_waiting_failed", {
          room: room.name,
          error: String((err as Error)?.message ?? err),
        });
      }
    }
    // A join refused by the modes it brought: dropped once everyone waiting had their turn.
    if (this.#refusedOnLoad.delete(room)) this.#maybeDrop(room);
  }

  /** Rooms where a join waiting for the load was refused (see `enter`). */
  readonly #refusedOnLoad = new WeakSet<Room<Session>>();

  #loadFailed(room: Room<Session>, err: unknown): void {
    // The room works without its past: history is lost for it, never the live chat.
    this.log("error", "store_read_failed", {
      room: room.name,
      error: String((err as Error)?.message ?? err),
    });
    this.#loaded(room, []);
  }

  /** Runs `fn` once the room is loaded (at once when it is). */
  #whenLoaded(room: Room<Session>, fn: () => void): void {
    if (room.loaded) fn();
    else room.waiting.push(fn);
  }

  /** Drops a room nobody is in from memory (its log stays in the store). */
  #maybeDrop(room: Room<Session>): void {
    if (room === this.lobby || room.names.size > 0 || room.locals.size > 0 || !room.loaded) return;
    this.#rooms.delete(room.key);
  }

  /**
   * `session` joins the room `raw` names (creating it), which becomes its current room. With
   * `resume`, the history replayed is what came after the client's seq (or a `gap` when that
   * cannot be told), else the last `historyOnJoin` events. `announce: false` joins without a
   * `joined` event (a resumed session that never left).
   */
  join(session: Session, raw: string, resume?: ResumePoint, key?: string): void {
    let check = checkRoomName(raw, this.limits.maxRoomNameLength);
    // A confusable spelling of a room people are in is that room (`#gеral` with a Cyrillic е).
    const same = check.ok ? undefined : check.key && this.#rooms.get(check.key);
    if (same) check = { ok: true, name: same.name, key: same.key };
    if (!check.ok) return session.send(errorEvent("room_invalid", { reason: check.reason }));
    const existing = this.#rooms.get(check.key);
    if (existing && session.rooms.has(existing)) {
      session.current = existing;
      return session.send({ type: "current", room: existing.name });
    }
    if (session.rooms.size >= this.limits.maxRoomsPerUser)
      return session.send(errorEvent("too_many_rooms", { limit: this.limits.maxRoomsPerUser }));
    if (!existing && this.#rooms.size >= this.limits.maxRooms)
      return session.send(errorEvent("rooms_full", { limit: this.limits.maxRooms }));
    // The room's modes (room-modes.ts), set by its operators, hold for every kind of client, and
    // for a resume too (it names its rooms itself) unless it is coming back (#comingBack).
    const refused =
      existing?.loaded && !(resume && this.#comingBack(existing, session.canonical))
        ? joinRefusal(existing, session, key)
        : undefined;
    if (refused) return session.send(refused);
    const room = existing ?? this.#room(check.key, check.name);
    const point = resume ? { resume } : {};
    if (room.loaded) {
      room.modes.invited.delete(session.canonical);
      this.enter(session, room, { current: true, announce: true, ...point });
      return;
    }
    // Issue 12: a room still loading (a cluster node that had not seen it) brings its modes with
    // it: they are checked once it is loaded.
    this.enter(session, room, { current: true, announce: true, ...point, check: { key } });
  }

  /**
   * True when a resume of `canonical` comes back to `room` rather than into it: the name is still
   * a member (a half-open connection being taken over), or the room's recent log shows that its
   * last departure was a lost connection (`disconnected`, `error`), with no join since. Rooms go
   * by names (an invitation is a name too), so a member whose Wi-Fi dropped gets back into a
   * keyed or invite-only room without the key, and nobody else does.
   */
  #comingBack(room: Room<Session>, canonical: string): boolean {
    if (room.names.has(canonical)) return true;
    for (let i = room.ring.length - 1; i >= 0; i--) {
      const e = room.ring[i] as RoomEvent;
      if (e.type === "left" && canonicalName(e.name) === canonical)
        return e.reason === "disconnected" || e.reason === "error";
      if (e.type === "joined" && canonicalName(e.name) === canonical) return false;
      if (e.type === "renamed" && (canonicalName(e.from) === canonical || canonicalName(e.to) === canonical))
        return false;
    }
    return false;
  }

  /**
   * Puts `session` in `room` and shows it the room: a `room` event (who is there, the topic, the
   * epoch and the head), then its history, then everything live. In one synchronous step when the
   * room is loaded and the history is in memory, so nothing falls between history and live.
   */
  enter(
    session: Session,
    room: Room<Session>,
    opts: {
      current: boolean;
      announce: boolean;
      resume?: ResumePoint;
      initial?: boolean;
      /** A join to check against the room's modes once it is loaded (the key the joiner gave). */
      check?: { key: string | undefined };
    },
  ): void {
    if (session.closed) return;
    // Reserve the place at once, so a second join before the load completes is not a new join.
    const previous = session.current;
    session.rooms.add(room);
    if (opts.current) session.current = room;
    this.#whenLoaded(room, () => {
      if (session.closed || !session.rooms.has(room)) return;
      if (opts.check && !(opts.resume && this.#comingBack(room, session.canonical))) {
        const refused = joinRefusal(room, session, opts.check.key);
        if (refused) {
          session.rooms.delete(room);
          if (session.current === room)
            session.current = session.rooms.has(previous)
              ? previous
              : ([...session.rooms].at(-1) ?? this.lobby);
          session.send(refused);
          this.#refusedOnLoad.add(room);
          return;
        }
        room.modes.invited.delete(session.canonical);
      }
      room.locals.add(session);
      session.send({
        type: "room",
        room: room.name,
        users: room.users(),
        ...(room.topic ? { topic: room.topic } : {}),
        epoch: this.store.epoch,
        seq: room.head,
        current: session.current === room,
        ...(opts.initial ? { initial: true } : {}),
      });
      this.#showHistory(session, room, opts.resume);
      if (opts.announce)
        this.publish(room, {
          type: "joined",
          room: room.name,
          name: session.name,
          address: session.shownAddress,
          at: Date.now(),
        });
      else room.names.set(session.canonical, session.info());
    });
  }

  /** The history a member sees on entering: after its resume point, or the last N. */
  #showHistory(session: Session, room: Room<Session>, resume: ResumePoint | undefined): void {
    const head = room.head;
    if (resume && resume.epoch === this.store.epoch && resume.seq <= head) {
      if (resume.seq === head) {
        session.send({ type: "history", room: room.name, events: [], more: false, kind: "resume" });
        return;
      }
      if (head - resume.seq > this.limits.resumeMaxEvents) return this.#gap(session, room, "pruned");
      const inRing = room.after(resume.seq);
      if (inRing) {
        session.send({ type: "history", room: room.name, events: inRing, more: false, kind: "resume" });
        return;
      }
      // Older than the ring: read the store, holding live events for this member meanwhile.
      const hold = session.hold(room);
      when(
        this.store.first(room.key),
        (first) => {
          if (resume.seq + 1 < first) {
            // The gap's history is the room's last N up to now, the held events included.
            session.release(room, () => []);
            this.#gap(session, room, "pruned");
            return;
          }
          when(
            this.store.range(room.key, resume.seq, head - resume.seq),
            (events) => {
              const upTo = events.filter((e) => e.seq <= head);
              // A hole in the log (events let go while the disk was full) is a gap, never a
              // silent skip.
              if (upTo.some((e, i) => e.seq !== resume.seq + 1 + i) || upTo.length !== head - resume.seq) {
                session.release(room, () => []);
                this.#gap(session, room, "pruned");
                return;
              }
              session.send({ type: "history", room: room.name, events: upTo, more: false, kind: "resume" });
              session.release(room, (held) => held.filter((e) => e.seq > head));
            },
            (err) => {
              this.log("error", "store_read_failed", { room: room.name, error: String(err) });
              session.release(room, (held) => held);
            },
          );
        },
        () => session.release(room, (held) => held),
      );
      void hold;
      return;
    }
    if (resume) return this.#gap(session, room, resume.epoch === this.store.epoch ? "pruned" : "epoch");
    this.#lastN(session, room);
  }

  #gap(session: Session, room: Room<Session>, reason: GapReason): void {
    session.send({ type: "gap", room: room.name, reason, epoch: this.store.epoch, seq: room.head });
    this.#lastN(session, room);
  }

  #lastN(session: Session, room: Room<Session>): void {
    const n = this.limits.historyOnJoin;
    const events = room.last(n);
    const more = (events[0]?.seq ?? room.head + 1) > 1 && events.length >= n;
    session.send({ type: "history", room: room.name, events, more, kind: "join" });
  }

  /** `session` leaves `room` (not the last one it is in); everyone there is told. */
  part(session: Session, room: Room<Session>, tell = true, text?: string): void {
    if (!session.rooms.has(room)) return;
    session.rooms.delete(room);
    room.locals.delete(session);
    session.release(room, () => []);
    if (session.current === room) session.current = [...session.rooms].at(-1) ?? this.lobby;
    if (room.names.has(session.canonical) && tell)
      this.publish(room, {
        type: "left",
        room: room.name,
        name: session.name,
        reason: "quit",
        ...(text ? { text } : {}),
        at: Date.now(),
      });
    else room.names.delete(session.canonical);
    this.#maybeDrop(room);
  }

  /** A session that is going away leaves every room it is in (one `left` per room). */
  leaveAll(session: Session, event: { reason: LeaveReason; text?: string }, tell: boolean): void {
    for (const room of [...session.rooms]) {
      session.rooms.delete(room);
      room.locals.delete(session);
      if (tell && room.names.has(session.canonical))
        this.publish(room, {
          type: "left",
          room: room.name,
          name: session.name,
          reason: event.reason,
          ...(event.text ? { text: event.text } : {}),
          at: Date.now(),
        });
      else room.names.delete(session.canonical);
      this.#maybeDrop(room);
    }
  }

  /**
   * A resuming connection takes over a session whose connection is still half-open: the name,
   * the rooms and the current room move to `to` without anyone seeing a leave or a join.
   */
  transfer(from: Session, to: Session): Room<Session>[] {
    const rooms = [...from.rooms];
    this.#members.set(from.canonical, to);
    for (const room of rooms) {
      room.locals.delete(from);
      room.names.set(from.canonical, to.info());
    }
    return rooms;
  }

  // ---- room operators (room-modes.ts) ------------------------------------------------------

  /** A room operator changes the room's modes; every member present is told what changed. */
  setModes(session: Session, room: Room<Session>, requests: readonly ModeRequest[]): void {
    if (!room.modes.ops.has(session.canonical))
      return session.send(errorEvent("not_room_operator", { room: room.name }));
    const result = applyModes(
      room.modes,
      requests,
      (name) => {
        const key = canonicalName(name);
        const info = room.names.get(key);
        return info ? { key, name: info.name } : undefined;
      },
      session.name,
    );
    for (const p of result.problems)
      session.send(
        errorEvent("bad_mode", {
          room: room.name,
          mode: p.mode,
          problem: p.problem,
          ...(p.arg !== undefined ? { arg: p.arg } : {}),
        }),
      );
    if (result.applied.length === 0) return;
    const { modes, args } = changeString(result.applied);
    this.modesChanged(room, { type: "mode", room: room.name, by: session.name, modes, args, at: Date.now() });
  }

  /**
   * Modes were changed here (already applied to `room.modes`): the members present are told. A
   * cluster (server/cluster.ts) sends the change to every node instead, this one included.
   */
  protected modesChanged(room: Room<Session>, event: ModeEvent): void {
    for (const s of room.locals) this.deliver(s, event);
  }

  /**
   * The room's modes changed without an announcement (its first member became its operator). One
   * server has nothing to do; a cluster keeps them with the room for the other nodes.
   */
  protected modesKept(_room: Room<Session>): void {}

  /**
   * A change of modes as announced (on another node of a cluster, or this one): applied to the
   * room if it is in memory (again, which changes nothing, where it was made) and told to the
   * members present.
   */
  applyModeChange(key: string, event: ModeEvent): void {
    const room = this.#rooms.get(key);
    if (!room) return;
    // Loading: what it reads may be from before this change, so the change waits for it.
    if (!room.loaded) {
      room.waiting.push(() => this.applyModeChange(key, event));
      return;
    }
    applyModes(
      room.modes,
      parseModeRequest(event.modes, event.args, Number.POSITIVE_INFINITY),
      (name) => {
        const k = canonicalName(name);
        const info = room.names.get(k);
        return info ? { key: k, name: info.name } : undefined;
      },
      event.by,
      event.at,
    );
    for (const s of room.locals) this.deliver(s, event);
  }

  /** A room operator removes `name` from the room (not from the chat): a `left` with `by`. */
  kickFromRoom(session: Session, room: Room<Session>, name: string, text?: string): void {
    if (!room.modes.ops.has(session.canonical))
      return session.send(errorEvent("not_room_operator", { room: room.name }));
    const key = canonicalName(name);
    const info = room.names.get(key);
    if (!info) return session.send(errorEvent("user_not_in_room", { room: room.name, name }));
    // The member is taken out where the `left` is applied (#applyTo): here, or in a cluster on
    // the node they are connected to.
    this.publish(room, {
      type: "left",
      room: room.name,
      name: info.name,
      reason: "kicked",
      by: session.name,
      ...(text ? { text } : {}),
      at: Date.now(),
    });
  }

  /** A member kicked out of `room` (they were told with the `left`): out of it, here. */
  #takeOut(target: Session, room: Room<Session>): void {
    target.rooms.delete(room);
    room.locals.delete(target);
    target.release(room, () => []);
    if (target.current === room) target.current = [...target.rooms].at(-1) ?? this.lobby;
    target.send({ type: "parted", room: room.name, current: target.current.name });
    this.#maybeDrop(room);
  }

  /** A member invites `name` to the room (operators only while it is invite-only). */
  invite(session: Session, room: Room<Session>, name: string): void {
    const key = canonicalName(name);
    const shown = this.#members.get(key)?.name ?? this.elsewhere(key)?.name;
    if (shown === undefined) return session.send(errorEvent("unknown_user", { name }));
    if (room.names.has(key))
      return session.send(errorEvent("user_in_room", { room: room.name, name: shown }));
    if (room.modes.inviteOnly && !room.modes.ops.has(session.canonical))
      return session.send(errorEvent("not_room_operator", { room: room.name }));
    room.modes.invited.add(key);
    const event: InvitedEvent = {
      type: "invited",
      room: room.name,
      by: session.name,
      name: shown,
      at: Date.now(),
    };
    this.inviteSent(room, key, event);
    session.send(event);
  }

  /** A user registered on another node of a cluster (none for one server). */
  protected elsewhere(_canonical: string): UserInfo | undefined {
    return undefined;
  }

  /**
   * An invitation was made here (already in `room.modes.invited`): the invited user is told. A
   * cluster sends it to every node instead (the invited user may be on any of them).
   */
  protected inviteSent(_room: Room<Session>, canonical: string, event: InvitedEvent): void {
    const target = this.#members.get(canonical);
    if (target) this.deliver(target, event);
  }

  /** An invitation made on a node of the cluster: kept in the room, if here, and told to the invited user, if here. */
  applyInvite(key: string, canonical: string, event: InvitedEvent): void {
    const room = this.#rooms.get(key);
    if (room && !room.loaded) {
      room.waiting.push(() => this.applyInvite(key, canonical, event));
      return;
    }
    if (room && !room.names.has(canonical)) room.modes.invited.add(canonical);
    const target = this.#members.get(canonical);
    if (target) this.deliver(target, event);
  }

  // ---- the log ----------------------------------------------------------------------------

  /**
   * Gives a room event its place in the room's log and delivers it: here when this process orders
   * its rooms (the store is told to keep it before any byte of it is written: see `commit`), or
   * through the cluster's fan-out, which calls `apply` on every node.
   */
  publish(room: Room<Session>, event: UnsequencedRoomEvent): void {
    if (this.options.fanout) return this.options.fanout.publish(room.key, event);
    if (!room.loaded) {
      room.waiting.push(() => this.publish(room, event));
      return;
    }
    // The event is the caller's own literal: it gets its seq in place (a copy made with a spread
    // cost a new hidden class per message in the profile, issue 14).
    const e = event as RoomEvent;
    e.seq = room.head + 1;
    this.store.append(room.key, [e]);
    this.#uncommitted++;
    this.#scheduleCommit();
    this.#applyTo(room, e);
  }

  /** An ordered event from the fan-out (cluster mode). Events of rooms not in memory are skipped. */
  apply(key: string, event: RoomEvent): void {
    const room = this.#rooms.get(key);
    if (!room) return;
    if (!room.loaded) {
      room.buffered.push(event);
      return;
    }
    this.#applyTo(room, event);
  }

  #applyTo(room: Room<Session>, e: RoomEvent): void {
    // Already applied (a cluster may deliver an event again after a reconnect).
    if (e.seq <= room.head) return;
    switch (e.type) {
      case "joined": {
        const key = canonicalName(e.name);
        // Whoever enters an empty room first is its operator (never in the lobby: everyone's).
        // An invitation is used up by the join, on every node.
        room.modes.invited.delete(key);
        if (room !== this.lobby && room.names.size === 0) {
          room.modes.ops.add(key);
          // Kept where the joiner is connected (one node of a cluster), with nothing announced.
          if (this.#members.has(key)) this.modesKept(room);
        }
        room.names.set(key, this.#members.get(key)?.info() ?? { name: e.name, address: e.address });
        break;
      }
      case "left": {
        const key = canonicalName(e.name);
        room.names.delete(key);
        room.modes.ops.delete(key);
        room.modes.voiced.delete(key);
        // Issue 12: the last member of the whole cluster left (one server drops the room then).
        if (room !== this.lobby && room.names.size === 0) resetModes(room.modes);
        break;
      }
      case "renamed": {
        const from = canonicalName(e.from);
        const to = canonicalName(e.to);
        const info = room.names.get(from);
        room.names.delete(from);
        room.names.set(to, this.#members.get(to)?.info() ?? { name: e.to, address: info?.address ?? null });
        for (const set of [room.modes.ops, room.modes.voiced]) if (set.delete(from)) set.add(to);
        break;
      }
      case "topic":
        room.topic = e.topic || undefined;
        break;
      default:
        break;
    }
    room.record(e);
    if ((e.type === "message" || e.type === "action") && e.cid !== undefined)
      room.cids.remember(canonicalName(e.from), e.cid);
    // Text users do not get their own messages and joins back; json users do (their ack and seq).
    const actor = e.type === "message" ? e.from : e.type === "joined" ? e.name : undefined;
    for (const s of room.locals) {
      if (actor !== undefined && !s.port.echo && s.name === actor) continue;
      if (s.holding(room, e)) continue;
      this.deliver(s, e);
    }
    if (e.type === "left" && e.reason === "kicked") {
      const target = this.#members.get(canonicalName(e.name));
      if (target?.rooms.has(room)) this.#takeOut(target, room);
    }
  }

  /** Client ids of private messages, by sender: a resent private message is not delivered twice. */
  readonly #privateCids = new CidMemory();

  /**
   * True when `from` already sent a private message with this client id; else remembers it. The
   * memory is per name, so it survives a resume.
   */
  seenPrivate(from: string, cid: string): boolean {
    const key = canonicalName(from);
    if (this.#privateCids.has(key, cid)) return true;
    this.#privateCids.remember(key, cid);
    return false;
  }

  /** True when `from` recently posted a message or action with this client id in `room`. */
  seen(room: Room<Session>, from: string, cid: string): boolean {
    return room.cids.has(canonicalName(from), cid);
  }

  /**
   * Older history of a room for `/history` and json `history`: before `before`, at most `limit`
   * events. With `said`, the limit counts what people said (`isSaid`: what `/history N` shows
   * in text), reading further back past joins and leaves, a few pages at most.
   */
  history(session: Session, room: Room<Session>, before: number, limit: number, said = false): void {
    const n = Math.max(1, Math.min(limit, this.limits.historyMaxPerRequest));
    const send = (events: RoomEvent[], from: number) => {
      const first = events[0]?.seq ?? from;
      when(
        this.store.first(room.key),
        (oldest) =>
          session.send({ type: "history", room: room.name, events, more: first > oldest, kind: "request" }),
        () => session.send({ type: "history", room: room.name, events, more: false, kind: "request" }),
      );
    };
    /** Up to n events before `end`, from the ring when it holds them all, else from the store. */
    const read = (end: number, then: (events: RoomEvent[]) => void) => {
      if (end >= room.ringStart && end - n >= room.ringStart) {
        const i = room.ring.length - (room.head + 1 - end);
        return then(room.ring.slice(Math.max(0, i - n), i));
      }
      when(this.store.before(room.key, end, n), then, (err) => {
        this.log("error", "store_read_failed", { room: room.name, error: String(err) });
        then([]);
      });
    };
    const end = Math.min(before, room.head + 1);
    if (!said) return read(end, (events) => send(events, end));
    const kept: RoomEvent[] = [];
    const page = (at: number, pages: number) =>
      read(at, (events) => {
        kept.unshift(...events.filter(isSaid));
        const first = events[0]?.seq;
        if (kept.length >= n || events.length < n || first === undefined || pages >= HISTORY_PAGES)
          return send(kept.slice(-n), first ?? at);
        page(first, pages + 1);
      });
    page(end, 1);
  }

  /**
   * Newer history of a room (IRC draft/chathistory AFTER, BETWEEN, AROUND): the events after seq
   * `after`, oldest first, at most `limit` (and `historyMaxPerRequest`); a `history` event of kind
   * `request`, `more` true when the room has events past the last one sent.
   */
  historyAfter(session: Session, room: Room<Session>, after: number, limit: number): void {
    const n = Math.max(1, Math.min(limit, this.limits.historyMaxPerRequest));
    const from = Math.max(0, after);
    const send = (events: RoomEvent[]) => {
      const upTo = events.slice(0, n);
      const last = upTo.at(-1)?.seq ?? room.head;
      session.send({
        type: "history",
        room: room.name,
        events: upTo,
        more: last < room.head,
        kind: "request",
      });
    };
    const inRing = room.after(from);
    if (inRing) return send(inRing);
    when(this.store.range(room.key, from, n), send, (err) => {
      this.log("error", "store_read_failed", { room: room.name, error: String(err) });
      send([]);
    });
  }

  /**
   * Makes what was appended durable. The transports call this before writing any bytes (per
   * flush, not per message), so whatever anyone has seen is stored. When the store fails (disk
   * full) chat goes on: the operator gets one error line, users are told history is paused, and
   * it is tried again every `storeRetryMs` until it works.
   */
  commit(): void {
    if (this.options.fanout) return;
    // Issue 13: a commit with something to write is timed (the transports call this once per
    // flush per connection, and all but the first of a turn have nothing to do).
    const events = this.#uncommitted;
    const started = events > 0 ? performance.now() : 0;
    try {
      const r = this.store.commit();
      if (r instanceof Promise)
        r.then(
          () => this.#committed(events, started),
          (err) => this.#commitFailed(err),
        );
      else this.#committed(events, started);
    } catch (err) {
      this.#commitFailed(err);
    }
  }

  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    setImmediate(this.#commitNow);
  }

  #committed(events: number, started: number): void {
    if (events > 0) {
      this.counters.storeCommits.observe(performance.now() - started);
      this.counters.storeEvents += events;
      this.#uncommitted -= events;
    }
    if (!this.#historyPaused) return;
    this.#historyPaused = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.log("warn", "history_resumed", {});
    this.broadcast({ type: "notice", code: "history_resumed", params: {}, at: Date.now() });
  }

  #commitFailed(err: unknown): void {
    this.counters.storeFailures++;
    if (!this.#historyPaused) {
      this.#historyPaused = true;
      this.log("error", "history_paused", { error: String((err as Error)?.message ?? err) });
      this.broadcast({ type: "notice", code: "history_paused", params: {}, at: Date.now() });
    }
    if (!this.#retryTimer) {
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        this.commit();
      }, this.limits.storeRetryMs).unref();
    }
  }

  get historyPaused(): boolean {
    return this.#historyPaused;
  }
}

export {
  type ChatOptions,
  DEFAULT_ROOM_LIMITS,
  type LogFn,
  type LogLevel,
  type RoomLimits,
} from "./options.ts";
