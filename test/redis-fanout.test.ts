/**
 * The Redis fan-out (src/server/redis-fanout.ts) on a real redis-server, with two fan-outs standing
 * for two nodes and plain recorders standing for their chats: one order per room for everyone, gaps
 * filled from the room's stream, and nothing lost when Redis hangs (SIGSTOP) or restarts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RoomEvent } from "../src/protocol/events.ts";
import { type FanOutTarget, RedisFanOut } from "../src/server/redis-fanout.ts";
import { createRedisClient, type RedisClient, RedisKeys, RedisStore } from "../src/store/redis.ts";
import { sleep } from "./helpers.ts";
import { haveRedis, TestRedis } from "./redis-helpers.ts";

const skip = !haveRedis() && !process.env.CI ? "redis-server is not installed" : false;

/** A chat's view: rooms in memory with their head; refuses an event that is not head + 1. */
class Recorder implements FanOutTarget {
  readonly heads = new Map<string, number>();
  readonly got = new Map<string, RoomEvent[]>();
  readonly errors: string[] = [];
  constructor(...rooms: string[]) {
    for (const r of rooms) this.heads.set(r, 0);
  }
  apply(key: string, event: RoomEvent): void {
    const head = this.heads.get(key);
    if (head === undefined) return;
    if (event.seq !== head + 1) this.errors.push(`${key}: got ${event.seq} after ${head}`);
    this.heads.set(key, event.seq);
    const list = this.got.get(key) ?? [];
    this.got.set(key, list);
    list.push(event);
  }
  head(key: string): number | undefined {
    return this.heads.get(key);
  }
  rooms(): Iterable<string> {
    return this.heads.keys();
  }
  texts(key: string): string[] {
    return (this.got.get(key) ?? []).map((e) => (e.type === "message" ? e.text : e.type));
  }
  async until(key: string, n: number, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while ((this.heads.get(key) ?? 0) < n) {
      if (Date.now() > deadline) throw new Error(`${key}: head ${this.heads.get(key)} < ${n}`);
      await sleep(10);
    }
  }
}

const say = (room: string, from: string, text: string) =>
  ({ type: "message", room, from, text, at: Date.now() }) as const;

