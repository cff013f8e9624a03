/**
 * The room log in Redis (cluster mode, issue 12): the RoomStore port over one stream per room.
 *
 * Keys (`P` is the prefix, `papo:` by default; `K` a room's canonical key such as `#geral`):
 * - `P r:K`     stream: the room's log. The entry id is `SEQ-0`, so reads by seq are XRANGE by id
 *               and Redis itself refuses an append at or before the head. One field, `e`: the event
 *               as JSON without its seq (the id carries it).
 * - `P m:K`     hash: `room` (display name as first created), `seq` (the head: the last seq ever
 *               given, never lowered by pruning), `topic`.
 * - `P rooms`   set of every room key (pruning walks it).
 * - `P p:K`     hash: who is in the room now, canonical name -> `{"name","address","node"}` (cluster mode:
 *               kept by the fan-out's publish script from joins, leaves and renames).
 * - `P nu:NODE` set of `K\nCANONICAL`: which node each member is connected to (so the users of a
 *               node that died can be announced as gone). `P node:NODE` (a lease) says the node is
 *               alive, `P nodes` lists the nodes, `P dead:NODE` elects the node that cleans up.
 * - `P epoch`, `P secret`: created once with SET NX; an empty Redis gets new ones.
 * - `P bans`    hash: ban key (`addr:10.0.0.0/8`, `name:ana`) -> the ban as JSON (issue 13).
 * In cluster mode the fan-out (server/redis-fanout.ts) appends with its own script (seq from the
 * hash, the room stream and the node stream in one step); `append` here is for a single node
 * that uses Redis as its store, and for the contract suite.
 */
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import type { Ban, RoomHead, RoomStore } from "../core/ports.ts";
import type { RoomEvent, UserInfo } from "../protocol/events.ts";

/** The node-redis client type papo uses (RESP2 replies: plain arrays and strings). */
export type RedisClient = ReturnType<typeof createRedisClient>;

export type RedisLog = (
  level: "info" | "warn" | "error",
  event: string,
  fields?: Record<string, unknown>,
) => void;

/**
 * A client for `url` (`redis://[:password@]host:port[/db]`, `rediss://` for TLS). Errors are
 * reported through `onError` (node-redis throws on an unhandled `error` event); it reconnects by
 * itself with a capped back-off.
 */
export function createRedisClient(url: string, onError: (err: Error) => void = () => {}) {
  const client = createClient({
    url,
    RESP: 2,
    socket: {
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
      connectTimeout: 5000,
    },
  });
  client.on("error", onError);
  return client;
}

/** Redis key names for one prefix. */
export class RedisKeys {
  readonly prefix: string;
  constructor(prefix = "papo:") {
    this.prefix = prefix;
  }
  stream(key: string): string {
    return `${this.prefix}r:${key}`;
  }
  meta(key: string): string {
    return `${this.prefix}m:${key}`;
  }
  get rooms(): string {
    return `${this.prefix}rooms`;
  }
  get epoch(): string {
    return `${this.prefix}epoch`;
  }
  get secret(): string {
    return `${this.prefix}secret`;
  }
  presence(key: string): string {
    return `${this.prefix}p:${key}`;
  }
  nodeUsers(node: string): string {
    return `${this.prefix}nu:${node}`;
  }
  node(node: string): string {
    return `${this.prefix}node:${node}`;
  }
  get nodes(): string {
    return `${this.prefix}nodes`;
  }
  dead(node: string): string {
    return `${this.prefix}dead:${node}`;
  }
  get bans(): string {
    return `${this.prefix}bans`;
  }
  /** The cluster-wide stream every node reads (server/redis-fanout.ts). */
  get events(): string {
    return `${this.prefix}events`;
  }
}

/** A stream entry as RESP2 returns it: `[id, [field, value, ...]]`. */
export type StreamEntry = [string, string[]];

