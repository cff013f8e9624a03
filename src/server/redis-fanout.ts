/**
 * The cluster's fan-out over Redis (issue 12): the core's FanOut port (core/ports.ts).
 *
 * Publishing is one script call, atomic in Redis: the room's next seq (HINCRBY on its hash), the
 * event appended to the room's stream with that seq as its id (the room log the RedisStore reads),
 * and the same event appended to one cluster-wide stream, `P events` (MAXLEN ~, a limit).
 *
 * Receiving uses no SUBSCRIBE: every node reads `P events` with XREAD BLOCK from the last id it
 * has seen, on a connection of its own. A reconnect is the same call from the same id, so nothing
 * published meanwhile is skipped (the resubscribe that silently delivers nothing, node-redis#2823,
 * cannot happen: there is no subscription). Events are applied in stream order, which is seq order
 * per room (the script is atomic); before applying an event that is not `head + 1` for its room,
 * the node reads the missing ones from the room's stream (a node that fell behind the global
 * stream's trimming, or Redis data lost). A read that takes longer than `block + readTimeoutMs`
 * means Redis is hung (SIGSTOP): the reading connection is dropped and opened again.
 *
 * Each event is decoded once per node and the same object goes to every local recipient.
 */
import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Ban } from "../core/bans.ts";
import { canonicalName } from "../core/nickname.ts";
import type { FanOut } from "../core/ports.ts";
import type {
  InvitedEvent,
  ModeEvent,
  RoomEvent,
  ServerEvent,
  UnsequencedRoomEvent,
} from "../protocol/events.ts";
import {
  decodeEntries,
  decodeEvent,
  encodeEvent,
  type RedisClient,
  type RedisKeys,
  type RedisLog,
  type StreamEntry,
} from "../store/redis.ts";

/**
 * A message between nodes that is not part of a room's log (no seq): a private message for a
 * user connected to another node, and the operator's kick and announcement.
 */
export type ControlMessage =
  | { t: "private"; to: string; event: Extract<ServerEvent, { type: "private" }> }
  /** Issue 13: the answer to a private message sent to a user who is away, for its sender. */
  | { t: "away"; to: string; event: Extract<ServerEvent, { type: "away" }> }
  | { t: "kick"; to: string; reason?: string }
  | { t: "announce"; text: string }
  /** Issue 13: a ban set or lifted on one node applies on every node (the store keeps it too). */
  | { t: "ban"; ban: Ban }
  | { t: "unban"; key: string }
  /** A room's modes changed on one node: every node that has the room applies and tells it. */
  | { t: "mode"; key: string; event: ModeEvent }
  /** An invitation to a room (`to`: the invited user's canonical name), for whichever node has them. */
  | { t: "invite"; key: string; to: string; event: InvitedEvent };

/** What the fan-out needs of the chat (server.ts adapts Chat to it). */
export interface FanOutTarget {
  /** Applies an ordered event (Chat.apply). */
  apply(key: string, event: RoomEvent): void;
  /** The last seq applied to the room; undefined when it is not in memory or still loading. */
  head(key: string): number | undefined;
  /** Keys of the rooms in memory (to catch up after Redis was away). */
  rooms(): Iterable<string>;
  /** A control message from any node (this one included), in stream order. */
  control?(message: ControlMessage): void;
}

/**
 * KEYS: meta hash, room stream, events stream, rooms set, presence hash, the user's node's set.
 * ARGV: room key, event JSON (no seq), room MAXLEN, events MAXLEN, display name, has-topic, topic,
 * floor (the publishing node's head for the room: the seq never goes below what a node has seen,
 * even when Redis lost its last writes), presence change (j: joined, l: left, r: renamed, -:
 * none), canonical name, new canonical name (renamed), the member's JSON (joined) or new name.
 */
const PUBLISH = `
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local floor = tonumber(ARGV[8])
if seq <= floor then
  seq = floor + 1
  redis.call('HSET', KEYS[1], 'seq', seq)
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'e', ARGV[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'k', ARGV[1], 's', seq, 'e', ARGV[2])
redis.call('HSETNX', KEYS[1], 'room', ARGV[5])
if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'topic', ARGV[7]) end
redis.call('SADD', KEYS[4], ARGV[1])
local change = ARGV[9]
if change == 'j' then
  redis.call('HSET', KEYS[5], ARGV[10], ARGV[12])
  redis.call('SADD', KEYS[6], ARGV[1] .. '\\n' .. ARGV[10])
elseif change == 'l' then
  redis.call('HDEL', KEYS[5], ARGV[10])
  redis.call('SREM', KEYS[6], ARGV[1] .. '\\n' .. ARGV[10])
  if redis.call('HLEN', KEYS[5]) == 0 then redis.call('HDEL', KEYS[1], 'modes') end
elseif change == 'r' then
  local v = redis.call('HGET', KEYS[5], ARGV[10])
  local u = { name = ARGV[12], address = cjson.null }
  if v then
    u = cjson.decode(v)
    u.name = ARGV[12]
  end
  redis.call('HDEL', KEYS[5], ARGV[10])
  redis.call('HSET', KEYS[5], ARGV[11], cjson.encode(u))
  redis.call('SREM', KEYS[6], ARGV[1] .. '\\n' .. ARGV[10])
  redis.call('SADD', KEYS[6], ARGV[1] .. '\\n' .. ARGV[11])
end
return seq
`;
const PUBLISH_SHA = createHash("sha1").update(PUBLISH).digest("hex");

