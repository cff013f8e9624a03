/**
 * The store contract (test/store-contract.ts) against the Redis store, on a real redis-server, and
 * what only Redis does: the epoch is shared by every node on one Redis and changes when Redis
 * comes back empty.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RoomStore } from "../src/core/ports.ts";
import { RedisStore } from "../src/store/redis.ts";
import { haveRedis, TestRedis } from "./redis-helpers.ts";
import { msg, storeContract } from "./store-contract.ts";

const skip = !haveRedis() && !process.env.CI ? "redis-server is not installed" : false;

let redis: TestRedis | undefined;
let n = 0;
const prefixes = new WeakMap<RoomStore, string>();
const open: RedisStore[] = [];

async function make(prefix = `t${++n}:`): Promise<RedisStore> {
  if (!redis) throw new Error("no redis");
  const s = await RedisStore.connect(redis.url, { prefix });
  prefixes.set(s, prefix);
  open.push(s);
  return s;
}

describe("redis store", { skip }, () => {
  before(async () => {
    redis = await TestRedis.start();
  });
  after(async () => {
    for (const s of open) s.close();
    await redis?.close();
  });

  storeContract("redis", {
    make: () => make(),
    reopen: async (s) => {
      const prefix = prefixes.get(s) as string;
      s.close();
      return make(prefix);
    },
  });

  describe("redis only", () => {
    it("two stores on one Redis share the epoch, the secret and the log", async () => {
      const a = await make("shared:");
      const b = await make("shared:");
      assert.equal(a.epoch, b.epoch);
      assert.equal(a.secret, b.secret);
      a.append("#r", [msg("#r", 1), msg("#r", 2)]);
      await a.commit();
      assert.deepEqual(
        (await b.range("#r", 0, 10)).map((e) => e.seq),
        [1, 2],
      );
      assert.equal((await b.head("#r"))?.seq, 2);
    });

    it("Redis restarted with its data keeps the epoch; restarted empty, it is a new one", async () => {
      const s = await make("restart:");
      s.append("#r", [msg("#r", 1)]);
      await s.commit();
      const { epoch } = s;
      await redis?.restart({ keepData: true });
      assert.equal(await s.refreshEpoch(), false);
      assert.equal(s.epoch, epoch);
      assert.equal((await s.head("#r"))?.seq, 1);
      await redis?.restart({ keepData: false });
      assert.equal(await s.refreshEpoch(), true);
      assert.notEqual(s.epoch, epoch);
      assert.equal(await s.head("#r"), undefined);
    });
  });
});
