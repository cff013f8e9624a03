/**
 * Names across nodes (issue 12): `P n:CANONICAL` holds the id of the node whose user has that
 * name, set with NX and a lease (PX) that the owning node renews every third of it. A node that
 * dies stops renewing, and its names come free when the lease runs out. Releasing is
 * compare-and-delete (a node never frees a name another node holds).
 *
 * The value is `NODE NONCE`: the node, and the nonce the user's resume token carries, so a
 * resume on another node takes its own name back (as a resume takes it from a half-open
 * connection on one node) while nobody else can. Two sessions of one node never race in Redis:
 * the cluster chat (server/cluster.ts) reserves a name locally first.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { RedisClient, RedisKeys, RedisLog } from "../store/redis.ts";

/**
 * KEYS: name keys; ARGV: lease ms, then the value this node set for each key. Renews the ones
 * still holding that value, takes back the ones that are gone (Redis restarted empty, or the lease
 * ran out while Redis was unreachable and nobody took the name); returns the others (another node
 * took them).
 */
const RENEW = `
local lost = {}
for i, k in ipairs(KEYS) do
  local cur = redis.call('GET', k)
  if cur == ARGV[i + 1] then redis.call('PEXPIRE', k, ARGV[1])
  elseif cur == false then redis.call('SET', k, ARGV[i + 1], 'PX', ARGV[1])
  else table.insert(lost, k) end
end
return lost
`;

/**
 * KEYS: name key; ARGV: value (`NODE NONCE`), lease ms, resume (0/1), ` NONCE`. Takes the name if
 * it is free, already ours, or (resume) held by the same user's session (same nonce) on any node.
 */
const RESERVE = `
local cur = redis.call('GET', KEYS[1])
local same = ARGV[3] == '1' and cur and string.sub(cur, -#ARGV[4]) == ARGV[4]
if cur == false or cur == ARGV[1] or same then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export function newNodeId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

export class RedisNames {
  readonly client: RedisClient;
  readonly keys: RedisKeys;
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly #log: RedisLog;
  /** Names this node holds (canonical) and the value it set. */
  readonly held = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  /** Called with names this node held but found taken by another node at renewal. */
  onLost: (canonical: string) => void = () => {};

  constructor(
    client: RedisClient,
    keys: RedisKeys,
    opts: { nodeId: string; leaseMs: number; log?: RedisLog },
  ) {
    this.client = client;
    this.keys = keys;
    this.nodeId = opts.nodeId;
    this.leaseMs = opts.leaseMs;
    this.#log = opts.log ?? (() => {});
  }

  #key(canonical: string): string {
    return `${this.keys.prefix}n:${canonical}`;
  }

  /**
   * Reserves `canonical` for this node and a session whose resume nonce is `nonce`: true when it
   * was free (or already ours), or, with `resume` (the client's token was checked), when the same
   * user's session holds it on another node.
   */
  async reserve(canonical: string, nonce: string, resume = false): Promise<boolean> {
    const value = `${this.nodeId} ${nonce}`;
    const reply = await this.client.sendCommand([
      "EVAL",
      RESERVE,
      "1",
      this.#key(canonical),
      value,
      String(this.leaseMs),
      resume ? "1" : "0",
      ` ${nonce}`,
    ]);
    const ok = Number(reply) === 1;
    if (ok) this.held.set(canonical, value);
    return ok;
  }

  /** Frees `canonical` if this node holds it. */
  release(canonical: string): void {
    const value = this.held.get(canonical);
    if (value === undefined) return;
    this.held.delete(canonical);
    this.client
      .sendCommand(["EVAL", RELEASE, "1", this.#key(canonical), value])
      .catch((err: unknown) => this.#log("error", "redis_name_release_failed", { error: String(err) }));
  }

  /** Renews every held name now; names another node took meanwhile are reported to `onLost`. */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const names = [...this.held];
    const keys = names.map(([n]) => this.#key(n));
    const lost = await this.client.sendCommand<string[]>([
      "EVAL",
      RENEW,
      String(keys.length),
      ...keys,
      String(this.leaseMs),
      ...names.map(([, v]) => v),
    ]);
    const prefix = this.#key("");
    for (const k of lost) {
      const canonical = k.slice(prefix.length);
      const value = names.find(([n]) => n === canonical)?.[1];
      // Released or re-reserved meanwhile: not lost.
      if (value === undefined || this.held.get(canonical) !== value) continue;
      this.held.delete(canonical);
      this.#log("warn", "name_lost", { name: canonical });
      this.onLost(canonical);
    }
  }

  /** Renews every third of the lease. */
  start(): void {
    const tick = () => {
      this.renew().catch((err: unknown) =>
        this.#log("error", "redis_name_renew_failed", { error: String(err) }),
      );
    };
    this.#timer = setInterval(tick, Math.max(100, Math.floor(this.leaseMs / 3)));
    this.#timer.unref();
  }

  /** Stops renewing and frees every held name (a clean shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    const names = [...this.held];
    this.held.clear();
    await Promise.all(
      names.map(([n, v]) =>
        this.client.sendCommand(["EVAL", RELEASE, "1", this.#key(n), v]).catch(() => undefined),
      ),
    );
  }
}