export interface RedisFanOutOptions {
  keys: RedisKeys;
  /** This node's id (server/redis-names.ts newNodeId): members are recorded as connected here. */
  nodeId: string;
  /** Events kept in each room's stream (MAXLEN ~): the retention limit. */
  roomMaxLength: number;
  /** Events kept in the cluster-wide stream (MAXLEN ~). */
  eventsMaxLength: number;
  /** Milliseconds one XREAD blocks (default 5000). */
  blockMs?: number;
  /** Milliseconds past `blockMs` before a read is given up as hung (default 5000). */
  readTimeoutMs?: number;
  log?: RedisLog;
  /** Milliseconds before a publish that could not be written to Redis gives up (default 5000). */
  publishTimeoutMs?: number;
  /** Called after a reconnect (the store re-reads its epoch). */
  onReconnect?: () => Promise<unknown>;
}

/**
 * The reader's XREAD has no node-redis command timeout (an AbortSignal.timeout and its timer per
 * command): `withTimeout` gives it its own deadline, `block + readTimeoutMs`.
 */
const NO_TIMEOUT = { timeout: 0 } as const;

export class RedisFanOut implements FanOut {
  readonly client: RedisClient;
  #reader: RedisClient | undefined;
  /** A reading connection being opened (closed with the fan-out). */
  #connecting: RedisClient | undefined;
  readonly #opts: RedisFanOutOptions;
  /** Called once when Redis stops answering, and once when it answers again (the cluster tells users). */
  onDown: () => void = () => {};
  /** Redis refused an event (out of memory, a script error): it is in no log and reached nobody. */
  onPublishFailed: (key: string, event: UnsequencedRoomEvent) => void = () => {};
  onUp: () => void = () => {};
  readonly #log: RedisLog;
  #target: FanOutTarget | undefined;
  /** The id of the last entry of the events stream this node has handled. */
  #lastId: string;
  #closed = false;
  #down = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** Publishes not yet answered by Redis. */
  #pending = 0;
  /** The abort controller of the publishes sent in the current slice of time (`#deadline`). */
  #slice: { start: number; controller: AbortController } | undefined;
  /** Events applied (tests and stats). */
  applied = 0;

  private constructor(client: RedisClient, lastId: string, opts: RedisFanOutOptions) {
    this.client = client;
    this.#opts = opts;
    this.#lastId = lastId;
    this.#log = opts.log ?? (() => {});
  }

  /**
   * Fixes where this node starts reading (the events stream's current end). Call it before the
   * chat loads any room, so every event after a room's stored head reaches this node.
   */
  static async open(client: RedisClient, opts: RedisFanOutOptions): Promise<RedisFanOut> {
    const last = await client.sendCommand<StreamEntry[]>([
      "XREVRANGE",
      opts.keys.events,
      "+",
      "-",
      "COUNT",
      "1",
    ]);
    return new RedisFanOut(client, last[0]?.[0] ?? "0-0", opts);
  }

  get lastId(): string {
    return this.#lastId;
  }

  /** True while Redis cannot be read. */
  get down(): boolean {
    return this.#down;
  }

  get pending(): number {
    return this.#pending;
  }

