/**
 * The test Redis itself (test/redis-helpers.ts): it starts on a free port, a SIGSTOP makes it stop
 * answering until SIGCONT, and a restart keeps its data or starts empty, as asked.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { haveRedis, rawCommand, TestRedis } from "./redis-helpers.ts";

const skip = !haveRedis() && !process.env.CI ? "redis-server is not installed" : false;

describe("test redis-server", { skip }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await TestRedis.start();
  });
  after(async () => {
    await redis?.close();
  });

  it("answers on its port", async () => {
    assert.equal(await rawCommand(redis.port, "PING"), "+PONG\r\n");
  });

  it("a paused Redis does not answer; resumed, it does", async () => {
    redis.pause();
    await assert.rejects(rawCommand(redis.port, "PING", 300), /no reply/);
    redis.resume();
    assert.equal(await rawCommand(redis.port, "PING"), "+PONG\r\n");
  });

  it("a restart with data keeps keys; a restart without starts empty", async () => {
    assert.equal(await rawCommand(redis.port, "SET k v"), "+OK\r\n");
    await redis.restart({ keepData: true });
    assert.equal(await rawCommand(redis.port, "GET k"), "$1\r\nv\r\n");
    await redis.restart({ keepData: false });
    assert.equal(await rawCommand(redis.port, "GET k"), "$-1\r\n");
  });
});
