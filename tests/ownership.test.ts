import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  AlreadyClaimedError,
  createStreamClient,
  fencedWrite,
  lbsDeadLetterKey,
  lbsGroupName,
  lbsStreamKey,
  lockKey,
  NotificationType,
  orphanChannel,
  OwnershipLostError,
  type StreamClient,
} from "../mod.ts";
import { createClient } from "redis";
import { silentLogger } from "../src/observability.ts";
import type { RedisClient } from "../src/redis/client.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";
import { startOwner } from "./helpers/started_client.ts";
import { StallingProxy } from "./fixture/stalling_proxy.ts";
import { finishStreamScript } from "../src/scripts/finish_stream.ts";

const quiet = { logger: silentLogger, heartbeatMs: 300, lbsIdleMs: 600 };

/** A connected client of a server reached through another address (a proxy). */
async function connectTo(url: string): Promise<RedisClient> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  return client as unknown as RedisClient;
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Stops a client's actors without releasing anything, as a crash would. */
function crash(client: StreamClient): void {
  client.supervisor.stop();
}

describe("claims, recovery and fencing", () => {
  const db = useRedis();

  it("of five concurrent claimers exactly one wins; the others get AlreadyClaimedError", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const owner = createStreamClient(redis, service, { ...quiet, consumerId: "owner" });
    const ownerLog = new NotificationLog(await owner.init());
    const id = await addStream(redis, service, { dataStreamName: "s", info: { k: 1 } });
    await ownerLog.next((n) => n.type === NotificationType.StreamAdded);
    const claimers = await Promise.all(
      [1, 2, 3, 4, 5].map(async (i) => {
        const client = createStreamClient(redis, service, { ...quiet, consumerId: `c${i}` });
        return { client, log: new NotificationLog(await client.init()) };
      }),
    );
    crash(owner);
    await Promise.all(
      claimers.map(({ log }) =>
        log.next((n) => n.type === NotificationType.StreamExpired, { timeoutMs: 5000 })
      ),
    );
    const results = await Promise.allSettled(
      claimers.map(({ client }) => client.claim({ dataStreamName: "s", idInLbs: id })),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    assert.equal(won.length, 1);
    assert.equal(lost.length, 4);
    for (const r of lost) {
      assert.ok((r as PromiseRejectedResult).reason instanceof AlreadyClaimedError);
    }
    const result = (won[0] as PromiseFulfilledResult<{ fence: number; info: unknown }>).value;
    assert.equal(result.fence, 2, "the claim drew the next fencing token");
    assert.deepEqual(result.info, { k: 1 });
    const winner = claimers.find(({ client }) => client.ownedStreams().length === 1)!;
    const pending = await redis.xPendingRange(
      lbsStreamKey(service),
      lbsGroupName(service),
      "-",
      "+",
      10,
    );
    assert.equal(pending[0]?.consumer, winner.client.id, "the LBS entry moved to the winner");
    await Promise.all(claimers.map(({ client }) => client.done()));
    redis.destroy();
  });

  it("recovers at start-up the entries a dead consumer left pending", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const dead = createStreamClient(redis, service, { ...quiet, consumerId: "dead" });
    const deadLog = new NotificationLog(await dead.init());
    await addStream(redis, service, { dataStreamName: "x", info: {} });
    await addStream(redis, service, { dataStreamName: "y", info: {} });
    await waitUntil(() => deadLog.ofType(NotificationType.StreamAdded).length === 2);
    crash(dead);
    // Wait until both entries are idle for lbsIdleMs and their locks have expired.
    await waitUntil(async () => {
      const pending = await redis.xPendingRange(
        lbsStreamKey(service),
        lbsGroupName(service),
        "-",
        "+",
        10,
      );
      return pending.every((p) => p.millisecondsSinceLastDelivery >= quiet.lbsIdleMs);
    }, { message: "entries to go idle" });
    const heir = createStreamClient(redis, service, { ...quiet, consumerId: "heir" });
    const log = new NotificationLog(await heir.init());
    await waitUntil(() => log.ofType(NotificationType.StreamAdded).length === 2, {
      message: "both streams recovered",
    });
    assert.deepEqual(heir.ownedStreams().map((s) => s.dataStreamName).sort(), ["x", "y"]);
    await heir.done();
    redis.destroy();
  });

  it("a restarted pod with the same consumer id cannot extend or release its predecessor's lock", async () => {
    const { redis, service, client: before, id } = await startOwner(db.server, {
      ...quiet,
      consumerId: "pod-1",
    });
    const predecessorValue = await redis.get(lockKey("s", id));
    crash(before);
    const after = createStreamClient(redis, service, { ...quiet, consumerId: "pod-1" });
    const afterLog = new NotificationLog(await after.init());
    // The predecessor's lock is not silently adopted: it expires and is announced.
    const expired = await afterLog.next((n) => n.type === NotificationType.StreamExpired, {
      timeoutMs: 5000,
    });
    assert.equal(expired.payload.dataStreamName, "s");
    assert.equal(await redis.exists(lockKey("s", id)), 0, "the old lock expired untouched");
    const claimed = await after.claim(expired.payload);
    assert.equal(claimed.fence, 2);
    assert.notEqual(await redis.get(lockKey("s", id)), predecessorValue);
    await after.done();
    redis.destroy();
  });

  it("a stale owner's fenced write is refused once another consumer has claimed the stream", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const stale = createStreamClient(redis, service, { ...quiet, consumerId: "stale" });
    const staleLog = new NotificationLog(await stale.init());
    await addStream(redis, service, { dataStreamName: "s", info: {} });
    await staleLog.next((n) => n.type === NotificationType.StreamAdded);
    await stale.fencedSet("s", "s:checkpoint", "10-0");
    assert.equal(await redis.get("s:checkpoint"), "10-0");
    const staleOwnership = stale.ownership("s")!;
    crash(stale); // it "pauses": no heartbeats, but it keeps its ownership record

    const fresh = createStreamClient(redis, service, { ...quiet, consumerId: "fresh" });
    const log = new NotificationLog(await fresh.init());
    const expired = await log.next((n) => n.type === NotificationType.StreamExpired);
    const claim = await fresh.claim(expired.payload);
    assert.ok(claim.fence > staleOwnership.fence);

    await assert.rejects(
      fencedWrite(redis, staleOwnership, "s:checkpoint", "5-0"),
      OwnershipLostError,
    );
    await fresh.fencedSet("s", "s:checkpoint", "20-0");
    assert.equal(await redis.get("s:checkpoint"), "20-0");
    await fresh.done();
    redis.destroy();
  });

  it("a stale owner's doneStream is refused and leaves the entry to the new owner", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    // A long heartbeat: the takeover below happens before the stale owner's next beat.
    const stale = createStreamClient(redis, service, {
      ...quiet,
      heartbeatMs: 20_000,
      lbsIdleMs: 40_000,
      consumerId: "stale",
    });
    const log = new NotificationLog(await stale.init());
    const id = await addStream(redis, service, { dataStreamName: "s", info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    await redis.set(lockKey("s", id), "successor~1"); // another acquisition took the lock
    await assert.rejects(stale.doneStream("s"), OwnershipLostError);
    assert.equal((await redis.xRange(lbsStreamKey(service), id, id))?.length, 1, "entry kept");
    const pending = await redis.xPending(lbsStreamKey(service), lbsGroupName(service));
    assert.equal(pending.pending, 1, "still pending for its owner");
    assert.equal(
      await redis.get(lockKey("s", id)),
      "successor~1",
      "the successor's lock is untouched",
    );
    await stale.done();
    redis.destroy();
  });

  it("an owner paused between deciding to finish and finishing leaves its successor's entry pending", async () => {
    const service = uniqueName();
    const proxy = await StallingProxy.start(db.server.port);
    const ownerRedis = await connectTo(proxy.url);
    const owner = createStreamClient(ownerRedis, service, { ...quiet, consumerId: "owner" });
    const ownerLog = new NotificationLog(await owner.init());
    const id = await addStream(db.redis, service, { dataStreamName: "s", info: {} });
    await ownerLog.next((n) => n.type === NotificationType.StreamAdded);
    const successor = createStreamClient(db.redis, service, { ...quiet, consumerId: "successor" });
    const log = new NotificationLog(await successor.init());
    // The owner stalls as its ack is about to reach Redis: a separate XACK after its lock
    // check, or the one script that checks and acks together.
    const finishSha = await sha1Hex(finishStreamScript.source);
    const stalled = proxy.stallFrom((chunk) => chunk.includes("XACK") || chunk.includes(finishSha));
    const finishing = owner.doneStream("s");
    finishing.catch(() => {});
    await stalled;
    // Meanwhile its lock runs out and the successor takes the stream over.
    await log.next((n) => n.type === NotificationType.StreamExpired, { timeoutMs: 5000 });
    await successor.claim({ dataStreamName: "s", idInLbs: id });
    proxy.release();
    await assert.rejects(finishing, OwnershipLostError);
    const pending = await db.redis.xPendingRange(
      lbsStreamKey(service),
      lbsGroupName(service),
      "-",
      "+",
      10,
    );
    assert.deepEqual(pending.map((p) => [p.id, p.consumer]), [[id, "successor"]]);
    assert.equal((await db.redis.xRange(lbsStreamKey(service), id, id))?.length, 1, "entry kept");
    assert.deepEqual(successor.ownedStreams(), [{ dataStreamName: "s", idInLbs: id }]);
    await Promise.all([owner.done(), successor.done()]);
    ownerRedis.destroy();
    await proxy.close();
  });

  it("a late expiry announcement for a stream this consumer holds does not disown it", async () => {
    const { redis, service, client, log, id } = await startOwner(db.server, {
      ...quiet,
      consumerId: "c",
    });
    // What a sweeper publishes when it saw the lock gone just before this consumer took it.
    await redis.publish(orphanChannel(service), lockKey("s", id));
    const beats = await waitUntil(async () => {
      const ttl = await redis.pTTL(lockKey("s", id));
      return ttl > 0 && client.ownedStreams().length === 1 ? ttl : 0;
    });
    assert.ok(beats > 0);
    await waitUntil(async () => (await redis.pTTL(lockKey("s", id))) > quiet.heartbeatMs * 0.8, {
      message: "a heartbeat after the announcement",
    });
    assert.equal(log.ofType(NotificationType.StreamDisowned).length, 0);
    assert.deepEqual(client.ownedStreams().map((s) => s.dataStreamName), ["s"]);
    await client.done();
    redis.destroy();
  });

  it("dead-letters malformed LBS entries with the reason and keeps reading", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const client = createStreamClient(redis, service, {
      ...quiet,
      consumerId: "c",
      maxLbsEntryBytes: 256,
    });
    const log = new NotificationLog(await client.init());
    const lbs = lbsStreamKey(service);
    await redis.xAdd(lbs, "*", { "lbs-input": "{not json" });
    await redis.xAdd(lbs, "*", { other: "field" });
    await redis.xAdd(lbs, "*", { "lbs-input": JSON.stringify({ Info: {} }) });
    await redis.xAdd(lbs, "*", {
      "lbs-input": JSON.stringify({ DataStreamName: "x".repeat(300) }),
    });
    await addStream(redis, service, { dataStreamName: "good", info: {} });
    const added = await log.next((n) => n.type === NotificationType.StreamAdded);
    assert.equal(added.payload.dataStreamName, "good");
    await waitUntil(async () => (await redis.xLen(lbsDeadLetterKey(service))) === 4);
    const dead = (await redis.xRange(lbsDeadLetterKey(service), "-", "+")) ?? [];
    assert.deepEqual(
      dead.map((d) => d?.message.reason),
      ["not-json", "missing-field", "missing-stream-name", "oversized"],
    );
    assert.equal(dead[0]?.message.fields, JSON.stringify({ "lbs-input": "{not json" }));
    const pending = await redis.xPending(lbs, lbsGroupName(service));
    assert.equal(pending.pending, 1, "only the good entry is pending");
    await client.done();
    redis.destroy();
  });

  it("a slow reader pauses the LBS reader: assigned streams stay within the buffer", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const client = createStreamClient(redis, service, {
      ...quiet,
      consumerId: "c",
      bufferSize: 5,
      lbsBatchSize: 2,
    });
    const notifications = await client.init();
    for (let i = 0; i < 40; i++) {
      await addStream(redis, service, { dataStreamName: `s${i}`, info: {} });
    }
    await waitUntil(() => client.ownedStreams().length === 5, { message: "a full buffer" });
    const groups = await redis.xInfoGroups(lbsStreamKey(service));
    assert.equal(groups[0]!.pending, 5, "the reader took no more than the buffer holds");
    assert.equal(client.ownedStreams().length, 5);
    // Reading frees room and the reader goes on.
    const iterator = notifications[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) await iterator.next();
    await waitUntil(() => client.ownedStreams().length === 10, { message: "the next five" });
    await client.done();
    redis.destroy();
  });
});
