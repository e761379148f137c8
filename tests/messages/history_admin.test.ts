import { describe, it } from "node:test";
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
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";

describe("history, retention and admin views", () => {
  const db = useRedis();

  async function streamWithGroup(n: number) {
    const stream = uniqueName("events");
    await db.redis.xGroupCreate(stream, "g", "0", { MKSTREAM: true });
    const ids = await publishBatch(
      db.redis,
      stream,
      Array.from({ length: n }, (_, i) => ({ type: "t", payload: String(i) })),
    );
    return { stream, ids };
  }

  it("replayRange pages through history without moving any group's cursor", async () => {
    const { stream, ids } = await streamWithGroup(25);
    await db.redis.xReadGroup("g", "c1", { key: stream, id: ">" }, { COUNT: 5 });
    const before = await groupsInfo(db.redis, stream);
    const seen = [];
    for await (const entry of replayRange(db.redis, stream, { pageSize: 7 })) seen.push(entry.id);
    assert.deepEqual(seen, ids);
    const middle = [];
    for await (const e of replayRange(db.redis, stream, { start: ids[3], end: ids[5] })) {
      middle.push(e.id);
    }
    assert.deepEqual(middle, ids.slice(3, 6));
    assert.deepEqual(await groupsInfo(db.redis, stream), before);
  });

  it("trims by MAXLEN or MINID, exactly or approximately", async () => {
    const { stream, ids } = await streamWithGroup(10);
    assert.equal(await trimStream(db.redis, stream, { maxLen: 6, approximate: false }), 4);
    assert.equal(await db.redis.xLen(stream), 6);
    assert.equal(await trimStream(db.redis, stream, { minId: ids[8]!, approximate: false }), 4);
    assert.equal(await db.redis.xLen(stream), 2);
    assert.ok(
      (await trimStream(db.redis, stream, { maxLen: 0 })) >= 0,
      "approximate is allowed to keep all",
    );
  });

  it("admin views show stream, groups, consumers and pending entries", async () => {
    const { stream, ids } = await streamWithGroup(4);
    await db.redis.xReadGroup("g", "c1", { key: stream, id: ">" }, { COUNT: 3 });
    await db.redis.xAck(stream, "g", ids[0]!);
    const info = await streamInfo(db.redis, stream);
    assert.equal(info.length, 4);
    assert.equal(info.groups, 1);
    assert.equal(info.firstEntryId, ids[0]);
    assert.equal(info.lastEntryId, ids[3]);
    const [group] = await groupsInfo(db.redis, stream);
    assert.equal(group!.name, "g");
    assert.equal(group!.pending, 2);
    assert.equal(group!.lag, 1);
    assert.equal(group!.lastDeliveredId, ids[2]);
    const [consumer] = await consumersInfo(db.redis, stream, "g");
    assert.equal(consumer!.name, "c1");
    assert.equal(consumer!.pending, 2);
    assert.ok(consumer!.idleMs >= 0);
    const pending = await pendingEntries(db.redis, stream, "g");
    assert.deepEqual(pending.map((p) => [p.id, p.consumer, p.deliveries]), [
      [ids[1], "c1", 1],
      [ids[2], "c1", 1],
    ]);
  });
});
