import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  createStreamClient,
  NotificationType,
  OwnershipLostError,
  publishBatch,
  readOwnedStream,
} from "../../mod.ts";
import { silentLogger } from "../../src/observability.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";
import { NotificationLog } from "../helpers/notifications.ts";

const quiet = { logger: silentLogger, heartbeatMs: 300, lbsIdleMs: 600 };

describe("owned stream reader", () => {
  const db = useRedis();

  it("resumes after the previous owner's checkpoint, and a stale owner cannot commit", async () => {
    const service = uniqueName();
    const data = uniqueName("data");
    const ids = await publishBatch(
      db.redis,
      data,
      Array.from({ length: 6 }, (_, i) => ({ type: "t", payload: String(i) })),
    );
    const first = createStreamClient(db.redis, service, { ...quiet, consumerId: "first" });
    const firstLog = new NotificationLog(await first.init());
    await addStream(db.redis, service, { dataStreamName: data, info: {} });
    await firstLog.next((n) => n.type === NotificationType.StreamAdded);
    const firstOwnership = first.ownership(data)!;
    const reader = readOwnedStream(db.redis, firstOwnership, { blockMs: 50 });
    const read: string[] = [];
    for await (const entry of reader) {
      read.push(entry.id);
      if (read.length === 3) break;
    }
    await reader.commit(ids[2]!);
    assert.equal(await reader.checkpoint(), ids[2]);
    first.supervisor.stop(); // the first owner stalls: its lock will expire

    const second = createStreamClient(db.redis, service, { ...quiet, consumerId: "second" });
    const log = new NotificationLog(await second.init());
    const expired = await log.next((n) => n.type === NotificationType.StreamExpired);
    await second.claim(expired.payload);
    const next = readOwnedStream(db.redis, second.ownership(data)!, { blockMs: 50 });
    const resumed: string[] = [];
    for await (const entry of next) {
      resumed.push(entry.id);
      if (resumed.length === 3) break;
    }
    assert.deepEqual(resumed, ids.slice(3), "the new owner resumes after the checkpoint");
    await assert.rejects(reader.commit(ids[5]!), OwnershipLostError);
    await next.commit(ids[5]!);
    assert.equal(await next.checkpoint(), ids[5]);
    await second.done();
  });

  it("stops cleanly when ownership ends", async () => {
    const service = uniqueName();
    const data = uniqueName("data");
    const client = createStreamClient(db.redis, service, { ...quiet, consumerId: "c" });
    const log = new NotificationLog(await client.init());
    await addStream(db.redis, service, { dataStreamName: data, info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    const reading = (async () => {
      let count = 0;
      for await (const _ of readOwnedStream(db.redis, client.ownership(data)!, { blockMs: 50 })) {
        count++;
      }
      return count;
    })();
    await client.doneStream(data);
    assert.equal(await reading, 0, "the iterator ended when the stream was released");
    await client.done();
  });
});
