import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  createStreamClient,
  lbsGroupName,
  lbsStreamKey,
  lockKey,
  NotificationType,
  StreamNotOwnedError,
} from "../mod.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";
import { startOwner } from "./helpers/started_client.ts";
import { silentLogger } from "../src/observability.ts";

const quiet = { logger: silentLogger, heartbeatMs: 400, lbsIdleMs: 800 };

describe("StreamClient", () => {
  const db = useRedis();

  it("assigns an LBS entry with StreamAdded carrying its Info, a fence and a held lock", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const client = createStreamClient(redis, service, { ...quiet, consumerId: "c1" });
    const log = new NotificationLog(await client.init());
    const id = await addStream(redis, service, {
      dataStreamName: "orders-1",
      info: { region: "eu" },
    });
    const added = await log.next((n) => n.type === NotificationType.StreamAdded);
    assert.deepEqual(added.payload, { dataStreamName: "orders-1", idInLbs: id });
    assert.deepEqual(added.additionalInfo, { region: "eu" });
    assert.equal(added.fence, 1);
    const value = await redis.get(lockKey("orders-1", id));
    assert.ok(value?.startsWith("c1~"), `lock value ${value} names its holder`);
    assert.deepEqual(client.ownedStreams(), [{ dataStreamName: "orders-1", idInLbs: id }]);
    await client.done();
    redis.destroy();
  });

  it("keeps the lock alive past its TTL while the owner heartbeats", async () => {
    const { redis, client, id } = await startOwner(db.server, {
      ...quiet,
      consumerId: "c1",
    });
    const key = lockKey("s", id);
    const ttls: number[] = [];
    await waitUntil(async () => {
      ttls.push(await redis.pTTL(key));
      return ttls.length >= 15;
    }, { intervalMs: 100, message: "15 TTL samples" });
    assert.ok(ttls.every((t) => t > 0), `lock stayed alive: ${ttls.join(",")}`);
    await client.done();
    redis.destroy();
  });

  it("doneStream releases the lock, acks and deletes the LBS entry", async () => {
    const { redis, service, client, id } = await startOwner(db.server, {
      ...quiet,
      consumerId: "c1",
    });
    await client.doneStream("s");
    assert.equal(await redis.exists(lockKey("s", id)), 0);
    assert.equal(await redis.xLen(lbsStreamKey(service)), 0);
    const pending = await redis.xPending(lbsStreamKey(service), lbsGroupName(service));
    assert.equal(pending.pending, 0);
    assert.deepEqual(client.ownedStreams(), []);
    await assert.rejects(client.doneStream("s"), StreamNotOwnedError);
    await client.done();
    redis.destroy();
  });

  it("done() releases every lock, keeps entries pending and ends the iterator", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const client = createStreamClient(redis, service, { ...quiet, consumerId: "c1" });
    const log = new NotificationLog(await client.init());
    const ids = await Promise.all(
      ["a", "b", "c"].map((name) => addStream(redis, service, { dataStreamName: name, info: {} })),
    );
    await waitUntil(() => log.ofType(NotificationType.StreamAdded).length === 3);
    await client.done();
    await log.finished;
    assert.equal(log.seen.at(-1)?.type, NotificationType.StreamTerminated);
    for (const [i, name] of ["a", "b", "c"].entries()) {
      assert.equal(await redis.exists(lockKey(name, ids[i]!)), 0);
    }
    const pending = await redis.xPending(lbsStreamKey(service), lbsGroupName(service));
    assert.equal(pending.pending, 3);
    await assert.rejects(
      client.claim({ dataStreamName: "a", idInLbs: ids[0]! }),
      { name: "ClientClosedError", message: /stopped/ },
    );
    redis.destroy();
  });

  it("reports the Go library's metric events and releases on await using", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const events: string[] = [];
    const record = (name: string) => () => void events.push(name);
    const metrics = {
      recordStartupRecovery: record("startupRecovery"),
      recordLockAcquisitionAttempt: record("lockAcquisition"),
      recordLockExtensionAttempt: record("lockExtension"),
      recordLockReleaseAttempt: record("lockRelease"),
      recordStreamProcessingStart: record("processingStart"),
      recordStreamProcessingEnd: record("processingEnd"),
    };
    let id = "";
    {
      await using client = createStreamClient(redis, service, {
        ...quiet,
        consumerId: "m",
        metrics,
      });
      const log = new NotificationLog(await client.init());
      id = await addStream(redis, service, { dataStreamName: "s", info: {} });
      await log.next((n) => n.type === NotificationType.StreamAdded);
      await waitUntil(() => events.includes("lockExtension"), { message: "a heartbeat" });
    }
    for (
      const name of [
        "startupRecovery",
        "lockAcquisition",
        "lockExtension",
        "processingStart",
        "lockRelease",
        "processingEnd",
      ]
    ) {
      assert.ok(events.includes(name), `${name} recorded (got ${events.join(", ")})`);
    }
    assert.equal(await redis.exists(lockKey("s", id)), 0, "disposal released the lock");
    redis.destroy();
  });

  it("an aborted signal stops the client with StreamTerminated", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const client = createStreamClient(redis, service, { ...quiet, consumerId: "c1" });
    const abort = new AbortController();
    const log = new NotificationLog(await client.init({ signal: abort.signal }));
    abort.abort();
    await log.finished;
    const last = log.seen.at(-1);
    assert.equal(last?.type, NotificationType.StreamTerminated);
    assert.equal(last?.additionalInfo.info, "client done");
    assert.equal(client.supervisor.getSnapshot().status, "done");
    redis.destroy();
  });
});
