import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { heartbeat } from "../src/actors/heartbeat.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { testRuntime } from "./helpers/test_runtime.ts";

describe("heartbeat", () => {
  const db = useRedis();

  it("completes within its deadline even when settling an outage's locks stalls", async () => {
    const runtime = testRuntime(db.redis, uniqueName(), { heartbeatMs: 400 });
    const taken = await runtime.locks.acquire(uniqueName("s"), "1-0", 60_000);
    assert.ok("held" in taken);
    // The lock is still ours in Redis, so settling releases it: make that release hang.
    runtime.locks.giveUp = () => new Promise(() => {});
    const lock = {
      ...taken.held,
      dataStreamName: "s",
      idInLbs: "1-0",
      info: {},
      confirmedUntil: 0,
    };
    const started = Date.now();
    const output = await heartbeat({ runtime, locks: [], unsettled: [lock] });
    assert.equal(output.answered, true);
    assert.deepEqual(output.settled, [], "not settled: it will be tried again next beat");
    assert.ok(Date.now() - started < 5000, "the beat did not wait for the stalled release");
  });
});
