import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream } from "../mod.ts";
import { StreamNameCache } from "../src/actors/sweeper.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { testRuntime } from "./helpers/test_runtime.ts";

describe("reconciliation's cache of stream names", () => {
  const db = useRedis();

  it("answers every id of a call even when the cache starts over during it", async () => {
    const service = uniqueName();
    const runtime = testRuntime(db.redis, service);
    const ids = [];
    for (const name of ["a", "b", "c"]) {
      ids.push(await addStream(db.redis, service, { dataStreamName: name }));
    }
    const cache = new StreamNameCache(2); // full after two names: it starts over within the call
    assert.deepEqual(await cache.namesOf(runtime, ids), ["a", "b", "c"]);
    assert.deepEqual(await cache.namesOf(runtime, [...ids, "1-1"]), ["a", "b", "c", null]);
  });
});
