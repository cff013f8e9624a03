/**
 * Cluster mode (issue 12: `papo serve --redis URL`): the Redis store, fan-out and names composed
 * around the core, which does not know Redis exists.
 *
 * Names: the core claims a name synchronously (`Chat.claim`: check and insert in one step, so two
 * local clients never both win). Across nodes that cannot be synchronous, so the cluster's session
 * reserves the name in Redis first (SET NX with a lease, server/redis-names.ts) and only then runs
 * the core's registration, whose `claim` here also requires that reservation. While a reservation
 * is in flight, the session's further input waits in order behind it. See docs/operations.md
 * ("Several nodes").
 */

import type { Ban, BanTarget } from "../core/bans.ts";
import { Chat, type ChatOptions, type LogFn } from "../core/chat.ts";
import { canonicalName, checkName } from "../core/index.ts";
import type { Room } from "../core/room.ts";
import { encodeModes } from "../core/room-modes.ts";
import { Session, type SessionPort } from "../core/session.ts";
import type { InvitedEvent, LeaveReason, ModeEvent, UserInfo } from "../protocol/events.ts";
import { errorEvent } from "../protocol/events.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import { createRedisClient, type RedisClient, RedisKeys, type RedisLog, RedisStore } from "../store/redis.ts";
import type { Limits } from "./limits.ts";
import { type ControlMessage, type FanOutTarget, RedisFanOut } from "./redis-fanout.ts";
import { newNodeId, RedisNames } from "./redis-names.ts";
import { NodeWatch } from "./redis-nodes.ts";

/** Milliseconds Redis must stay away before users are told (shorter blips are only logged). */
const NOTICE_AFTER_MS = 1000;

/** Milliseconds a stopping node waits for its last Redis writes. */
const CLOSE_TIMEOUT_MS = 3000;

/** What a node needs to join a cluster: connected, and the fan-out's start fixed. */
export interface Cluster {
  readonly nodeId: string;
  readonly client: RedisClient;
  readonly store: RedisStore;
  readonly fanout: RedisFanOut;
  readonly names: RedisNames;
  readonly nodes: NodeWatch;
  /** The node's chat (a ClusterChat on this fan-out and these names), delivering from now on. */
  createChat(options: Omit<ChatOptions, "fanout">, log: LogFn): Chat;
  close(): Promise<void>;
}

/**
 * Connects to Redis (`redis://[:password@]host:port[/db]`, `rediss://`), opens the store (epoch and
 * secret shared by every node), and fixes where this node starts reading the cluster's events.
 * Rejects when Redis cannot be reached (the node does not start without it).
 */
