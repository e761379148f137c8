import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { holdLease } from "../src/scripts/consumer_liveness.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";

describe("the sweeper's lease", () => {
  const db = useRedis();
  const hold = async (key: string, holder: string, leaseMs: number) =>
    Number(await holdLease.run(db.redis, [key], [holder, leaseMs]));

  it("is taken when free and renewed by its holder, not by another", async () => {
    const key = uniqueName("lease");
    assert.equal(await hold(key, "a", 300), 0, "free: a takes it");
    const waitMs = await hold(key, "b", 5000);
    assert.ok(waitMs > 0 && waitMs <= 300, `b waits for it to run out (${waitMs} ms)`);
    assert.equal(await hold(key, "a", 5000), 0, "a renews it");
    assert.ok((await db.redis.pTTL(key)) > 300, "for the new length");
    assert.equal(await db.redis.get(key), "a");
  });

  it("held without a TTL by someone else, it asks for a whole lease's wait, not a busy loop", async () => {
    const key = uniqueName("lease");
    await db.redis.set(key, "someone");
    assert.equal(await hold(key, "a", 400), 400);
  });
});
