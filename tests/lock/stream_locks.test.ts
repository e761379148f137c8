import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { lockKey } from "../../mod.ts";
import { EXTEND_CHUNK, holderOf, StreamLocks } from "../../src/lock/stream_locks.ts";
import type { RedisClient } from "../../src/redis/client.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";

/** Calls of one command so far, from INFO commandstats. */
async function calls(redis: RedisClient, command: string): Promise<number> {
  const stats = await redis.info("commandstats");
  return Number(stats.match(new RegExp(`cmdstat_${command}:calls=(\\d+)`))?.[1] ?? 0);
}

describe("stream locks", () => {
  const db = useRedis();

  it("extendAll extends a client's locks with one script call per chunk of a thousand", async () => {
    const service = uniqueName();
    const locks = new StreamLocks(db.redis, service, "c1");
    const count = EXTEND_CHUNK * 2 + 500;
    const keys: string[] = [];
    await Promise.all(Array.from({ length: count }, async (_, i) => {
      const result = await locks.acquire(`${service}-s${i}`, `${i + 1}-0`, 5000);
      assert.ok("held" in result);
      keys.push(result.held.lockKey);
    }));
    const before = await calls(db.redis, "evalsha");
    const outcomes = await locks.extendAll(keys, 60_000);
    assert.equal(await calls(db.redis, "evalsha") - before, 3, "three chunks, three calls");
    assert.ok(outcomes.every((o) => o === "held"));
    assert.ok((await db.redis.pTTL(keys[0]!)) > 50_000, "the TTL was extended");
  });

  it("extendAll reports gone and foreign locks and never extends another client's lock", async () => {
    const service = uniqueName();
    const mine = new StreamLocks(db.redis, service, "pod");
    const predecessor = new StreamLocks(db.redis, service, "pod"); // same consumer id, restarted
    const a = await mine.acquire(uniqueName("a"), "1-0", 5000);
    const b = await mine.acquire(uniqueName("b"), "2-0", 5000);
    const c = await predecessor.acquire(uniqueName("c"), "3-0", 5000);
    assert.ok("held" in a && "held" in b && "held" in c);
    await db.redis.del(b.held.lockKey);
    const outcomes = await mine.extendAll([a.held.lockKey, b.held.lockKey, c.held.lockKey], 9000);
    assert.deepEqual(outcomes, ["held", "expired", "taken"]);
    assert.ok((await db.redis.pTTL(c.held.lockKey)) <= 5000, "the predecessor's lock is untouched");
  });

  it("take() whose call timed out in the lock library, though Redis set the lock, reports it taken", async () => {
    const service = uniqueName();
    const locks = new StreamLocks(db.redis, service, "c", 1); // the adapter gives up after 1 ms
    const stream = uniqueName("s");
    db.server.pause(); // the SET is queued and applied only after the adapter has given up
    const taking = locks.take(stream, "1-0", 5000);
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the 1 ms timer fire first
    db.server.resume();
    const taken = await taking;
    assert.ok("taken" in taken, "the lock Redis set for us is ours");
    assert.equal(await db.redis.get(lockKey(stream, "1-0")), taken.taken.lockValue);
  });

  it("lock values are unique per acquisition and name their holder", async () => {
    const service = uniqueName();
    const locks = new StreamLocks(db.redis, service, "consumer~with~tildes");
    const stream = uniqueName("s");
    const first = await locks.acquire(stream, "1-0", 5000);
    assert.ok("held" in first);
    await locks.release(first.held);
    const second = await locks.acquire(stream, "1-0", 5000);
    assert.ok("held" in second);
    assert.notEqual(first.held.lockValue, second.held.lockValue);
    assert.equal(holderOf(second.held.lockValue), "consumer~with~tildes");
    assert.ok(second.held.lockValue.startsWith(locks.prefix));
    assert.equal(second.held.fence, 2, "the fence grew across acquisitions");
  });

  it("keeps the set of held lock keys that the sweeper reads", async () => {
    const service = uniqueName();
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    const locks = new StreamLocks(db.redis, service, "c");
    const held = [await locks.acquire(a, "1-0", 5000), await locks.acquire(b, "2-0", 5000)];
    assert.ok(held.every((r) => "held" in r));
    assert.deepEqual((await db.redis.sMembers(locks.heldSetKey)).sort(), [
      lockKey(a, "1-0"),
      lockKey(b, "2-0"),
    ]);
    await locks.release({
      lockKey: lockKey(a, "1-0"),
      lockValue: await db.redis.get(lockKey(a, "1-0")) as string,
    });
    await locks.forget([lockKey(b, "2-0")]);
    assert.deepEqual(await db.redis.sMembers(locks.heldSetKey), []);
    const lost = await new StreamLocks(db.redis, service, "other").acquire(b, "2-0", 5000);
    assert.ok("heldBy" in lost, "b is still locked: forget only unindexes");
  });

  it("acquisitions asked for together cost one lock-library call, one fencing call and one SADD", async () => {
    const service = uniqueName();
    const locks = new StreamLocks(db.redis, service, "c");
    const acquireAll = (tag: string, count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, i) => locks.acquire(`${tag}-${i}`, `${i + 1}-0`, 5000)),
      );
    await acquireAll(uniqueName("warm"), 2); // loads the scripts
    const [evalsha, sadd] = await Promise.all(["evalsha", "sadd"].map((c) => calls(db.redis, c)));
    const acquired = await acquireAll(uniqueName("s"), 300);
    assert.ok(acquired.every((r) => "held" in r));
    const fences = acquired.map((r) => "held" in r ? r.held.fence : 0);
    assert.ok(fences.every((f) => f === 1), "each lock drew its first token");
    // One by one, the locks would have cost a SET NX each and the fences one script call each.
    assert.equal(await calls(db.redis, "evalsha") - evalsha, 2, "batch acquire + fences");
    assert.equal(await calls(db.redis, "sadd") - sadd, 1);
    assert.equal(await db.redis.sCard(locks.heldSetKey), 302);
  });

  it("a lock another consumer holds fails alone when taken together with free ones", async () => {
    const service = uniqueName();
    const other = new StreamLocks(db.redis, service, "other");
    const mine = new StreamLocks(db.redis, service, "mine");
    const names = Array.from({ length: 10 }, (_, i) => uniqueName(`s${i}`));
    const held = await other.acquire(names[4]!, "5-0", 5000);
    assert.ok("held" in held);
    const results = await Promise.all(names.map((n, i) => mine.acquire(n, `${i + 1}-0`, 5000)));
    results.forEach((r, i) => {
      if (i === 4) assert.deepEqual(r, { heldBy: held.held.lockValue });
      else assert.ok("held" in r && r.held.lockValue.startsWith(mine.prefix), `s${i} is mine`);
    });
    assert.equal(await db.redis.sIsMember(mine.heldSetKey, held.held.lockKey), 0);
    assert.equal(await db.redis.sCard(mine.heldSetKey), 9);
  });

  it("the same lock asked for twice at once is acquired once", async () => {
    const locks = new StreamLocks(db.redis, uniqueName(), "c");
    const stream = uniqueName("s");
    const results = await Promise.all([
      locks.acquire(stream, "1-0", 5000),
      locks.acquire(stream, "1-0", 5000),
      locks.acquire(uniqueName("t"), "2-0", 5000),
    ]);
    assert.equal(results.slice(0, 2).filter((r) => "held" in r).length, 1);
    assert.ok("held" in results[2]!);
  });

  it("locks taken together whose batch call timed out, though Redis applied it, are reported taken", async () => {
    const locks = new StreamLocks(db.redis, uniqueName(), "c", 1); // gives up after 1 ms
    const streams = [uniqueName("a"), uniqueName("b"), uniqueName("c")];
    db.server.pause(); // the batch is applied only after the lock library has given up on it
    const taking = Promise.all(streams.map((s, i) => locks.take(s, `${i + 1}-0`, 5000)));
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the 1 ms timers fire first
    db.server.resume();
    const taken = await taking;
    for (const [i, outcome] of taken.entries()) {
      assert.ok("taken" in outcome, `${streams[i]} is ours`);
      assert.equal(await db.redis.get(outcome.taken.lockKey), outcome.taken.lockValue);
    }
  });
});