export async function connectCluster(
  url: string,
  limits: Pick<Limits, "retentionMessages" | "clusterEventsMaxLength" | "nameLeaseMs">,
  log: LogFn,
  opts: { prefix?: string; nodeId?: string; blockMs?: number; readTimeoutMs?: number } = {},
): Promise<Cluster> {
  const rlog: RedisLog = (level, event, fields) => log(level, event, fields);
  // Quiet until the first connection (a failed start is one line from the caller); then one line
  // per outage: node-redis reports every failed reconnect, the fan-out says "down" and "up".
  let reported = true;
  const client = createRedisClient(url, (err) => {
    if (reported) return;
    reported = true;
    log("error", "redis_error", { error: err.message });
  });
  client.on("ready", () => {
    reported = false;
  });
  await connectOnce(client);
  const keys = new RedisKeys(opts.prefix);
  const nodeId = opts.nodeId ?? newNodeId();
  try {
    const store = await RedisStore.open(client, { prefix: keys.prefix, log: rlog });
    const fanout = await RedisFanOut.open(client, {
      keys,
      nodeId,
      roomMaxLength: limits.retentionMessages,
      eventsMaxLength: limits.clusterEventsMaxLength,
      log: rlog,
      onReconnect: () => store.refreshEpoch(),
      ...(opts.blockMs !== undefined ? { blockMs: opts.blockMs } : {}),
      ...(opts.readTimeoutMs !== undefined ? { readTimeoutMs: opts.readTimeoutMs } : {}),
    });
    const names = new RedisNames(client, keys, { nodeId, leaseMs: limits.nameLeaseMs, log: rlog });
    const nodes = new NodeWatch(client, keys, fanout, { nodeId, leaseMs: limits.nameLeaseMs, log: rlog });
    return {
      nodeId,
      client,
      store,
      fanout,
      names,
      nodes,
      createChat(options, chatLog) {
        const chat = new ClusterChat({ ...options, store, fanout }, names, fanout, chatLog);
        const target = fanOutTarget(chat);
        fanout.attach(target);
        // Users are told, instead of wondering why their lines do not come back (issue 12): once
        // per outage, and not for a blip shorter than NOTICE_AFTER_MS (a read that came back late
        // on a busy machine), so a flapping connection does not flood them with notices.
        let told = false;
        let pending: NodeJS.Timeout | undefined;
        fanout.onDown = () => {
          clearTimeout(pending);
          pending = setTimeout(() => {
            pending = undefined;
            if (!fanout.down || told) return;
            told = true;
            chat.broadcast({ type: "notice", code: "cluster_degraded", params: {}, at: Date.now() });
          }, NOTICE_AFTER_MS);
          pending.unref();
        };
        fanout.onUp = () => {
          clearTimeout(pending);
          pending = undefined;
          if (!told) return;
          told = false;
          chat.broadcast({ type: "notice", code: "cluster_restored", params: {}, at: Date.now() });
        };
        // Redis refused a line (out of memory: noeviction): its author is told it was not sent.
        fanout.onPublishFailed = (_key, event) => {
          const author =
            event.type === "message" || event.type === "action"
              ? event.from
              : event.type === "topic"
                ? event.by
                : undefined;
          const session = author === undefined ? undefined : chat.find(canonicalName(author));
          if (session) chat.deliver(session, errorEvent("internal", {}));
        };
        // Cut off longer than the lease: the others announced this node's users as gone, so they
        // are announced again. Redis came back empty: they are written back, quietly.
        nodes.onRevived = (declaredDead) => {
          for (const s of chat.members())
            for (const room of s.rooms) {
              if (declaredDead)
                fanout.publish(room.key, {
                  type: "joined",
                  room: room.name,
                  name: s.name,
                  address: s.shownAddress,
                  at: Date.now(),
                });
              else
                fanout.restoreMember(room.key, room.name, s.name, s.shownAddress).catch((err: unknown) => {
                  log("error", "redis_restore_failed", { error: String(err) });
                });
            }
          if (declaredDead) return;
          // What else Redis kept goes back too: the bans (every node has them all) and the modes
          // of the rooms this node has in memory, so a node started later enforces both.
          for (const ban of chat.bans.list())
            store.saveBan(ban).catch((err: unknown) => {
              log("error", "redis_restore_failed", { error: String(err) });
            });
          for (const key of target.rooms()) {
            const room = chat.room(key);
            if (room?.loaded && room !== chat.lobby && room.names.size > 0)
              fanout.saveModes(key, encodeModes(room.modes));
          }
        };
        names.start();
        nodes.start();
        return chat;
      },
      async close() {
        // Redis may be away: the last writes (users leaving, names freed) get a few seconds, then
        // the connection is cut (a node that dies is cleaned up by the others anyway).
        const orderly = (async () => {
          await fanout.close();
          await names.close();
          await nodes.close();
          await client.close();
        })();
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => {
          timer = setTimeout(resolve, CLOSE_TIMEOUT_MS, "late");
        });
        const outcome = await Promise.race([orderly.then(() => "done" as const), late]).catch(() => "failed");
        clearTimeout(timer);
        if (outcome !== "done") {
          log("warn", "redis_close_cut", { outcome });
          client.destroy();
        }
      },
    };
  } catch (err) {
    client.destroy();
    throw err;
  }
}

