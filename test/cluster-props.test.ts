/**
 * Issue 12, property: users spread over two nodes doing random things (talk, join, part, rename)
 * in a few rooms; afterwards, whatever each saw of a room agrees with everyone else and with the
 * room's log in Redis: one event per seq, none missing, each user's live events in increasing seq
 * order.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { checkRoomName } from "../src/core/room.ts";
import type { RoomEvent, ServerEvent } from "../src/protocol/events.ts";
import { connectCluster } from "../src/server/cluster.ts";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { RedisStore } from "../src/store/redis.ts";
import { JsonClient, sleep, startTestServer, type TestServer } from "./helpers.ts";
import { haveRedis, TestRedis } from "./redis-helpers.ts";

const skip = !haveRedis() && !process.env.CI ? "redis-server is not installed" : false;

type Op =
  | { kind: "say"; user: number; room: number; text: string }
  | { kind: "join"; user: number; room: number }
  | { kind: "part"; user: number; room: number }
  | { kind: "nick"; user: number };

const USERS = 4;
const ROOMS = 3;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("say" as const),
      user: fc.nat(USERS - 1),
      room: fc.nat(ROOMS - 1),
      text: fc.string({ minLength: 1, maxLength: 12 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("join" as const),
      user: fc.nat(USERS - 1),
      room: fc.nat(ROOMS - 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("part" as const),
      user: fc.nat(USERS - 1),
      room: fc.nat(ROOMS - 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("nick" as const), user: fc.nat(USERS - 1) }) },
);

/** Every room event a client received, live or inside `history`. */
function seenBy(events: ServerEvent[]): { all: RoomEvent[]; live: RoomEvent[] } {
  const all: RoomEvent[] = [];
  const live: RoomEvent[] = [];
  for (const e of events) {
    if (e.type === "history") all.push(...e.events);
    else if (
      "seq" in e &&
      typeof e.seq === "number" &&
      "room" in e &&
      e.type !== "room" &&
      e.type !== "gap"
    ) {
      all.push(e as RoomEvent);
      live.push(e as RoomEvent);
    }
  }
  return { all, live };
}

/** Waits until no client has received anything for `quietMs`. */
async function quiet(clients: JsonClient[], quietMs = 400, maxMs = 15_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let since = Date.now();
  for (;;) {
    const n = clients.reduce((sum, c) => sum + c.text.lines.length, 0);
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    if (Date.now() > deadline) throw new Error("the clients never went quiet");
    await sleep(50);
  }
}

describe("property: users over two nodes see each room in one order", { skip }, () => {
  let redis: TestRedis;
  const servers: TestServer[] = [];
  let store: RedisStore;
  before(async () => {
    redis = await TestRedis.start();
    for (let i = 0; i < 2; i++) {
      const cluster = await connectCluster(redis.url, DEFAULT_LIMITS, () => {});
      servers.push(await startTestServer({ cluster, limits: { historyOnJoin: 50 } }));
    }
    store = await RedisStore.connect(redis.url);
  });
  after(async () => {
    store?.close();
    for (const s of servers) await s.close();
    await redis?.close();
  });

  it("one event per seq for everyone, live events in order, and the same as the room's log", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), async (ops) => {
        run++;
        const rooms = Array.from({ length: ROOMS }, (_, i) => `#p${run}r${i}`);
        const clients: JsonClient[] = [];
        try {
          for (let u = 0; u < USERS; u++) {
            const server = servers[u % 2] as TestServer;
            clients.push(await JsonClient.join(server.port, `p${run}u${u}`));
          }
          const names = clients.map((_, u) => `p${run}u${u}`);
          for (const op of ops) {
            const c = clients[op.user] as JsonClient;
            switch (op.kind) {
              case "say":
                c.request({ type: "line", room: rooms[op.room], text: `${op.text.replace(/^[/@]/, "_")}` });
                break;
              case "join":
                c.request({ type: "join", room: rooms[op.room] });
                break;
              case "part":
                c.request({ type: "part", room: rooms[op.room] });
                break;
              case "nick": {
                const next = `${names[op.user]}x`.slice(-20);
                names[op.user] = next;
                c.request({ type: "name", name: next });
                break;
              }
            }
          }
          await quiet(clients);
          for (const room of rooms) {
            const check = checkRoomName(room, 32);
            assert.ok(check.ok);
            const key = check.key;
            const log = new Map((await store.range(key, 0, 10_000)).map((e) => [e.seq, e]));
            for (const [u, c] of clients.entries()) {
              const { all, live } = seenBy(c.events);
              for (const e of all.filter((x) => x.room === room))
                assert.deepEqual(e, log.get(e.seq), `user ${u} saw ${room} seq ${e.seq} differently`);
              // Rooms here stay under historyOnJoin events, so a joiner's history starts at 1 and
              // nothing may be missing between it and the last event this user saw.
              const got = new Set(all.filter((x) => x.room === room).map((x) => x.seq));
              const top = Math.max(0, ...got);
              for (let q = 1; q <= top; q++) assert.ok(got.has(q), `user ${u} missed ${room} seq ${q}`);
              const seqs = live.filter((x) => x.room === room).map((x) => x.seq);
              for (let i = 1; i < seqs.length; i++)
                assert.ok(
                  (seqs[i] as number) > (seqs[i - 1] as number),
                  `user ${u}: ${room} live seqs ${seqs}`,
                );
            }
          }
        } finally {
          for (const c of clients) c.close();
        }
      }),
      { numRuns: 8 },
    );
  });
});
