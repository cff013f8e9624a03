/**
 * Which nodes are alive (issue 12: a node dies, kill -9 or power): each node renews `P node:ID`
 * (a lease, `nameLeaseMs`) every third of the lease and is listed in `P nodes`. Every node looks
 * for listed nodes whose lease ran out; the first to win `SET P dead:ID NX` announces each of the
 * dead node's users as gone (`left`, reason `disconnected`) in every room they were in (from
 * `P nu:ID`, kept by the publish script), through the normal fan-out, so each departure is told
 * exactly once and in the rooms' order. Their names come free by their own leases.
 *
 * A node that was only cut off (or hung) for longer than its lease comes back to find itself
 * declared dead: `onRevived(true)`, and the cluster announces its users again (`joined`). A node
 * that finds itself missing from `P nodes` without that (Redis came back empty) gets
 * `onRevived(false)`, and writes its users back into the member lists without telling anyone.
 */

/**
 * KEYS: node lease, nodes set, dead key; ARGV: node id, now, lease ms. Returns {added, dead}:
 * dead 2 when another node has finished announcing this one's users as gone (the key is then
 * removed), 1 while it is still at it, 0 when nobody declared this node dead.
 */
const BEAT = `
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
local added = redis.call('SADD', KEYS[2], ARGV[1])
local dead = redis.call('GET', KEYS[3])
if dead == 'done' then
  redis.call('DEL', KEYS[3])
  return {added, 2}
end
return {added, dead and 1 or 0}
`;

/** KEYS: dead key, nodes set; ARGV: this node, the dead node, ttl. Claims the cleanup of a node. */
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) then
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
return 0
`;

/** How long a node's death is remembered (a node cut off for up to this long is told it was). */
const DEAD_MEMORY_MS = 24 * 60 * 60 * 1000;

import type { LeaveReason, UserInfo } from "../protocol/events.ts";
import type { RedisClient, RedisKeys, RedisLog } from "../store/redis.ts";
import type { RedisFanOut } from "./redis-fanout.ts";

export class NodeWatch {
  readonly #client: RedisClient;
  readonly #keys: RedisKeys;
  readonly #fanout: RedisFanOut;
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly #log: RedisLog;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #beaten = false;
  /** This node was dropped from the node list while it lived (see the top of the file). */
  onRevived: (declaredDead: boolean) => void = () => {};

  constructor(
    client: RedisClient,
    keys: RedisKeys,
    fanout: RedisFanOut,
    opts: { nodeId: string; leaseMs: number; log?: RedisLog },
  ) {
    this.#client = client;
    this.#keys = keys;
    this.#fanout = fanout;
    this.nodeId = opts.nodeId;
    this.leaseMs = opts.leaseMs;
    this.#log = opts.log ?? (() => {});
  }

  /** Renews this node's lease now. */
  async beat(): Promise<void> {
    const k = this.#keys;
    const [added, dead] = await this.#client.sendCommand<[number, number]>([
      "EVAL",
      BEAT,
      "3",
      k.node(this.nodeId),
      k.nodes,
      k.dead(this.nodeId),
      this.nodeId,
      String(Date.now()),
      String(this.leaseMs),
    ]);
    const first = !this.#beaten;
    this.#beaten = true;
    // Declared dead, and every departure announced: announce this node's users again. While the
    // announcing is still going on, wait (the next beat looks again), so a `joined` can never
    // come before the `left` it answers.
    if (Number(dead) === 2) {
      this.#log("warn", "node_revived", { declaredDead: true });
      this.onRevived(true);
    } else if (Number(dead) === 0 && !first && Number(added) === 1) {
      this.#log("warn", "node_revived", { declaredDead: false });
      this.onRevived(false);
    }
  }

  /** Announces the users of nodes whose lease ran out (those this node wins the cleanup of). */
  async reap(): Promise<number> {
    const k = this.#keys;
    const nodes = await this.#client.sendCommand<string[]>(["SMEMBERS", k.nodes]);
    let announced = 0;
    for (const id of nodes) {
      if (id === this.nodeId) continue;
      if (Number(await this.#client.sendCommand(["EXISTS", k.node(id)])) === 1) continue;
      const ttl = String(Math.max(this.leaseMs * 20, DEAD_MEMORY_MS));
      const won = await this.#client.sendCommand([
        "EVAL",
        CLAIM,
        "2",
        k.dead(id),
        k.nodes,
        this.nodeId,
        id,
        ttl,
      ]);
      if (Number(won) !== 1) continue;
      const sends: Promise<void>[] = [];
      const entries = await this.#client.sendCommand<string[]>(["SMEMBERS", k.nodeUsers(id)]);
      this.#log("warn", "node_dead", { node: id, users: entries.length });
      for (const entry of entries) {
        const cut = entry.indexOf("\n");
        if (cut < 0) continue;
        const key = entry.slice(0, cut);
        const canonical = entry.slice(cut + 1);
        const [room, user] = await this.#client.sendCommand<(string | null)[]>([
          "EVAL",
          "return {redis.call('HGET', KEYS[1], 'room'), redis.call('HGET', KEYS[2], ARGV[1])}",
          "2",
          k.meta(key),
          k.presence(key),
          canonical,
        ]);
        let name = canonical;
        try {
          const u = user ? (JSON.parse(user) as UserInfo & { node?: string }) : undefined;
          if (u) name = u.name;
          // Gone already, or back through another node (a resume): nothing to announce.
          if (!u || (u.node !== undefined && u.node !== id)) {
            await this.#client.sendCommand(["SREM", k.nodeUsers(id), entry]);
            continue;
          }
        } catch {
          // The canonical form names them well enough.
        }
        const reason: LeaveReason = "disconnected";
        sends.push(
          this.#fanout.publishFor(id, key, { type: "left", room: room ?? key, name, reason, at: Date.now() }),
        );
        announced++;
      }
      await Promise.all(sends);
      await this.#client.sendCommand(["SET", k.dead(id), "done", "PX", ttl]);
    }
    return announced;
  }

  /** Stops beating (and reaping) without leaving the node list: what a hung node looks like. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  start(): void {
    const tick = async () => {
      if (this.#busy) return;
      this.#busy = true;
      try {
        await this.beat();
        await this.reap();
      } catch (err) {
        this.#log("error", "redis_node_watch_failed", { error: String((err as Error)?.message ?? err) });
      } finally {
        this.#busy = false;
      }
    };
    void tick();
    this.#timer = setInterval(tick, Math.max(100, Math.floor(this.leaseMs / 3)));
    this.#timer.unref();
  }

  /** A clean stop: this node's users were announced by their sessions; the node leaves the list. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#client.sendCommand(["DEL", this.#keys.node(this.nodeId)]).catch(() => undefined);
    await this.#client.sendCommand(["SREM", this.#keys.nodes, this.nodeId]).catch(() => undefined);
  }
}
