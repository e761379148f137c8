import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream } from "../mod.ts";
import { StreamNameCache } from "../src/actors/sweeper.ts";
import { NotificationQueue } from "../src/notification_queue.ts";
import { silentLogger } from "../src/observability.ts";
import { resolveOptions } from "../src/options.ts";
import { createRuntime } from "../src/runtime.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";

describe("reconciliation's cache of stream names", () => {
  const db = useRedis();

  it("answers every id of a call even when the cache starts over during it", async () => {
    const service = uniqueName();
    const options = resolveOptions({ logger: silentLogger });
    const runtime = createRuntime(db.redis, service, "c", options, new NotificationQueue(10));
    const ids = [];
    for (const name of ["a", "b", "c"]) {
      ids.push(await addStream(db.redis, service, { dataStreamName: name }));
    }
    const cache = new StreamNameCache(2); // full after two names: it starts over within the call
    assert.deepEqual(await cache.namesOf(runtime, ids), ["a", "b", "c"]);
    assert.deepEqual(await cache.namesOf(runtime, [...ids, "1-1"]), ["a", "b", "c", null]);
  });
});
