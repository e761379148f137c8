/**
 * Takeover paths that do not depend on Redis's expired events: keyspace
 * events are off on this server and reconciliation is effectively disabled,
 * so each test shows one of the library's own announcement paths at work.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import {
  addStream,
  ClientClosedError,
  createStreamClient,
  DeadlineExceededError,
  lockKey,
  NotificationType,
  type StreamClient,
  type StreamClientOptions,
} from "../mod.ts";
import {
  consumerIndexKey,
  consumerLocksKey,
  fenceKey,
  lbsGroupName,
  lbsStreamKey,
  orphanChannel,
  sweepLockKey,
} from "../src/keys.ts";
import { encodeLbsEntry } from "../src/lbs_entry.ts";
import {
  decodeOrphanNotices,
  encodeOrphanNotices,
  type OrphanNotice,
} from "../src/actors/orphan_notices.ts";
import { silentLogger } from "../src/observability.ts";
import type { RedisClient } from "../src/redis/client.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";

const HEARTBEAT_MS = 400;
const options: StreamClientOptions = {
  logger: silentLogger,
  heartbeatMs: HEARTBEAT_MS,
  lbsIdleMs: 60_000,
  keyspaceConfig: "skip",
  reconcileIntervalMs: 600_000,
  retry: { maxRetries: -1, initialDelayMs: 50, maxDelayMs: 400 },
};

/** The lock-value prefix a client's locks carry: its name in the consumer index. */
async function prefixOf(redis: RedisClient, key: string): Promise<string> {
  const value = await redis.get(key);
  assert.ok(value, `${key} is locked`);
  return value.slice(0, value.lastIndexOf(".") + 1);
}

/** Waits until the sweeper has forgotten a client: out of the index, holding no locks. */
async function forgotten(redis: RedisClient, service: string, prefix: string, message: string) {
  await waitUntil(async () => (await redis.zScore(consumerIndexKey(service), prefix)) === null, {
    message,
  });
  assert.equal(await redis.exists(consumerLocksKey(service, prefix)), 0);
}