  /** Starts delivering to `target` (the chat) from where `open` fixed. */
  attach(target: FanOutTarget): void {
    if (this.#target) throw new Error("fan-out already attached");
    this.#target = target;
    this.#loop = this.#run();
  }

  publish(key: string, event: UnsequencedRoomEvent): void {
    void this.publishFor(this.#opts.nodeId, key, event);
  }

  /**
   * Publishes an event about a member connected to `node` (another node's, when it died). Resolves
   * once Redis has it (or the failure was logged).
   */
  publishFor(node: string, key: string, event: UnsequencedRoomEvent): Promise<void> {
    const k = this.#opts.keys;
    const floor = this.#target?.head(key) ?? 0;
    const presence =
      event.type === "joined"
        ? [
            "j",
            canonicalName(event.name),
            "",
            JSON.stringify({ name: event.name, address: event.address, node }),
          ]
        : event.type === "left"
          ? ["l", canonicalName(event.name), "", ""]
          : event.type === "renamed"
            ? ["r", canonicalName(event.from), canonicalName(event.to), event.to]
            : ["-", "", "", ""];
    const argv = [
      key,
      encodeEvent(event),
      String(this.#opts.roomMaxLength),
      String(this.#opts.eventsMaxLength),
      event.room,
      event.type === "topic" ? "1" : "0",
      event.type === "topic" ? event.topic : "",
      String(floor),
      ...presence,
    ];
    const keys = [k.meta(key), k.stream(key), k.events, k.rooms, k.presence(key), k.nodeUsers(node)];
    this.#pending++;
    const options = { timeout: 0, abortSignal: this.#deadline() };
    return this.client
      .sendCommand(["EVALSHA", PUBLISH_SHA, String(keys.length), ...keys, ...argv], options)
      .catch((err: unknown) => {
        if (!String(err).includes("NOSCRIPT")) throw err;
        return this.client.sendCommand(["EVAL", PUBLISH, String(keys.length), ...keys, ...argv], options);
      })
      .then(
        () => {
          this.#pending--;
        },
        (err: unknown) => {
          this.#pending--;
          this.#log("error", "redis_publish_failed", {
            room: event.room,
            type: event.type,
            error: String(err),
          });
          this.onPublishFailed(key, event);
        },
      );
  }

  /**
   * The abort signal of the publishes sent now. node-redis drops and rejects a command it could
   * not write within its command timeout (Redis unreachable; a command once written waits for its
   * answer), and that timeout is an AbortSignal.timeout per command, whose timer fires (and builds
   * a DOMException) seconds later even for a command answered at once: 2-5 % of a cluster node's
   * CPU in profiles. Here the publishes of one slice of time (a fifth of the timeout) share one
   * AbortController, aborted by one timer at the slice's start + timeout + slice: a publish not
   * written within `timeout` to `timeout + slice` ms gives up and is reported, as before.
   */
  #deadline(): AbortSignal {
    const now = performance.now();
    const timeout = this.#opts.publishTimeoutMs ?? 5000;
    const slice = timeout / 5;
    const current = this.#slice;
    if (current && now - current.start < slice) return current.controller.signal;
    const controller = new AbortController();
    // node-redis listens on the signal for each command until it is written: a burst queues more
    // than the default 10, and Node would print a MaxListenersExceededWarning on every slice.
    setMaxListeners(0, controller.signal);
    this.#slice = { start: now, controller };
    const timer = setTimeout(() => {
      controller.abort(new Error(`not written to Redis in ${timeout} ms`));
    }, timeout + slice);
    timer.unref();
    return controller.signal;
  }

  /**
   * Writes a member of a room on this node back into Redis's member lists, without an event (Redis
   * came back empty while the member stayed connected).
   */
  async restoreMember(key: string, room: string, name: string, address: string | null): Promise<void> {
    const k = this.#opts.keys;
    const canonical = canonicalName(name);
    const node = this.#opts.nodeId;
    await this.client.sendCommand([
      "HSET",
      k.presence(key),
      canonical,
      JSON.stringify({ name, address, node }),
    ]);
    await this.client.sendCommand(["SADD", k.nodeUsers(node), `${key}\n${canonical}`]);
    await this.client.sendCommand(["SADD", k.rooms, key]);
    await this.client.sendCommand(["HSETNX", k.meta(key), "room", room]);
  }

  /**
   * A room's modes changed here: kept with the room (a node that loads it later reads them; the
   * publish script drops them when the room's last member leaves), then sent to every node.
   * Both go on one connection, so Redis runs them in this order.
   */
  sendModes(key: string, modes: string, event: ModeEvent): void {
    this.saveModes(key, modes);
    this.sendControl({ t: "mode", key, event });
  }

  /** Keeps a room's modes with the room, for the nodes that load it later. */
  saveModes(key: string, modes: string): void {
    this.client.sendCommand(["HSET", this.#opts.keys.meta(key), "modes", modes]).catch((err: unknown) => {
      this.#log("error", "redis_save_room_failed", { room: key, error: String(err) });
    });
  }

  /** Sends a control message to every node (this one included), in the events stream's order. */
  sendControl(message: ControlMessage): void {
    this.#pending++;
    this.client
      .sendCommand([
        "XADD",
        this.#opts.keys.events,
        "MAXLEN",
        "~",
        String(this.#opts.eventsMaxLength),
        "*",
        "c",
        JSON.stringify(message),
      ])
      .then(
        () => {
          this.#pending--;
        },
        (err: unknown) => {
          this.#pending--;
          this.#log("error", "redis_publish_failed", { type: message.t, error: String(err) });
        },
      );
  }

  async #connectReader(): Promise<RedisClient> {
    for (;;) {
      if (this.#closed) throw new Error("closed");
      const reader = this.client.duplicate();
      reader.on("error", () => {});
      this.#connecting = reader;
      try {
        await reader.connect();
        return reader;
      } catch (err) {
        reader.destroy();
        this.#setDown(err);
        await this.#sleep(500);
      } finally {
        this.#connecting = undefined;
      }
    }
  }

  async #run(): Promise<void> {
    const block = this.#opts.blockMs ?? 5000;
    const timeout = block + (this.#opts.readTimeoutMs ?? 5000);
    while (!this.#closed) {
      try {
        this.#reader ??= await this.#connectReader();
      } catch {
        return;
      }
      const reader = this.#reader;
      let reply: [string, StreamEntry[]][] | null;
      try {
        reply = await withTimeout(
          reader.sendCommand<[string, StreamEntry[]][] | null>(
            [
              "XREAD",
              "COUNT",
              "1000",
              "BLOCK",
              String(block),
              "STREAMS",
              this.#opts.keys.events,
              this.#lastId,
            ],
            NO_TIMEOUT,
          ),
          timeout,
        );
      } catch (err) {
        if (this.#closed) return;
        // Hung or broken: drop this connection; the next turn opens another and reads from lastId.
        this.#reader = undefined;
        reader.destroy();
        this.#setDown(err);
        await this.#sleep(200);
        continue;
      }
      if (this.#down) await this.#recovered();
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          this.#lastId = id;
          await this.#handle(fields);
        }
      }
    }
  }

  async #handle(fields: string[]): Promise<void> {
    const target = this.#target;
    if (!target) return;
    let key: string | undefined;
    let seq = 0;
    let json: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const f = fields[i];
      if (f === "k") key = fields[i + 1];
      else if (f === "s") seq = Number(fields[i + 1]);
      else if (f === "e") json = fields[i + 1];
      else if (f === "c") {
        try {
          target.control?.(JSON.parse(fields[i + 1] as string) as ControlMessage);
        } catch (err) {
          this.#log("error", "redis_bad_control", { error: String(err) });
        }
        return;
      }
    }
    if (key === undefined || json === undefined || !(seq > 0)) return;
    const head = target.head(key);
    if (head !== undefined && seq <= head) return;
    if (head !== undefined && seq > head + 1) await this.#fill(key, head, seq - 1);
    let event: RoomEvent;
    try {
      event = decodeEvent(json, seq);
    } catch {
      this.#log("error", "redis_bad_event", { room: key, seq });
      return;
    }
    this.applied++;
    target.apply(key, event);
  }

  /** Applies the room's events after `head` up to `upTo` from its stream (a gap). */
  async #fill(key: string, head: number, upTo: number): Promise<void> {
    const target = this.#target;
    if (!target) return;
    let after = head;
    while (after < upTo) {
      let entries: StreamEntry[];
      try {
        entries = await this.client.sendCommand<StreamEntry[]>([
          "XRANGE",
          this.#opts.keys.stream(key),
          `${after + 1}-0`,
          `${upTo}-0`,
          "COUNT",
          "1000",
        ]);
      } catch (err) {
        this.#log("error", "redis_gap_read_failed", { room: key, after, error: String(err) });
        return;
      }
      const events = decodeEntries(entries);
      if (events.length === 0) break;
      for (const e of events) {
        const now = target.head(key);
        if (now !== undefined && e.seq <= now) continue;
        this.applied++;
        target.apply(key, e);
      }
      after = (events.at(-1) as RoomEvent).seq;
    }
    if (after < upTo) this.#log("warn", "redis_gap_lost", { room: key, from: after + 1, to: upTo });
  }

