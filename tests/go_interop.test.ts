/**
 * A Go consumer (redis-stream-client-go) and this library serving one service.
 * No Go toolchain runs here, so the Go peer is played by the commands its
 * source issues: it reads the LBS through the group as `redis-consumer-<pod>`
 * and locks `<name><MUTEX_KEY_SEP><idInLbs>` with SET NX PX and its consumer
 * id as the value (impl/relredis.go, notifs/lbsmsg.go).
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  createStreamClient,
  lbsGroupName,
  lbsStreamKey,
  NotificationType,
} from "../mod.ts";
import { heartbeat } from "../src/actors/heartbeat.ts";
import { handBack } from "../src/actors/release_stream.ts";
import { lockKey } from "../src/keys.ts";
import { silentLogger } from "../src/observability.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { GoExpiryListener } from "./helpers/go_expiry_listener.ts";
import { NotificationLog } from "./helpers/notifications.ts";
import { startOwner } from "./helpers/started_client.ts";
import { testRuntime } from "./helpers/test_runtime.ts";

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

describe("a Go peer hears every give-up of a stream left pending", () => {
  const db = useRedis({ notifyKeyspaceEvents: "KEx" }); // what the Go client sets

  // Many other keys with a TTL: Redis's sampling then takes seconds or more to find an expired
  // key, so an event heard at once is one the library made Redis publish.
  before(async () => {
    const multi = db.redis.multi();
    for (let i = 0; i < 10_000; i++) multi.set(`filler-${i}`, "x", { EX: 3600 });
    await multi.execAsPipeline();
  });

  it("done() expires the locks it gives up, so a Go peer hears of each at once", async () => {
    const owner = await startOwner(db.server, { logger: silentLogger, heartbeatMs: 2000 });
    await using go = await GoExpiryListener.start(db.redis);
    const lock = lockKey("s", owner.id);
    await owner.client.done();
    await go.heard(lock, 1000);
    const [pending] = await db.redis.xPendingRange(
      lbsStreamKey(owner.service),
      lbsGroupName(owner.service),
      "-",
      "+",
      1,
    );
    assert.equal(pending?.id, owner.id, "the entry stays pending for the peer that takes it");
    owner.redis.destroy();
  });

  it("a hand-back expires the lock, so a Go peer hears of it at once", async () => {
    const runtime = testRuntime(db.redis, uniqueName());
    const name = uniqueName("s");
    const taken = await runtime.locks.acquire(name, "1-0", 60_000);
    assert.ok("held" in taken);
    await using go = await GoExpiryListener.start(db.redis);
    await handBack(runtime, {
      ...taken.held,
      dataStreamName: name,
      idInLbs: "1-0",
      info: {},
      origin: "claim",
    });
    await go.heard(taken.held.lockKey, 1000);
  });

  it("settling a lock given up in an outage expires it, so a Go peer hears of it at once", async () => {
    const runtime = testRuntime(db.redis, uniqueName(), { heartbeatMs: 2000 });
    const name = uniqueName("s");
    const taken = await runtime.locks.acquire(name, "1-0", 60_000);
    assert.ok("held" in taken);
    await using go = await GoExpiryListener.start(db.redis);
    // The user was told the stream was lost; Redis still holds the lock for us.
    const lock = {
      ...taken.held,
      dataStreamName: name,
      idInLbs: "1-0",
      info: {},
      confirmedUntil: 0,
    };
    const output = await heartbeat({ runtime, locks: [], unsettled: [lock] });
    assert.deepEqual(output.settled, [taken.held.lockKey]);
    await go.heard(taken.held.lockKey, 1000);
  });
});
