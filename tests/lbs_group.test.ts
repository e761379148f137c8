/** Entries handed out before any consumer of the service ever ran reach the first one. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  createStreamClient,
  encodeLbsEntry,
  lbsGroupName,
  lbsStreamKey,
  NotificationType,
} from "../mod.ts";
import { silentLogger } from "../src/observability.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { NotificationLog } from "./helpers/notifications.ts";

const quiet = { logger: silentLogger, heartbeatMs: 400, lbsIdleMs: 800 };

describe("the LBS group", () => {
  const db = useRedis();

  it("addStream() on a new service creates the group, so the first consumer gets the entries", async () => {
    const service = uniqueName();
    const ids = [
      await addStream(db.redis, service, { dataStreamName: "early-1" }),
      await addStream(db.redis, service, { dataStreamName: "early-2" }),
    ];
    const [group] = await db.redis.xInfoGroups(lbsStreamKey(service));
    assert.equal(group?.name, lbsGroupName(service));
    const client = createStreamClient(db.redis, service, { ...quiet, consumerId: "first" });
    const log = new NotificationLog(await client.init());
    for (const id of ids) {
      await log.next((n) => n.type === NotificationType.StreamAdded && n.payload.idInLbs === id, {
        message: `StreamAdded for ${id}`,
      });
    }
    await client.done();
  });

  it("a consumer that creates the group starts it at 0: a bare XADD (a Go producer) is delivered", async () => {
    const service = uniqueName();
    const id = await db.redis.xAdd(
      lbsStreamKey(service),
      "*",
      encodeLbsEntry({ dataStreamName: "from-go", info: {} }),
    );
    const client = createStreamClient(db.redis, service, { ...quiet, consumerId: "first" });
    const log = new NotificationLog(await client.init());
    const added = await log.next((n) => n.type === NotificationType.StreamAdded);
    assert.deepEqual(added.payload, { dataStreamName: "from-go", idInLbs: id });
    await client.done();
  });

  it("addStream() keeps a group that exists, wherever it starts (a Go consumer's, at $)", async () => {
    const service = uniqueName();
    const lbs = lbsStreamKey(service);
    await db.redis.xAdd(lbs, "*", encodeLbsEntry({ dataStreamName: "before-go", info: {} }));
    await db.redis.xGroupCreate(lbs, lbsGroupName(service), "$", { MKSTREAM: true });
    const id = await addStream(db.redis, service, { dataStreamName: "after-go" });
    const client = createStreamClient(db.redis, service, { ...quiet, consumerId: "ts" });
    const log = new NotificationLog(await client.init());
    const added = await log.next((n) => n.type === NotificationType.StreamAdded);
    assert.equal(added.payload.idInLbs, id);
    assert.equal(log.seen.filter((n) => n.type === NotificationType.StreamAdded).length, 1);
    await client.done();
  });
});