  #setDown(err: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.#log("error", "redis_down", { error: String((err as Error)?.message ?? err) });
    this.onDown();
  }

  /** Redis answers again: the store re-reads its epoch, and every room catches up by seq. */
  async #recovered(): Promise<void> {
    this.#down = false;
    this.#log("warn", "redis_up", {});
    this.onUp();
    try {
      await this.#opts.onReconnect?.();
    } catch (err) {
      this.#log("error", "redis_reconnect_failed", { error: String(err) });
    }
    await this.catchUp();
  }

  /** Reads every in-memory room's head from Redis and fills what this node has not applied. */
  async catchUp(): Promise<void> {
    const target = this.#target;
    if (!target) return;
    for (const key of [...target.rooms()]) {
      const head = target.head(key);
      if (head === undefined) continue;
      try {
        const seq = Number(
          (await this.client.sendCommand<string | null>(["HGET", this.#opts.keys.meta(key), "seq"])) ?? 0,
        );
        if (seq > head) await this.#fill(key, head, seq);
      } catch (err) {
        this.#log("error", "redis_catch_up_failed", { room: key, error: String(err) });
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stops reading (the command client belongs to the caller). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.destroy();
    this.#connecting?.destroy();
    await this.#loop?.catch(() => {});
  }
}

/** Rejects when `p` has not settled within `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
