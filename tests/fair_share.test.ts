import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  createStreamClient,
  lockKey,
  NotificationType,
  orphanChannel,
  OwnershipLimitError,
  type StreamClient,
  type StreamClientOptions,
} from "../mod.ts";
import { FAIR_SHARE_SLACK } from "../src/fair_share.ts";
import { fenceKey } from "../src/keys.ts";
import { silentLogger } from "../src/observability.ts";
import type { RedisClient } from "../src/redis/client.ts";
import { type RedisServer, uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";

const quiet = { logger: silentLogger, heartbeatMs: 400, lbsIdleMs: 800, lbsBlockMs: 200 };

interface Consumer {
  readonly redis: RedisClient;
  readonly client: StreamClient;
  readonly log: NotificationLog;
}

async function startConsumer(
  server: RedisServer,
  service: string,
  options: StreamClientOptions,
): Promise<Consumer> {
  const redis = await server.connect();
  const client = createStreamClient(redis, service, { ...quiet, ...options });
  return { redis, client, log: new NotificationLog(await client.init()) };
}

async function stopAll(consumers: readonly Consumer[]): Promise<void> {
  await Promise.all(consumers.map(({ client }) => client.done()));
  for (const { redis } of consumers) redis.destroy();
}

const added = ({ log }: Consumer) => log.ofType(NotificationType.StreamAdded).length;

/** Adds `n` streams in one pipeline: a burst that reaches Redis within a millisecond or two. */
function addBurst(redis: RedisClient, service: string, n: number, prefix = "s"): Promise<string[]> {
  return Promise.all(
    Array.from(
      { length: n },
      (_, i) => addStream(redis, service, { dataStreamName: `${prefix}-${i}`, info: {} }),
    ),
  );
}

describe("fair hand-out", () => {
  const db = useRedis();

  it("spreads a burst of 60 streams over 4 running consumers: none gets more than ⌈60/4⌉ + slack", async () => {
    const service = uniqueName();
    const consumers: Consumer[] = [];
    for (let i = 0; i < 4; i++) {
      consumers.push(await startConsumer(db.server, service, { consumerId: `c${i}` }));
    }
    await addBurst(db.redis, service, 60);
    await waitUntil(() => consumers.reduce((sum, c) => sum + added(c), 0) === 60, {
      message: "all 60 streams owned",
    });
    const counts = consumers.map(added);
    const bound = Math.ceil(60 / 4) + FAIR_SHARE_SLACK;
    assert.ok(counts.every((n) => n <= bound), `per consumer ${counts.join("/")}, bound ${bound}`);
    await stopAll(consumers);
  });

  it("a lone consumer takes a burst of 300 streams in a handful of reads", async () => {
    const service = uniqueName();
    const lone = await startConsumer(db.server, service, { consumerId: "c", lbsBlockMs: 10_000 });
    await db.redis.configResetStat();
    await addBurst(db.redis, service, 300);
    await waitUntil(() => added(lone) === 300, { message: "all 300 streams owned" });
    const stats = await db.redis.info("commandstats");
    const reads = Number(/cmdstat_xreadgroup:calls=(\d+)/.exec(stats)?.[1]);
    // The read blocked when the burst came takes the slack; then batches of lbsBatchSize (100).
    assert.ok(reads <= 8, `${reads} XREADGROUP calls for 300 streams`);
    await stopAll([lone]);
  });

  it("at maxOwnedStreams the reader stops reading, and a peer gets the rest", async () => {
    const service = uniqueName();
    const capped = await startConsumer(db.server, service, {
      consumerId: "capped",
      maxOwnedStreams: 3,
    });
    await addBurst(db.redis, service, 5);
    await waitUntil(() => added(capped) === 3, { message: "the capped consumer owns 3" });
    const peer = await startConsumer(db.server, service, { consumerId: "peer" });
    await waitUntil(() => added(peer) === 2, { message: "the peer owns the other 2" });
    assert.equal(added(capped), 3);
    assert.equal(capped.client.ownedStreams().length, 3);
    await stopAll([capped, peer]);
  });

  it("claim() beyond maxOwnedStreams is refused with OwnershipLimitError and writes nothing", async () => {
    const service = uniqueName();
    const capped = await startConsumer(db.server, service, {
      consumerId: "capped",
      maxOwnedStreams: 1,
    });
    await addStream(db.redis, service, { dataStreamName: "first", info: {} });
    await capped.log.next((n) => n.type === NotificationType.StreamAdded);
    const id = await addStream(db.redis, service, { dataStreamName: "second", info: {} });
    await assert.rejects(
      capped.client.claim({ dataStreamName: "second", idInLbs: id }),
      (e: unknown) =>
        e instanceof OwnershipLimitError && e.name === "OwnershipLimitError" &&
        e.dataStreamName === "second" && e.limit === 1,
    );
    const lock = lockKey("second", id);
    assert.equal(await db.redis.exists([lock, fenceKey(lock)]), 0);
    assert.deepEqual(capped.client.ownedStreams().map((s) => s.dataStreamName), ["first"]);
    await stopAll([capped]);
  });

  it("a consumer at its cap is not offered StreamExpired, and is once it has room", async () => {
    const service = uniqueName();
    const capped = await startConsumer(db.server, service, {
      consumerId: "capped",
      maxOwnedStreams: 1,
      reconcileIntervalMs: 300,
    });
    await addStream(db.redis, service, { dataStreamName: "kept", info: {} });
    await capped.log.next((n) => n.type === NotificationType.StreamAdded);
    const leaving = await startConsumer(db.server, service, { consumerId: "leaving" });
    await addStream(db.redis, service, { dataStreamName: "orphan", info: {} });
    await leaving.log.next((n) => n.type === NotificationType.StreamAdded);

    // Watch the orphan channel: the hand-over's announcement, then reconciliation's repeats.
    const watcher = db.redis.duplicate();
    await watcher.connect();
    const heard: number[] = [];
    await watcher.subscribe(orphanChannel(service), (message) => {
      if (message.includes("orphan")) heard.push(Date.now());
    });
    await leaving.client.done();
    leaving.redis.destroy();
    // Announced again more than a TTL after the hand-over: the capped consumer has long decided.
    await waitUntil(() => heard.length >= 2 && heard.at(-1)! - heard[0]! > quiet.heartbeatMs, {
      message: "the orphan announced again by reconciliation",
    });
    const expired = (n: { type: string; payload: { dataStreamName: string } }) =>
      n.type === NotificationType.StreamExpired && n.payload.dataStreamName === "orphan";
    assert.equal(capped.log.seen.filter(expired).length, 0, "not offered at the cap");

    await capped.client.doneStream("kept");
    const offered = await capped.log.next(expired, { message: "StreamExpired once it has room" });
    const claimed = await capped.client.claim(offered.payload);
    assert.equal(claimed.dataStreamName, "orphan");
    await watcher.unsubscribe();
    watcher.destroy();
    await stopAll([capped]);
  });
});
