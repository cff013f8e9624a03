/**
 * Which nodes are alive (issue 12: a node dies, kill -9 or power): each node renews `P node:ID`
 * (a lease, `nameLeaseMs`) every third of the lease and is listed in `P nodes`. Every node looks
 * for listed nodes whose lease ran out; the first to win `SET P dead:ID NX` announces each of the
 * dead node's users as gone (`left`, reason `disconnected`) in every room they were in (from
 * `P nu:ID`, kept by the publish script), through the normal fan-out, so each departure is told
 * exactly once and in the rooms' order. Their names come free by their own leases.
 */
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
    await this.#client.sendCommand([
      "SET",
      this.#keys.node(this.nodeId),
      String(Date.now()),
      "PX",
      String(this.leaseMs),
    ]);
    await this.#client.sendCommand(["SADD", this.#keys.nodes, this.nodeId]);
  }

  /** Announces the users of nodes whose lease ran out (those this node wins the cleanup of). */
  async reap(): Promise<number> {
    const k = this.#keys;
    const nodes = await this.#client.sendCommand<string[]>(["SMEMBERS", k.nodes]);
    let announced = 0;
    for (const id of nodes) {
      if (id === this.nodeId) continue;
      if (Number(await this.#client.sendCommand(["EXISTS", k.node(id)])) === 1) continue;
      const won = await this.#client.sendCommand<string | null>([
        "SET",
        k.dead(id),
        this.nodeId,
        "NX",
        "PX",
        String(this.leaseMs * 20),
      ]);
      if (won !== "OK") continue;
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
        this.#fanout.publishFor(id, key, { type: "left", room: room ?? key, name, reason, at: Date.now() });
        announced++;
      }
      await this.#client.sendCommand(["SREM", k.nodes, id]);
    }
    return announced;
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