/** The first connection fails fast (a wrong URL is a start-up error, not a retry loop). */
async function connectOnce(client: RedisClient): Promise<void> {
  let failed: Error | undefined;
  const onError = (err: Error) => {
    failed ??= err;
  };
  client.on("error", onError);
  const connecting = client.connect();
  const timer = setInterval(() => {
    if (failed) client.destroy();
  }, 50);
  try {
    await connecting;
  } catch (err) {
    throw failed ?? err;
  } finally {
    clearInterval(timer);
    client.off("error", onError);
  }
}

/** The chat as the fan-out sees it. */
export function fanOutTarget(chat: Chat): FanOutTarget {
  return {
    ...(chat instanceof ClusterChat ? { control: (m: ControlMessage) => chat.control(m) } : {}),
    apply: (key, event) => chat.apply(key, event),
    head: (key) => {
      const room = chat.room(key);
      return room?.loaded ? room.head : undefined;
    },
    // Every room in memory, secret ones (`+s`) included: they catch up and are written back too.
    rooms: () => chat.roomKeys(),
  };
}

type ReserveResult = "ok" | "taken" | "error";

/** The chat of one cluster node: names are reserved cluster-wide before the core claims them. */
export class ClusterChat extends Chat {
  readonly names: RedisNames;
  readonly fanout: RedisFanOut;
  /** Local reservations, pending or done: canonical name -> the session that made it. */
  readonly #reserved = new Map<string, Session>();
  /** Sessions whose name another node took (their user resumed there): they go without a `left`. */
  readonly #replaced = new WeakSet<Session>();

  constructor(options: ChatOptions, names: RedisNames, fanout: RedisFanOut, log?: LogFn) {
    super(options, log);
    this.names = names;
    this.fanout = fanout;
    names.onLost = (canonical) => this.#lost(canonical);
  }

  /** How many are online in the cluster (`hello`): everyone registered is in the lobby. */
  override get online(): number {
    return this.lobby.names.size;
  }

  /** Everyone registered in the cluster (everyone is in the lobby): the operator's `/users`. */
  override users(): UserInfo[] {
    return this.lobby.users();
  }

  /** Operator: a notice to everyone on every node. */
  override announce(text: string): void {
    this.fanout.sendControl({ t: "announce", text });
  }

  /** Operator: removes a user, whichever node they are on. */
  override kick(canonical: string, reason?: string): string | undefined {
    const here = super.kick(canonical, reason);
    if (here !== undefined) return here;
    const remote = this.lobby.names.get(canonical);
    if (!remote) return undefined;
    this.fanout.sendControl({ t: "kick", to: canonical, ...(reason ? { reason } : {}) });
    return remote.name;
  }

  /**
   * Operator: a ban applies on every node (issue 13). It is stored (in Redis) and applied here at
   * once, then sent to every node, which adds it to its list and removes whoever it covers there.
   */
  override ban(
    target: BanTarget,
    opts: { durationMs?: number; reason?: string } = {},
  ): { ban: Ban; removed: string[] } {
    const result = super.ban(target, opts);
    this.fanout.sendControl({ t: "ban", ban: result.ban });
    // A banned name connected to another node is removed there.
    if (target.kind === "name") {
      const remote = this.lobby.names.get(target.key.slice(5));
      if (remote && !result.removed.includes(remote.name)) result.removed.push(remote.name);
    }
    return result;
  }

  override unban(key: string): Ban | undefined {
    const ban = super.unban(key);
    this.fanout.sendControl({ t: "unban", key });
    return ban;
  }

  /** Issue 12: a room's modes hold on every node (kept with the room in Redis, sent to all). */
  protected override modesChanged(room: Room<Session>, event: ModeEvent): void {
    this.fanout.sendModes(room.key, encodeModes(room.modes), event);
  }

  /** A user on another node (everyone registered anywhere is in the lobby). */
  protected override elsewhere(canonical: string): UserInfo | undefined {
    return this.lobby.names.get(canonical);
  }

  /** An invitation holds on every node: kept with the room, and sent to all (the invited user's tells them). */
  protected override inviteSent(room: Room<Session>, canonical: string, event: InvitedEvent): void {
    this.fanout.saveModes(room.key, encodeModes(room.modes));
    this.fanout.sendControl({ t: "invite", key: room.key, to: canonical, event });
  }