/** The seq a `SEQ-0` entry id carries. */
export function seqOf(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/** The JSON a room stream stores for an event: everything but the seq. */
export function encodeEvent(event: Omit<RoomEvent, "seq"> & { seq?: number }): string {
  const { seq: _seq, ...rest } = event;
  return JSON.stringify(rest);
}

export function decodeEvent(json: string, seq: number): RoomEvent {
  return { ...(JSON.parse(json) as Omit<RoomEvent, "seq">), seq } as RoomEvent;
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** Decodes room stream entries (`SEQ-0` ids, field `e`). */
export function decodeEntries(entries: StreamEntry[]): RoomEvent[] {
  const out: RoomEvent[] = [];
  for (const [id, fields] of entries) {
    const json = fieldOf(fields, "e");
    if (json !== undefined) out.push(decodeEvent(json, seqOf(id)));
  }
  return out;
}

/**
 * Appends a batch to one room, all or nothing: every seq must be after the head (else nothing is
 * written), then the entries, the head, the display name (if none yet) and the topic.
 * KEYS: meta, stream, rooms set. ARGV: room key, display name, has-topic (0/1), topic, then
 * seq/json pairs.
 */
const APPEND = `
local head = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local last = head
for i = 5, #ARGV, 2 do
  local seq = tonumber(ARGV[i])
  if seq <= last then return redis.error_reply('ERR papo: seq ' .. ARGV[i] .. ' is not after ' .. last) end
  last = seq
end
for i = 5, #ARGV, 2 do redis.call('XADD', KEYS[2], ARGV[i] .. '-0', 'e', ARGV[i + 1]) end
redis.call('HSET', KEYS[1], 'seq', last)
redis.call('HSETNX', KEYS[1], 'room', ARGV[2])
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'topic', ARGV[4]) end
redis.call('SADD', KEYS[3], ARGV[1])
return last
`;

/** SET NX, then the value that is there (ours or an earlier one). */
async function createOnce(client: RedisClient, key: string, value: string): Promise<string> {
  const old = await client.sendCommand<string | null>(["SET", key, value, "NX", "GET"]);
  return old ?? value;
}

export interface RedisStoreOptions {
  /** Key prefix (default `papo:`); tests give each store its own. */
  prefix?: string;
  /** Close the client with the store (true when the store made it). */
  ownsClient?: boolean;
  log?: RedisLog;
}

export class RedisStore implements RoomStore {
  readonly client: RedisClient;
  readonly keys: RedisKeys;
  #epoch: string;
  readonly secret: string;
  readonly #owns: boolean;
  readonly #log: RedisLog;
  /** Appends sent since the last commit: undefined when Redis took it, else why not. */
  #sent: Promise<Error | undefined>[] = [];

  private constructor(
    client: RedisClient,
    keys: RedisKeys,
    epoch: string,
    secret: string,
    opts: RedisStoreOptions,
  ) {
    this.client = client;
    this.keys = keys;
    this.#epoch = epoch;
    this.secret = secret;
    this.#owns = opts.ownsClient ?? false;
    this.#log = opts.log ?? (() => {});
  }

  /** Opens the store on a connected client: reads (or creates) the epoch and the secret. */
  static async open(client: RedisClient, opts: RedisStoreOptions = {}): Promise<RedisStore> {
    const keys = new RedisKeys(opts.prefix);
    const epoch = await createOnce(client, keys.epoch, randomBytes(6).toString("base64url"));
    const secret = await createOnce(client, keys.secret, randomBytes(32).toString("base64url"));
    return new RedisStore(client, keys, epoch, secret, opts);
  }

  /** Connects to `url` and opens the store (the store closes the client). */
  static async connect(url: string, opts: Omit<RedisStoreOptions, "ownsClient"> = {}): Promise<RedisStore> {
    const log = opts.log ?? (() => {});
    const client = createRedisClient(url, (err) => log("error", "redis_error", { error: err.message }));
    await client.connect();
    try {
      return await RedisStore.open(client, { ...opts, ownsClient: true });
    } catch (err) {
      client.destroy();
      throw err;
    }
  }

  /** The data set's epoch: it changes when Redis lost its data (see `refreshEpoch`). */
  get epoch(): string {
    return this.#epoch;
  }

  /**
   * Reads the epoch again (after a reconnect): when Redis came back empty, a new one is created,
   * so resumes from before the loss answer `gap` (epoch) instead of trusting old seqs. Returns true
   * when it changed.
   */
  async refreshEpoch(): Promise<boolean> {
    // The secret is not data: every node keeps signing with the one it has, so tokens stay valid
    // on every node (an empty Redis gets it back from the first node that reconnects).
    await createOnce(this.client, this.keys.secret, this.secret);
    const now = await createOnce(this.client, this.keys.epoch, randomBytes(6).toString("base64url"));
    if (now === this.#epoch) return false;
    this.#log("warn", "redis_epoch_changed", { from: this.#epoch, to: now });
    this.#epoch = now;
    return true;
  }

  /**
   * Sends the batch at once (commands on one connection run in order, so every later read sees
   * it, committed or not); `commit` waits for what was sent and reports its first failure.
   */
  append(key: string, events: readonly RoomEvent[]): void {
    const first = events[0];
    if (!first) return;
    let topic: string | undefined;
    for (const e of events) if (e.type === "topic") topic = e.topic;
    const argv = [key, first.room, topic === undefined ? "0" : "1", topic ?? ""];
    for (const e of events) argv.push(String(e.seq), encodeEvent(e));
    const sent = this.#eval(APPEND, [this.keys.meta(key), this.keys.stream(key), this.keys.rooms], argv).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    this.#sent.push(sent);
  }

  async commit(): Promise<void> {
    if (this.#sent.length === 0) return;
    const sent = this.#sent;
    this.#sent = [];
    const failed = (await Promise.all(sent)).find((r) => r !== undefined);
    if (failed) throw failed;
  }

  #eval(script: string, keys: string[], argv: string[]): Promise<unknown> {
    return this.client.sendCommand(["EVAL", script, String(keys.length), ...keys, ...argv]);
  }

  async head(key: string): Promise<RoomHead | undefined> {
    const [room, seq, topic, modes] = await this.client.sendCommand<(string | null)[]>([
      "HMGET",
      this.keys.meta(key),
      "room",
      "seq",
      "topic",
      "modes",
    ]);
    if (room == null && seq == null) return undefined;
    return {
      room: room ?? key,
      seq: Number(seq ?? 0),
      ...(topic != null && topic !== "" ? { topic } : {}),
      ...(modes != null ? { modes } : {}),
    };
  }

  saveRoom(key: string, info: { room: string; topic?: string }): void {
    // Sent at once (cluster mode never calls commit): commands on one connection run in order,
    // so a later read or commit sees it.
    const meta = this.keys.meta(key);
    const sends = [
      this.client.sendCommand(["HSETNX", meta, "room", info.room]),
      this.client.sendCommand(["SADD", this.keys.rooms, key]),
    ];
    if (info.topic !== undefined) sends.push(this.client.sendCommand(["HSET", meta, "topic", info.topic]));
    Promise.all(sends).catch((err: unknown) =>
      this.#log("error", "redis_save_room_failed", { room: info.room, error: String(err) }),
    );
  }

  async recent(key: string, limit: number): Promise<RoomEvent[]> {
    if (limit <= 0) return [];
    const entries = await this.client.sendCommand<StreamEntry[]>([
      "XREVRANGE",
      this.keys.stream(key),
      "+",
      "-",
      "COUNT",
      String(limit),
    ]);
    return decodeEntries(entries.reverse());
  }

  async range(key: string, after: number, limit: number): Promise<RoomEvent[]> {
    if (limit <= 0) return [];
    const entries = await this.client.sendCommand<StreamEntry[]>([
      "XRANGE",
      this.keys.stream(key),
      `${Math.max(0, after) + 1}-0`,
      "+",
      "COUNT",
      String(limit),
    ]);
    return decodeEntries(entries);
  }

  async before(key: string, before: number, limit: number): Promise<RoomEvent[]> {
    if (limit <= 0 || before <= 1) return [];
    const end = before > Number.MAX_SAFE_INTEGER - 1 ? "+" : `${before - 1}-0`;
    const entries = await this.client.sendCommand<StreamEntry[]>([
      "XREVRANGE",
      this.keys.stream(key),
      end,
      "-",
      "COUNT",
      String(limit),
    ]);
    return decodeEntries(entries.reverse());
  }

  async first(key: string): Promise<number> {
    const entries = await this.client.sendCommand<StreamEntry[]>([
      "XRANGE",
      this.keys.stream(key),
      "-",
      "+",
      "COUNT",
      "1",
    ]);
    const entry = entries[0];
    if (entry) return seqOf(entry[0]);
    const seq = await this.client.sendCommand<string | null>(["HGET", this.keys.meta(key), "seq"]);
    return Number(seq ?? 0) + 1;
  }

  async prune(keep: number, olderThan: number, batch: number): Promise<number> {
    let removed = 0;
    const rooms = await this.client.sendCommand<string[]>(["SMEMBERS", this.keys.rooms]);
    for (const key of rooms) {
      if (removed >= batch) break;
      const stream = this.keys.stream(key);
      const length = Number(await this.client.sendCommand<number>(["XLEN", stream]));
      const over = length - keep;
      const look = Math.min(batch - removed, length);
      if (look <= 0) continue;
      const entries = await this.client.sendCommand<StreamEntry[]>([
        "XRANGE",
        stream,
        "-",
        "+",
        "COUNT",
        String(look),
      ]);
      let n = 0;
      while (n < entries.length) {
        const [, fields] = entries[n] as StreamEntry;
        if (n >= over) {
          const at = (JSON.parse(fieldOf(fields, "e") ?? "{}") as { at?: number }).at ?? 0;
          if (at >= olderThan) break;
        }
        n++;
      }
      if (n === 0) continue;
      // Everything before the first kept entry (or after the last one looked at) goes.
      const next = entries[n];
      const minId = next ? next[0] : `${seqOf((entries[n - 1] as StreamEntry)[0]) + 1}-0`;
      removed += Number(await this.client.sendCommand<number>(["XTRIM", stream, "MINID", minId]));
    }
    return removed;
  }

  /** Who is in the room now, across the cluster (kept by the fan-out's publish script). */
  async members(key: string): Promise<UserInfo[]> {
    const values = await this.client.sendCommand<string[]>(["HVALS", this.keys.presence(key)]);
    const out: UserInfo[] = [];
    for (const v of values) {
      try {
        const u = JSON.parse(v) as UserInfo;
        if (typeof u.name === "string") out.push({ name: u.name, address: u.address ?? null });
      } catch {
        // A damaged entry costs one name in a list, never the room.
      }
    }
    return out;
  }

  async bans(now: number): Promise<Ban[]> {
    const flat = await this.client.sendCommand<string[]>(["HGETALL", this.keys.bans]);
    const out: Ban[] = [];
    const expired: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      try {
        const ban = JSON.parse(flat[i + 1] as string) as Ban;
        if (ban.until !== undefined && ban.until <= now) expired.push(flat[i] as string);
        else out.push(ban);
      } catch {
        // A damaged entry costs that ban, never the start.
      }
    }
    if (expired.length > 0) await this.client.sendCommand(["HDEL", this.keys.bans, ...expired]);
    return out;
  }

  async saveBan(ban: Ban): Promise<void> {
    await this.client.sendCommand(["HSET", this.keys.bans, ban.key, JSON.stringify(ban)]);
  }

  async deleteBan(key: string): Promise<boolean> {
    return Number(await this.client.sendCommand<number>(["HDEL", this.keys.bans, key])) > 0;
  }

  close(): void {
    if (!this.#owns) return;
    this.client.close().catch(() => this.client.destroy());
  }
}