describe("redis fan-out", { skip }, () => {
  let redis: TestRedis;
  const clients: RedisClient[] = [];
  const fanouts: RedisFanOut[] = [];
  let n = 0;
  before(async () => {
    redis = await TestRedis.start();
  });
  after(async () => {
    for (const f of fanouts) await f.close();
    for (const c of clients) c.destroy();
    await redis?.close();
  });

  async function node(
    prefix: string,
    target: FanOutTarget,
    logs: string[] = [],
    extra: { publishTimeoutMs?: number } = {},
  ): Promise<RedisFanOut> {
    const client = createRedisClient(redis.url);
    clients.push(client);
    await client.connect();
    const f = await RedisFanOut.open(client, {
      keys: new RedisKeys(prefix),
      nodeId: `node-${fanouts.length}`,
      roomMaxLength: 1000,
      eventsMaxLength: 1000,
      blockMs: 200,
      readTimeoutMs: 300,
      log: (level, event) => logs.push(`${level} ${event}`),
      ...extra,
    });
    fanouts.push(f);
    f.attach(target);
    return f;
  }

  it("two nodes publishing to one room both see 1..N in one order, and the room log agrees", async () => {
    const prefix = `t${++n}:`;
    const a = new Recorder("#r");
    const b = new Recorder("#r");
    const fa = await node(prefix, a);
    const fb = await node(prefix, b);
    for (let i = 0; i < 100; i++) (i % 2 ? fa : fb).publish("#r", say("#r", i % 2 ? "ana" : "bob", `m${i}`));
    await a.until("#r", 100);
    await b.until("#r", 100);
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    assert.deepEqual(a.got.get("#r"), b.got.get("#r"));
    const store = await RedisStore.connect(redis.url, { prefix });
    try {
      assert.deepEqual(await store.range("#r", 0, 1000), a.got.get("#r"));
      assert.equal((await store.head("#r"))?.seq, 100);
    } finally {
      store.close();
    }
  });

  it("a node that is behind in a room reads the gap from the room's stream before going on", async () => {
    const prefix = `t${++n}:`;
    const a = new Recorder("#r");
    const b = new Recorder();
    const fa = await node(prefix, a);
    await node(prefix, b);
    for (let i = 1; i <= 5; i++) fa.publish("#r", say("#r", "ana", `m${i}`));
    await a.until("#r", 5);
    // b loads the room now, having read only up to 2 of it.
    b.heads.set("#r", 2);
    fa.publish("#r", say("#r", "ana", "m6"));
    await b.until("#r", 6);
    assert.deepEqual(b.errors, []);
    assert.deepEqual(b.texts("#r"), ["m3", "m4", "m5", "m6"]);
  });

  it("publishes and reads make no timer per command (no AbortSignal.timeout) and no listener warning; an unanswered publish still gives up", async () => {
    const prefix = `t${++n}:`;
    const a = new Recorder("#r");
    const logs: string[] = [];
    const failed: string[] = [];
    const fa = await node(prefix, a, logs, { publishTimeoutMs: 400 });
    fa.onPublishFailed = (_key, event) => failed.push(event.type === "message" ? event.text : event.type);
    // node-redis's default command timeout is an AbortSignal.timeout per command: count them.
    const original = AbortSignal.timeout;
    let timers = 0;
    AbortSignal.timeout = (ms: number) => {
      timers++;
      return original.call(AbortSignal, ms);
    };
    // A burst queues more commands than an EventTarget's default 10 listeners on the shared
    // signal: the operator's log got a MaxListenersExceededWarning per slice of time.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      for (let i = 0; i < 50; i++) fa.publish("#r", say("#r", "ana", `m${i}`));
      await a.until("#r", 50);
      await sleep(20);
    } finally {
      AbortSignal.timeout = original;
      process.off("warning", onWarning);
    }
    assert.equal(timers, 0);
    assert.deepEqual(warnings, []);
    // Answered publishes are not reported once their slice's deadline has passed.
    await sleep(700);
    assert.deepEqual(failed, []);
    // Redis gone: the publish waits in node-redis's offline queue, and gives up after its
    // deadline (400 ms and at most a fifth more), as node-redis's command timeout did.
    await redis.stop({ save: true });
    try {
      fa.publish("#r", say("#r", "ana", "unanswered"));
      for (let i = 0; i < 60 && failed.length === 0; i++) await sleep(50);
    } finally {
      await redis.restart({ keepData: true });
    }
    assert.deepEqual(failed, ["unanswered"]);
    assert.ok(logs.includes("error redis_publish_failed"), logs.join("\n"));
    // It was dropped, not sent when Redis came back.
    fa.publish("#r", say("#r", "ana", "after"));
    await a.until("#r", 51);
    assert.deepEqual(a.texts("#r").slice(-2), ["m49", "after"]);
    assert.deepEqual(a.errors, []);
  });

  it("Redis hung (SIGSTOP) then back: every event published meanwhile arrives once, in order", async () => {
    const prefix = `t${++n}:`;
    const a = new Recorder("#r");
    const b = new Recorder("#r");
    const logsB: string[] = [];
    const fa = await node(prefix, a);
    await node(prefix, b, logsB);
    fa.publish("#r", say("#r", "ana", "before"));
    await b.until("#r", 1);
    redis.pause();
    try {
      for (let i = 0; i < 10; i++) fa.publish("#r", say("#r", "ana", `during${i}`));
      // Longer than block + read timeout: both readers give up on their connection.
      await sleep(1500);
    } finally {
      redis.resume();
    }
    fa.publish("#r", say("#r", "ana", "after"));
    await a.until("#r", 12);
    await b.until("#r", 12);
    assert.deepEqual(b.errors, []);
    assert.deepEqual(b.texts("#r"), [
      "before",
      ...Array.from({ length: 10 }, (_, i) => `during${i}`),
      "after",
    ]);
    assert.deepEqual(a.got.get("#r"), b.got.get("#r"));
    assert.deepEqual(
      logsB.filter((l) => l.includes("redis_down") || l.includes("redis_up")),
      ["error redis_down", "warn redis_up"],
    );
  });

  it("Redis restarted with its data: reading resumes from the last id, nothing lost or doubled", async () => {
    const prefix = `t${++n}:`;
    const a = new Recorder("#r");
    const b = new Recorder("#r");
    const fa = await node(prefix, a);
    await node(prefix, b);
    for (let i = 1; i <= 3; i++) fa.publish("#r", say("#r", "ana", `m${i}`));
    await b.until("#r", 3);
    await redis.restart({ keepData: true });
    for (let i = 4; i <= 6; i++) fa.publish("#r", say("#r", "ana", `m${i}`));
    await a.until("#r", 6);
    await b.until("#r", 6);
    assert.deepEqual(b.errors, []);
    assert.deepEqual(b.texts("#r"), ["m1", "m2", "m3", "m4", "m5", "m6"]);
  });
});
