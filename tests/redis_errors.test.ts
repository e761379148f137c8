import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  ClientClosedError,
  consumerIndex,
  consumersInfo,
  createGroupConsumer,
  createStreamClient,
  DeadLetters,
  groupsInfo,
  lbsGroupName,
  lbsPending,
  lbsStreamKey,
  NotificationType,
  pendingEntries,
  publish,
  publishBatch,
  RedisCommandError,
  replayRange,
  streamInfo,
  streamOwners,
  trimStream,
} from "../mod.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil, withDeadline } from "./fixture/wait.ts";
import { keepingLogger } from "./helpers/keeping_logger.ts";
import { NotificationLog } from "./helpers/notifications.ts";

const TTL = 400;
const timing = { heartbeatMs: TTL, lbsIdleMs: 2 * TTL };
const OOM = /OOM command not allowed when used memory > 'maxmemory'/;

/** Asserts `error` is a RedisCommandError carrying Redis's OOM message, with node-redis's error as cause. */
function isOomRefusal(error: unknown): true {
  assert.ok(error instanceof RedisCommandError, `a RedisCommandError, got ${String(error)}`);
  assert.match(error.message, OOM);
  assert.ok(error.cause instanceof Error, "node-redis's error is the cause");
  assert.match((error.cause as Error).message, OOM);
  return true;
}