describe("takeover without keyspace events", () => {
  const db = useRedis({ notifyKeyspaceEvents: "" });

  async function started(service: string, consumerId: string, extra: StreamClientOptions = {}) {
    const client = createStreamClient(db.redis, service, { ...options, consumerId, ...extra });
    return { client, log: new NotificationLog(await client.init()) };
  }

  /** A client that was assigned one stream (with `info`), and that stream. */
  async function ownerOfOneStream(service: string, info: Record<string, unknown> = {}) {
    const owner = await started(service, "owner");
    const name = uniqueName("s");
    const id = await addStream(db.redis, service, { dataStreamName: name, info });
    await owner.log.next((n) => n.type === NotificationType.StreamAdded);
    return { owner, name, id };
  }

  /** A peer told that the stream of an owner that crashed expired. */
  async function peerToldOfOrphan(service: string) {
    const { owner, name, id } = await ownerOfOneStream(service);
    const peer = await started(service, "peer");
    owner.client.supervisor.stop(); // a crash: nothing released, nothing announced
    const expired = await peer.log.next((n) => n.type === NotificationType.StreamExpired);
    return { peer, name, id, expired };
  }

  it("the sweeper announces every stream of a crashed client, then forgets the client", async () => {
    const service = uniqueName();
    const owner = await started(service, "owner");
    const names = ["a", "b", "c"].map((n) => uniqueName(n));
    const ids = [];
    for (const name of names) {
      ids.push(await addStream(db.redis, service, { dataStreamName: name }));
    }
    await waitUntil(() => owner.log.ofType(NotificationType.StreamAdded).length === 3);
    const prefix = await prefixOf(db.redis, lockKey(names[0]!, ids[0]!));
    const peer = await started(service, "peer");

    owner.client.supervisor.stop(); // a crash: nothing released, nothing announced
    for (const name of names) {
      await peer.log.next(
        (n) => n.type === NotificationType.StreamExpired && n.payload.dataStreamName === name,
        { timeoutMs: 5000, message: `StreamExpired for ${name}` },
      );
    }
    await forgotten(db.redis, service, prefix, "the crashed client to leave the consumer index");
    await peer.client.done();
  });

  /** Plays, in Redis, a client that owns one stream and dies `inMs` from now. Returns the stream. */
  async function dyingClient(service: string, inMs: number): Promise<string> {
    // Its LBS entry is handed to it in the same transaction that adds it, so no live reader
    // takes it; then its lock, its lock set and its deadline in the consumer index.
    const ghost = `ghost~${uniqueName("g")}.`;
    const name = uniqueName("s");
    const [id] = await db.redis.multi()
      .xAdd(lbsStreamKey(service), "*", encodeLbsEntry({ dataStreamName: name, info: {} }))
      .xReadGroup(lbsGroupName(service), ghost, { key: lbsStreamKey(service), id: ">" })
      .exec() as [string, unknown];
    const lock = lockKey(name, id);
    const [seconds, micros] = (await db.redis.time() as unknown as [number, number]).map(Number);
    await db.redis.multi()
      .set(lock, `${ghost}1`, { PX: inMs })
      .sAdd(consumerLocksKey(service, ghost), lock)
      .zAdd(consumerIndexKey(service), {
        score: seconds! * 1000 + Math.floor(micros! / 1000) + inMs,
        value: ghost,
      })
      .exec();
    return name;
  }

  it("the sweeper wakes when a client's deadline passes, not a sweep interval later", async () => {
    const service = uniqueName();
    const peer = await started(service, "peer", { sweepIntervalMs: 10_000 });
    const diesAt = Date.now() + HEARTBEAT_MS;
    const name = await dyingClient(service, HEARTBEAT_MS);
    await peer.log.next(
      (n) => n.type === NotificationType.StreamExpired && n.payload.dataStreamName === name,
      { timeoutMs: 5000, message: "StreamExpired" },
    );
    // A sweep every 10 s would take seconds; waking at the deadline takes a moment.
    const late = Date.now() - diesAt;
    assert.ok(late < 500, `announced ${late} ms after the client's deadline`);
    await peer.client.done();
  });

  it("when the sweeper dies, another consumer takes its place as its lease runs out", async () => {
    const service = uniqueName();
    await db.redis.set(sweepLockKey(service), "dead-sweeper~000000000000.", { PX: 600 });
    const peer = await started(service, "peer", { sweepIntervalMs: 10_000 });
    const name = await dyingClient(service, HEARTBEAT_MS);
    await peer.log.next(
      (n) => n.type === NotificationType.StreamExpired && n.payload.dataStreamName === name,
      { timeoutMs: 5000, message: "StreamExpired within a moment of the lease running out" },
    );
    await peer.client.done();
  });

  it("an owner that finds its lock gone is told StreamDisowned and announces the stream", async () => {
    const service = uniqueName();
    const { owner, name, id } = await ownerOfOneStream(service, { k: 1 });
    const peer = await started(service, "peer"); // joins after the assignment
    await db.redis.del(lockKey(name, id)); // evicted, or deleted by hand: the owner lives on
    const disowned = await owner.log.next((n) => n.type === NotificationType.StreamDisowned);
    assert.equal(disowned.additionalInfo.reason, "expired");
    const expired = await peer.log.next((n) => n.type === NotificationType.StreamExpired, {
      timeoutMs: 3000,
      message: "the owner's own announcement",
    });
    assert.deepEqual(expired.payload, { dataStreamName: name, idInLbs: id });
    assert.deepEqual(expired.additionalInfo, { k: 1 });
    await Promise.all([owner.client.done(), peer.client.done()]);
  });

  it("streams given up while Redis was unreachable are announced once it answers again", async () => {
    const service = uniqueName();
    const said: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger = {
      ...silentLogger,
      info: (m: string, f?: Record<string, unknown>) => void said.push([m, f]),
    };
    const owner = await started(service, "owner", { logger });
    const name = uniqueName("s");
    const id = await addStream(db.redis, service, { dataStreamName: name });
    await owner.log.next((n) => n.type === NotificationType.StreamAdded);
    const prefix = await prefixOf(db.redis, lockKey(name, id));
    const peer = await started(service, "peer");

    db.server.pause(); // longer than the TTL: the owner can no longer prove it holds the lock
    await owner.log.next((n) => n.type === NotificationType.StreamDisowned, {
      message: "StreamDisowned while Redis is frozen",
    }).finally(() => db.server.resume());
    assert.equal(
      owner.log.ofType(NotificationType.StreamDisowned)[0]!.additionalInfo.reason,
      "unreachable",
    );
    await peer.log.next((n) => n.type === NotificationType.StreamExpired, {
      timeoutMs: 5000,
      message: "StreamExpired on the peer after the outage",
    });
    assert.deepEqual(
      await peer.client.claim({ dataStreamName: name, idInLbs: id }).then((r) => r.dataStreamName),
      name,
    );
    await waitUntil(
      async () => !(await db.redis.sIsMember(consumerLocksKey(service, prefix), lockKey(name, id))),
      { message: "the owner to unindex the lock it gave up" },
    );
    const reverified = await waitUntil(
      () => said.find(([message]) => message.startsWith("Redis answers again")),
      { message: "the owner to log that its locks were re-verified" },
    );
    assert.equal(reverified?.[1]?.held, 0);
    await Promise.all([owner.client.done(), peer.client.done()]);
  });

  it("a claim abandoned at its deadline gives the stream back and it is announced again", async () => {
    const { peer, name, id, expired: first } = await peerToldOfOrphan(uniqueName());

    db.server.pause(); // the claim's commands wait in the socket past its 5 s deadline
    const claiming = peer.client.claim(first.payload);
    await assert.rejects(claiming, DeadlineExceededError).finally(() => db.server.resume());
    // Once Redis answers, the claim completes late, gives its lock back and announces the stream.
    await peer.log.next(
      (n) => n.type === NotificationType.StreamExpired && n !== first,
      { message: "the stream announced again" },
    );
    const claimed = await peer.client.claim({ dataStreamName: name, idInLbs: id });
    assert.equal(claimed.dataStreamName, name);
    await peer.client.done();
  });

  it("a claim that completes while its client is stopping gives the stream back, before done() returns", async () => {
    const service = uniqueName();
    const { owner, name, id } = await ownerOfOneStream(service);
    const [leaving, staying] = [
      await started(service, "leaving"),
      await started(service, "staying"),
    ];
    const released: OrphanNotice[] = [];
    const listener = db.redis.duplicate();
    await listener.connect();
    await listener.subscribe(orphanChannel(service), (message) => {
      released.push(...decodeOrphanNotices(message).filter((n) => n.released));
    });
    owner.client.supervisor.stop();
    const expired = await leaving.log.next((n) => n.type === NotificationType.StreamExpired);

    db.server.pause(); // the claim's commands wait while its client begins to stop
    const claiming = leaving.client.claim(expired.payload);
    let claimSettled = false;
    claiming.catch(() => {}).finally(() => (claimSettled = true));
    await new Promise((resolve) => setImmediate(resolve)); // claims made together go out now
    const stopping = leaving.client.done();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the freeze itself
    db.server.resume();
    await stopping;
    // Nothing of the client's is left running: the caller may close its connection now.
    assert.ok(claimSettled, "done() waited for the claim in flight");
    await assert.rejects(claiming, ClientClosedError);
    await waitUntil(() => released.some((n) => n.idInLbs === id), {
      message: "the stream announced as given back",
    });
    // Whether or not it was told of the first expiry (the leaving client may have been the
    // stream's first claimer), the staying client is told of the stream once it is given back.
    await staying.log.next(
      (n) => n.type === NotificationType.StreamExpired && n.payload.idInLbs === id,
      { message: "the stream announced to the staying client" },
    );
    assert.equal(await db.redis.exists(lockKey(name, id)), 0, "no lock left behind");
    await Promise.all([staying.client.done(), listener.quit()]);
  });

  it("a claim made just as its client stops fails without taking the stream", async () => {
    const { peer, name, id, expired } = await peerToldOfOrphan(uniqueName());
    const fence = await db.redis.get(fenceKey(lockKey(name, id)));
    const claiming = peer.client.claim(expired.payload);
    const failed = assert.rejects(claiming, ClientClosedError);
    await peer.client.done(); // in the same turn: the claim has not gone to Redis yet
    await failed;
    assert.equal(await db.redis.get(fenceKey(lockKey(name, id))), fence, "no acquisition since");
    assert.equal(await db.redis.exists(lockKey(name, id)), 0, "no lock left behind");
  });

  it("a stream given back moments after its expiry was heard is announced again", async () => {
    const service = uniqueName();
    const { client, log } = await started(service, "c");
    const notice = { dataStreamName: uniqueName("s"), idInLbs: "1-1", info: {} };
    const publish = (n: OrphanNotice) =>
      db.redis.publish(orphanChannel(service), encodeOrphanNotices([n])[0]!);
    const told = () =>
      log.ofType(NotificationType.StreamExpired).filter((n) => n.payload.idInLbs === "1-1");
    // A sweeper found its lock expired (said again until the client's subscription is up).
    await waitUntil(async () => {
      await publish(notice);
      return told().length > 0;
    }, { message: "told of the expiry" });
    assert.equal(told().length, 1);
    await publish(notice); // the same expiry heard again: not news
    await publish({ ...notice, released: true }); // a claimer gave it back: news
    await waitUntil(() => told().length === 2, { message: "told of the hand-back" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(told().length, 2, "the repeated expiry was not told");
    await client.done();
  });

  it("done() completes when a release hangs past the grace period", async () => {
    const service = uniqueName();
    const { client, log } = await started(service, "c");
    await addStream(db.redis, service, { dataStreamName: uniqueName("s") });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    db.server.pause(); // releases cannot complete: done() gives up on them after its grace period
    try {
      await client.done();
    } finally {
      db.server.resume();
    }
    assert.equal(client.supervisor.getSnapshot().status, "done");
    assert.equal(log.seen.at(-1)?.type, NotificationType.StreamTerminated);
  });

  it("a client that stops still holding a lock is left overdue for the sweeper", async () => {
    const service = uniqueName();
    const { client, log } = await started(service, "c");
    const name = uniqueName("s");
    const id = await addStream(db.redis, service, { dataStreamName: name });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    const prefix = await prefixOf(db.redis, lockKey(name, id));
    // A lock whose release will not happen (as when Redis timed out on it), still indexed.
    const stuck = lockKey(uniqueName("stuck"), "1-0");
    await db.redis.set(stuck, `${prefix}zz`, { PX: 800 });
    await db.redis.sAdd(consumerLocksKey(service, prefix), stuck);
    await client.done();
    const score = await db.redis.zScore(consumerIndexKey(service), prefix);
    assert.notEqual(score, null, "still indexed, as overdue");
    const peer = await started(service, "peer");
    await forgotten(
      db.redis,
      service,
      prefix,
      "the peer's sweeper to settle the stuck lock and forget the client",
    );
    await peer.client.done();
  });

  it("done() leaves the consumer index and holds nothing", async () => {
    const service = uniqueName();
    const { client, log }: { client: StreamClient; log: NotificationLog } = await started(
      service,
      "c",
    );
    const name = uniqueName("s");
    const id = await addStream(db.redis, service, { dataStreamName: name });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    const prefix = await prefixOf(db.redis, lockKey(name, id));
    assert.notEqual(await db.redis.zScore(consumerIndexKey(service), prefix), null);
    await client.done();
    assert.equal(await db.redis.zScore(consumerIndexKey(service), prefix), null);
    assert.equal(await db.redis.exists(consumerLocksKey(service, prefix)), 0);
  });
});
