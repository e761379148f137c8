import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  consumersInfo,
  groupsInfo,
  pendingEntries,
  publishBatch,
  replayRange,
  streamInfo,
  trimStream,
} from "../../mod.ts";
import type { RedisClient } from "../../src/redis/client.ts";
import { RedisServer, uniqueName } from "../fixture/redis_server.ts";

describe("history, retention and admin views", () => {
  let server: RedisServer;
  let redis: RedisClient;
  before(async () => {
    server = await RedisServer.start();
    redis = await server.connect();
  });
  after(async () => {
    redis.destroy();
    await server.stop();
  });

  async function streamWithGroup(n: number) {
    const stream = uniqueName("events");
    await redis.xGroupCreate(stream, "g", "0", { MKSTREAM: true });
    const ids = await publishBatch(
      redis,
      stream,
      Array.from({ length: n }, (_, i) => ({ type: "t", payload: String(i) })),
    );
    return { stream, ids };
  }

  it("replayRange pages through history without moving any group's cursor", async () => {
    const { stream, ids } = await streamWithGroup(25);
    await redis.xReadGroup("g", "c1", { key: stream, id: ">" }, { COUNT: 5 });
    const before = await groupsInfo(redis, stream);
    const seen = [];
    for await (const entry of replayRange(redis, stream, { pageSize: 7 })) seen.push(entry.id);
    assert.deepEqual(seen, ids);
    const middle = [];
    for await (const e of replayRange(redis, stream, { start: ids[3], end: ids[5] })) {
      middle.push(e.id);
    }
    assert.deepEqual(middle, ids.slice(3, 6));
    assert.deepEqual(await groupsInfo(redis, stream), before);
  });

  it("trims by MAXLEN or MINID, exactly or approximately", async () => {
    const { stream, ids } = await streamWithGroup(10);
    assert.equal(await trimStream(redis, stream, { maxLen: 6, approximate: false }), 4);
    assert.equal(await redis.xLen(stream), 6);
    assert.equal(await trimStream(redis, stream, { minId: ids[8]!, approximate: false }), 4);
    assert.equal(await redis.xLen(stream), 2);
    assert.ok(
      (await trimStream(redis, stream, { maxLen: 0 })) >= 0,
      "approximate is allowed to keep all",
    );
  });

  it("admin views show stream, groups, consumers and pending entries", async () => {
    const { stream, ids } = await streamWithGroup(4);
    await redis.xReadGroup("g", "c1", { key: stream, id: ">" }, { COUNT: 3 });
    await redis.xAck(stream, "g", ids[0]!);
    const info = await streamInfo(redis, stream);
    assert.equal(info.length, 4);
    assert.equal(info.groups, 1);
    assert.equal(info.firstEntryId, ids[0]);
    assert.equal(info.lastEntryId, ids[3]);
    const [group] = await groupsInfo(redis, stream);
    assert.equal(group!.name, "g");
    assert.equal(group!.pending, 2);
    assert.equal(group!.lag, 1);
    assert.equal(group!.lastDeliveredId, ids[2]);
    const [consumer] = await consumersInfo(redis, stream, "g");
    assert.equal(consumer!.name, "c1");
    assert.equal(consumer!.pending, 2);
    assert.ok(consumer!.idleMs >= 0);
    const pending = await pendingEntries(redis, stream, "g");
    assert.deepEqual(pending.map((p) => [p.id, p.consumer, p.deliveries]), [
      [ids[1], "c1", 1],
      [ids[2], "c1", 1],
    ]);
  });
});