describe("errors from Redis", () => {
  const db = useRedis();
  const refuseWrites = async () => {
    await db.redis.configSet("maxmemory-policy", "noeviction");
    await db.redis.configSet("maxmemory", "1");
  };
  afterEach(async () => {
    await db.redis.configSet("maxmemory", "0");
  });

  it("a heartbeat refused with OOM is logged with Redis's reason, at most once per beat", async () => {
    const service = uniqueName();
    const { logger, lines } = keepingLogger();
    let beats = 0;
    const client = createStreamClient(db.redis, service, {
      ...timing,
      logger,
      metrics: { recordHeartbeat: () => void beats++ },
    });
    const log = new NotificationLog(await client.init());
    await addStream(db.redis, service, { dataStreamName: "s", info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    await refuseWrites();
    const failures = () => lines.filter((l) => l.message.startsWith("heartbeat failed"));
    const beatsBefore = beats;
    const failuresBefore = failures().length;
    await waitUntil(() => beats - beatsBefore >= 4, { message: "four beats under OOM" });
    const logged = failures().slice(failuresBefore);
    assert.ok(logged.length >= 1, "the failure is logged");
    assert.ok(
      logged.length <= beats - beatsBefore + 1,
      `${logged.length} lines for ${beats - beatsBefore} beats`,
    );
    for (const line of logged) assert.match(String(line.fields?.error), OOM);
    await db.redis.configSet("maxmemory", "0");
    await client.done();
    await log.finished;
  });

  it("a client whose index mark Redis refuses (OOM) keeps its streams: the locks were extended", async () => {
    const service = uniqueName();
    const { logger } = keepingLogger();
    let beats = 0;
    const client = createStreamClient(db.redis, service, {
      ...timing,
      logger,
      metrics: { recordHeartbeat: () => void beats++ },
    });
    const log = new NotificationLog(await client.init());
    await addStream(db.redis, service, { dataStreamName: "s", info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    await refuseWrites();
    const beatsBefore = beats;
    // Four TTLs: without the fix, the streams were disowned as unreachable after one.
    await waitUntil(() => beats - beatsBefore >= 8, { message: "eight beats under OOM" });
    assert.deepEqual(log.ofType(NotificationType.StreamDisowned), []);
    assert.deepEqual(client.ownedStreams().map((s) => s.dataStreamName), ["s"]);
    await db.redis.configSet("maxmemory", "0");
    await client.done();
    await log.finished;
  });

  it("fencedSet and claim refused by Redis reject with RedisCommandError carrying Redis's message", async () => {
    const service = uniqueName();
    const client = createStreamClient(db.redis, service, {
      ...timing,
      logger: keepingLogger().logger,
    });
    const log = new NotificationLog(await client.init());
    await addStream(db.redis, service, { dataStreamName: "s", info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    const idInLbs = await addStream(db.redis, uniqueName(), { dataStreamName: "other", info: {} });
    await refuseWrites();
    await assert.rejects(client.fencedSet("s", "target", "v"), isOomRefusal);
    await assert.rejects(client.claim({ dataStreamName: "other", idInLbs }), isOomRefusal);
    await db.redis.configSet("maxmemory", "0");
    await client.done();
    await log.finished;
  });

  it("init() refused by Redis rejects with ClientClosedError whose message and cause carry Redis's reason", async () => {
    await refuseWrites();
    const client = createStreamClient(db.redis, uniqueName(), {
      ...timing,
      logger: keepingLogger().logger,
    });
    await assert.rejects(client.init(), (error: unknown) => {
      assert.ok(error instanceof ClientClosedError, String(error));
      assert.match(error.message, OOM);
      return isOomRefusal(error.cause);
    });
  });

  it("the message layer's publish and group consumer start refused by Redis reject with RedisCommandError", async () => {
    await refuseWrites();
    const message = { type: "t", payload: "p" };
    await assert.rejects(publish(db.redis, uniqueName(), message), isOomRefusal);
    await assert.rejects(publishBatch(db.redis, uniqueName(), [message, message]), isOomRefusal);
    const consumer = createGroupConsumer(db.redis, {
      stream: uniqueName(),
      group: "g",
      handler: () => {},
      logger: keepingLogger().logger,
    });
    await assert.rejects(consumer.start(), isOomRefusal);
    await consumer.stop();
  });

  it("StreamTerminated carries Redis's message when the LBS reader gives up", async () => {
    const service = uniqueName();
    const client = createStreamClient(db.redis, service, {
      ...timing,
      logger: keepingLogger().logger,
      retry: { maxRetries: 0 },
    });
    const log = new NotificationLog(await client.init());
    await db.redis.xGroupDestroy(lbsStreamKey(service), lbsGroupName(service));
    const terminated = await log.next((n) => n.type === NotificationType.StreamTerminated);
    assert.match(String(terminated.additionalInfo.info), /^lbs-reader gave up: \w+: NOGROUP /);
    await withDeadline(log.finished, 5000, "the iterator to end");
    await client.done();
  });
});

describe("errors from Redis in the views and the message layer", () => {
  const db = useRedis();
  const WRONGTYPE = /WRONGTYPE/;
  /** Asserts `error` is a RedisCommandError carrying Redis's WRONGTYPE text, node-redis's error as cause. */
  const isWrongType = (error: unknown): true => {
    assert.ok(error instanceof RedisCommandError, `a RedisCommandError, got ${String(error)}`);
    assert.match(error.message, WRONGTYPE);
    assert.match(String((error.cause as Error)?.message), WRONGTYPE);
    return true;
  };

  it("reads of a key holding another type reject with RedisCommandError carrying Redis's message", async () => {
    const key = uniqueName("not-a-stream");
    await db.redis.set(key, "a string");
    const service = uniqueName();
    await db.redis.set(lbsStreamKey(service), "a string");
    await db.redis.set(`${key}-dead`, "a string");
    await db.redis.set(`{${service}}-consumers`, "a string");
    await assert.rejects(streamInfo(db.redis, key), isWrongType);
    await assert.rejects(groupsInfo(db.redis, key), isWrongType);
    await assert.rejects(consumersInfo(db.redis, key, "g"), isWrongType);
    await assert.rejects(pendingEntries(db.redis, key, "g"), isWrongType);
    await assert.rejects(trimStream(db.redis, key, { maxLen: 1 }), isWrongType);
    await assert.rejects(replayRange(db.redis, key).next(), isWrongType);
    const letters = new DeadLetters(db.redis, { stream: key });
    await assert.rejects(letters.peek(), isWrongType);
    await assert.rejects(letters.size(), isWrongType);
    await assert.rejects(letters.replayAll(), isWrongType);
    await assert.rejects(streamOwners(db.redis, service), isWrongType);
    await assert.rejects(lbsPending(db.redis, service), isWrongType);
    await assert.rejects(consumerIndex(db.redis, service), isWrongType);
  });
});
