import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream } from "../mod.ts";
import { releaseStream } from "../src/actors/release_stream.ts";
import { StreamNameCache } from "../src/stream_name_cache.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { testRuntime } from "./helpers/test_runtime.ts";

describe("reconciliation's cache of stream names", () => {
  const db = useRedis();

  async function addStreams(service: string, names: readonly string[]): Promise<string[]> {
    const ids = [];
    for (const dataStreamName of names) {
      ids.push(await addStream(db.redis, service, { dataStreamName }));
    }
    return ids;
  }

  it("answers every id of a call even when it makes room during it", async () => {
    const service = uniqueName();
    const runtime = testRuntime(db.redis, service);
    const ids = await addStreams(service, ["a", "b", "c"]);
    const cache = new StreamNameCache(2); // full after two names: it makes room within the call
    assert.deepEqual(await cache.namesOf(runtime, ids), ["a", "b", "c"]);
    assert.deepEqual(await cache.namesOf(runtime, [...ids, "1-1"]), ["a", "b", "c", null]);
  });

  it("when full, evicts the name used least recently, one at a time", async () => {
    const service = uniqueName();
    const runtime = testRuntime(db.redis, service);
    const [a, b, c, d] = await addStreams(service, ["a", "b", "c", "d"]);
    const cache = new StreamNameCache(3);
    await cache.namesOf(runtime, [a!, b!, c!]);
    await cache.namesOf(runtime, [a!]); // a is used again: b is now the oldest
    await cache.namesOf(runtime, [d!]);
    assert.deepEqual([a, b, c, d].map((id) => cache.has(id!)), [true, false, true, true]);
  });

  it("is each client's own, and forgets a stream once it is finished", async () => {
    const service = uniqueName();
    const runtime = testRuntime(db.redis, service);
    const other = testRuntime(db.redis, service, {}, "other");
    assert.notEqual(runtime.streamNames, other.streamNames);
    const [id] = await addStreams(service, ["s"]);
    await db.redis.xReadGroup(runtime.lbsGroup, "c", { key: runtime.lbsStream, id: ">" });
    assert.deepEqual(await runtime.streamNames.namesOf(runtime, [id!]), ["s"]);
    assert.equal(other.streamNames.has(id!), false);
    const acquired = await runtime.locks.acquire("s", id!, 5000);
    assert.ok("held" in acquired);
    await releaseStream(runtime, {
      ...acquired.held,
      dataStreamName: "s",
      idInLbs: id!,
      info: {},
      mode: "finish",
    });
    assert.equal(runtime.streamNames.has(id!), false);
  });
});
