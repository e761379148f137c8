/**
 * A Go consumer (redis-stream-client-go) and this library serving one service.
 * No Go toolchain runs here, so the Go peer is played by the commands its
 * source issues: it reads the LBS through the group as `redis-consumer-<pod>`
 * and locks `<name><MUTEX_KEY_SEP><idInLbs>` with SET NX PX and its consumer
 * id as the value (impl/relredis.go, notifs/lbsmsg.go).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  createStreamClient,
  lbsGroupName,
  lbsStreamKey,
  NotificationType,
} from "../mod.ts";
import { silentLogger } from "../src/observability.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";

const GO_CONSUMER = "redis-consumer-go-pod";

describe("sharing a service with redis-stream-client-go", () => {
  const db = useRedis({ notifyKeyspaceEvents: "KEx" }); // what the Go client sets

  it("leaves a stream the Go peer holds to it, and takes it over when the Go lock expires", async () => {
    const service = uniqueName();
    const lbs = lbsStreamKey(service);
    const group = lbsGroupName(service);
    await db.redis.xGroupCreate(lbs, group, "$", { MKSTREAM: true });
    const name = uniqueName("orders");
    const id = await addStream(db.redis, service, { dataStreamName: name, info: { from: "go" } });
    // The Go peer reads the entry and locks the stream.
    await db.redis.xReadGroup(group, GO_CONSUMER, { key: lbs, id: ">" });
    const goLock = `${name}<MUTEX_KEY_SEP>${id}`;
    assert.equal(await db.redis.set(goLock, GO_CONSUMER, { NX: true, PX: 60_000 }), "OK");

    // Our client starts with a short idle time, so its start-up recovery finds the entry.
    await waitUntil(async () => {
      const [entry] = await db.redis.xPendingRange(lbs, group, "-", "+", 1);
      return (entry?.millisecondsSinceLastDelivery ?? 0) >= 100;
    });
    const client = createStreamClient(db.redis, service, {
      consumerId: "ts",
      logger: silentLogger,
      heartbeatMs: 50,
      lbsIdleMs: 100,
      reconcileIntervalMs: 200,
    });
    const log = new NotificationLog(await client.init());
    const [pending] = await db.redis.xPendingRange(lbs, group, "-", "+", 1);
    assert.equal(pending?.consumer, GO_CONSUMER, "the entry was handed back to the Go holder");
    assert.equal(log.ofType(NotificationType.StreamAdded).length, 0);
    assert.equal(await db.redis.get(goLock), GO_CONSUMER, "the Go lock is untouched");

    await db.redis.pExpire(goLock, 1); // the Go peer dies: its lock runs out
    const expired = await log.next((n) => n.type === NotificationType.StreamExpired, {
      message: "StreamExpired for the Go peer's stream",
    });
    assert.deepEqual(expired.payload, { dataStreamName: name, idInLbs: id });
    assert.deepEqual(expired.additionalInfo, { from: "go" });
    const claimed = await client.claim(expired.payload);
    assert.equal(claimed.fence, 1);
    assert.ok((await db.redis.get(goLock))?.startsWith("ts~"), "our lock, on the key Go locks");
    const [after] = await db.redis.xPendingRange(lbs, group, "-", "+", 1);
    assert.equal(after?.consumer, "ts");
    await client.done();
  });
});