  /** The first member of a room became its operator here: the other nodes read it with the room. */
  protected override modesKept(room: Room<Session>): void {
    this.fanout.saveModes(room.key, encodeModes(room.modes));
  }

  /** A message from another node (or this one) that is not part of a room's log. */
  control(m: ControlMessage): void {
    switch (m.t) {
      case "ban":
        this.bans.add(m.ban);
        this.enforce(m.ban);
        return;
      case "unban":
        this.bans.remove(m.key);
        return;
      case "private": {
        const s = this.find(m.to);
        if (!s) return;
        this.deliver(s, m.event);
        // The sender learns the user is away, as on one node (never in answer to a notice).
        if (s.away !== undefined && !m.event.notice)
          this.fanout.sendControl({
            t: "away",
            to: canonicalName(m.event.from),
            event: { type: "away", name: s.name, away: true, text: s.away, at: Date.now() },
          });
        return;
      }
      case "away": {
        const s = this.find(m.to);
        if (s) this.deliver(s, m.event);
        return;
      }
      case "kick":
        super.kick(m.to, m.reason);
        return;
      case "announce":
        super.announce(m.text);
        return;
      case "mode":
        this.applyModeChange(m.key, m.event);
        return;
      case "invite":
        this.applyInvite(m.key, m.to, m.event);
        return;
      default: {
        const never: never = m;
        return never;
      }
    }
  }

  protected override newSession(port: SessionPort): Session {
    return new ClusterSession(this, port);
  }

  /** Reserves `canonical` in Redis for `session` (locally first, so this node never races itself). */
  async reserve(canonical: string, session: Session, nonce: string, resume: boolean): Promise<ReserveResult> {
    const holder = this.#reserved.get(canonical);
    if (holder && holder !== session && !holder.closed) return "taken";
    this.#reserved.set(canonical, session);
    let result: ReserveResult;
    try {
      result = (await this.names.reserve(canonical, nonce, resume)) ? "ok" : "taken";
    } catch (err) {
      this.log("error", "redis_name_reserve_failed", { error: String((err as Error)?.message ?? err) });
      result = "error";
    }
    if (result !== "ok" || session.closed) this.unreserve(canonical, session);
    return session.closed ? "error" : result;
  }

  /** Gives up a reservation `session` made and did not use. */
  unreserve(canonical: string, session: Session): void {
    if (this.#reserved.get(canonical) !== session) return;
    this.#reserved.delete(canonical);
    if (this.find(canonical) !== session) this.names.release(canonical);
  }

  override claim(canonical: string, session: Session): boolean {
    if (this.#reserved.get(canonical) !== session) return false;
    return super.claim(canonical, session);
  }

  override release(canonical: string, session: Session): void {
    super.release(canonical, session);
    if (this.#reserved.get(canonical) === session) {
      this.#reserved.delete(canonical);
      this.names.release(canonical);
    }
  }

  override transfer(from: Session, to: Session): ReturnType<Chat["transfer"]> {
    // A resume took over a half-open connection on this node: the reservation moves with the name.
    if (this.#reserved.get(from.canonical) === from) this.#reserved.set(from.canonical, to);
    return super.transfer(from, to);
  }

  /**
   * A leaving session is announced to every node, on shutdown too (one node's users leaving is
   * news to the others; the core skips it on one node, where everyone is leaving at once), except
   * a session whose user resumed on another node.
   */
  override leaveAll(session: Session, event: { reason: LeaveReason; text?: string }, _tell: boolean): void {
    super.leaveAll(session, event, !this.#replaced.has(session));
  }

  /** Another node took a name this node's user had: that user resumed there; this copy goes quietly. */
  #lost(canonical: string): void {
    const session = this.find(canonical);
    this.#reserved.delete(canonical);
    if (!session) return;
    this.#replaced.add(session);
    session.disconnect("replaced");
  }
}

/** A session whose registration and renames wait for the cluster-wide name reservation. */
class ClusterSession extends Session {
  /** Input that arrived while a reservation was in flight, replayed in order after it. */
  #waiting: (() => void)[] | undefined;

  get #cluster(): ClusterChat {
    return this.chat as ClusterChat;
  }

  /**
   * Runs `done` with the reservation's outcome, then the input that arrived meanwhile, in order
   * (a line typed right behind the name is a message once the name is taken, as on one node).
   */
  #after<T>(reserve: Promise<T>, done: (result: T) => void): void {
    this.#waiting = [];
    void reserve.then(done).finally(() => {
      const queued = this.#waiting ?? [];
      this.#waiting = undefined;
      for (const run of queued) {
        if (this.closed) break;
        run();
      }
    });
  }

  override line(text: string, room?: string, cid?: string): void {
    if (this.#waiting) this.#waiting.push(() => this.line(text, room, cid));
    else super.line(text, room, cid);
  }

  override nameRequest(name: string): void {
    if (this.#waiting) this.#waiting.push(() => this.nameRequest(name));
    else super.nameRequest(name);
  }

  override resumeRequest(token: string, rooms: Parameters<Session["resumeRequest"]>[1]): void {
    if (this.#waiting) this.#waiting.push(() => this.resumeRequest(token, rooms));
    else super.resumeRequest(token, rooms);
  }

  override register(raw: string, resume?: Parameters<Session["register"]>[1]): void {
    if (this.registered || this.closed) return;
    const check = checkName(raw, this.chat.options);
    // Invalid, banned (issue 13) and names taken on this node are answered by the core as usual.
    if (!check.ok || this.chat.find(check.canonical) || this.chat.bans.name(check.canonical))
      return super.register(raw, resume);
    const nonce = resume?.nonce ?? this.chat.newNonce();
    const rooms = resume?.rooms ?? [];
    const reserving = this.#cluster.reserve(check.canonical, this, nonce, resume !== undefined);
    this.#after(reserving, (result) => {
      if (this.closed) return;
      if (result === "ok") {
        // With the nonce fixed here (an empty room list registers exactly as a fresh name does).
        super.register(raw, { nonce, rooms });
        if (!this.registered) this.#cluster.unreserve(check.canonical, this);
        return;
      }
      if (result === "taken") this.chat.counters.refused("name_taken");
      this.send(
        result === "taken" ? errorEvent("name_taken", { name: check.name }) : errorEvent("internal", {}),
      );
      this.send({ type: "prompt", need: "name" });
    });
  }

  /** `@name text` to a user on another node goes through Redis; on this node, as always. */
  override whisper(to: string, raw: string, cid?: string, notice = false): void {
    const canonical = canonicalName(to);
    const remote = this.#cluster.find(canonical) ? undefined : this.chat.lobby.names.get(canonical);
    const text = sanitizeText(raw).trim();
    if (!remote || !text || canonical === this.canonical) return super.whisper(to, raw, cid, notice);
    const event = {
      type: "private" as const,
      from: this.name,
      to: remote.name,
      text,
      at: Date.now(),
      ...(cid !== undefined ? { cid } : {}),
      ...(notice ? { notice: true as const } : {}),
    };
    if (this.chat.options.logMessages)
      this.chat.log("info", "private", { from: this.name, to: remote.name, text });
    this.chat.counters.privateMessages++;
    this.#cluster.fanout.sendControl({ t: "private", to: canonical, event });
    this.send(event);
  }

  override rename(raw: string): void {
    const check = checkName(raw.trim(), this.chat.options);
    if (
      !check.ok ||
      check.canonical === this.canonical ||
      this.chat.find(check.canonical) ||
      this.chat.bans.name(check.canonical)
    )
      return super.rename(raw);
    const reserving = this.#cluster.reserve(check.canonical, this, this.chat.newNonce(), false);
    this.#after(reserving, (result) => {
      if (this.closed) return;
      if (result === "ok") {
        super.rename(raw);
        if (this.canonical !== check.canonical) this.#cluster.unreserve(check.canonical, this);
        return;
      }
      if (result === "taken") this.chat.counters.refused("name_taken");
      this.send(
        result === "taken" ? errorEvent("name_taken", { name: check.name }) : errorEvent("internal", {}),
      );
    });
  }
}
