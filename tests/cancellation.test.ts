/**
 * Deadlines and done() cancel the work they bound: nothing is sent after
 * done() resolved, and a start-up that fails leaves no lock held by nobody.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import {
  addStream,
  ClientClosedError,
  createStreamClient,
  DeadlineExceededError,
  lbsGroupName,
  lbsStreamKey,
  NotificationType,
} from "../mod.ts";
import { consumerIndexKey, consumerLocksKey, lockKey } from "../src/keys.ts";
import { silentLogger } from "../src/observability.ts";
import type { RedisClient } from "../src/redis/client.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";

const LIBRARY_CONNECTION = "rsc-under-test";

/** Commands the server ran, as MONITOR reports them: server time (µs) and the client's address. */
interface Seen {
  readonly atMicros: bigint;
  readonly address: string;
  readonly line: string;
}

function parseMonitorLine(line: string): Seen | undefined {
  const match = /^(\d+)\.(\d{6}) \[\d+ ([^\]]+)\] (.*)$/.exec(line);
  if (!match) return undefined;
  return { atMicros: BigInt(match[1]! + match[2]!), address: match[3]!, line: match[4]! };
}

async function serverMicros(redis: RedisClient): Promise<bigint> {
  const [seconds, micros] = await redis.time() as unknown as [string, string];
  return BigInt(seconds) * 1_000_000n + BigInt(micros);
}

/** Addresses of the library's connections: all carry the name given to the caller's client. */
async function libraryAddresses(redis: RedisClient): Promise<Set<string>> {
  const list = await redis.clientList();
  return new Set(list.filter((c) => c.name === LIBRARY_CONNECTION).map((c) => c.addr));
}

describe("cancellation", () => {
  const db = useRedis();

  it("after done() resolves, the client sends no further command", async () => {
    const service = uniqueName();
    const heartbeatMs = 200;
    const sweepIntervalMs = 2000;
    // A dead client whose last lock runs out in 900 ms: the first sweep finds it overdue and waits
    // for that lock (it is due within half a sweep interval), then inspects it again.
    const ghost = "redis-consumer-ghost~0a0b0c.";
    const ghostLock = lockKey("ghost-stream", "1-0");
    await db.redis.set(ghostLock, `${ghost}1`, { PX: 900 });
    await db.redis.sAdd(consumerLocksKey(service, ghost), ghostLock);
    await db.redis.zAdd(consumerIndexKey(service), { score: 1, value: ghost });
    await addStream(db.redis, service, { dataStreamName: "owned", info: {} });

    const monitor = db.redis.duplicate() as RedisClient;
    await monitor.connect();
    const seen: Seen[] = [];
    await monitor.monitor((line) => {
      const parsed = parseMonitorLine(String(line));
      if (parsed) seen.push(parsed);
    });
    const redis = createClient({ url: db.server.url, name: LIBRARY_CONNECTION });
    redis.on("error", () => {});
    await redis.connect();
    const client = createStreamClient(redis, service, {
      logger: silentLogger,
      heartbeatMs,
      lbsIdleMs: 2 * heartbeatMs,
      sweepIntervalMs,
    });
    try {
      const log = new NotificationLog(await client.init());
      await log.next((n) => n.type === NotificationType.StreamAdded);
      const ghostSet = consumerLocksKey(service, ghost);
      await waitUntil(() => seen.some((s) => s.line.includes(ghostSet)), {
        message: "the sweeper to look at the dead client's locks",
      });
      const addresses = await libraryAddresses(db.redis);
      await client.done();
      const doneAt = await serverMicros(db.redis);
      // A beat and a sweep interval: whatever was still under way would have sent by then.
      const quietUntil = Date.now() + heartbeatMs + sweepIntervalMs;
      await waitUntil(() => Date.now() >= quietUntil, { timeoutMs: 2 * sweepIntervalMs + 5000 });
      const late = seen.filter((s) => addresses.has(s.address) && s.atMicros > doneAt);
      assert.deepEqual(late.map((s) => s.line), [], "commands sent after done() resolved");
    } finally {
      await client.done();
      redis.destroy();
      monitor.destroy();
    }
  });

  it("a start-up that cannot finish in time fails init(), and gives back what it acquired", async () => {
    const service = uniqueName();
    const lbs = lbsStreamKey(service);
    const group = lbsGroupName(service);
    // Entries a dead consumer left pending, far more than recovery can lock within the deadline.
    const entries = 20_000;
    await db.redis.xGroupCreate(lbs, group, "0", { MKSTREAM: true });
    for (let i = 0; i < entries; i += 1000) {
      const multi = db.redis.multi();
      for (let j = i; j < i + 1000; j++) {
        multi.xAdd(lbs, "*", {
          "lbs-input": JSON.stringify({ DataStreamName: `s-${j}`, Info: {} }),
        });
      }
      await multi.execAsPipeline();
    }
    await db.redis.xReadGroup(group, "redis-consumer-dead", { key: lbs, id: ">" });
    const lbsIdleMs = 100;
    await waitUntil(async () => {
      const [entry] = await db.redis.xPendingRange(lbs, group, "-", "+", 1);
      return (entry?.millisecondsSinceLastDelivery ?? 0) > lbsIdleMs;
    });

    const redis = await db.server.connect();
    const client = createStreamClient(redis, service, {
      logger: silentLogger,
      heartbeatMs: 50,
      lbsIdleMs,
      lbsRecoveryCount: 100,
      startupTimeoutMs: 150,
    });
    try {
      const failure = await client.init().then(
        () => assert.fail("init() resolved"),
        (error: unknown) => error,
      );
      assert.ok(failure instanceof ClientClosedError, String(failure));
      assert.ok(failure.cause instanceof DeadlineExceededError, String(failure.cause));
      // Recovery had locked some of the streams before the deadline: all were given back.
      const [ours] = await db.redis.xPendingRange(lbs, group, "-", "+", 1, {
        consumer: client.id,
      });
      assert.ok(ours, "recovery had taken entries before the deadline");
      const keys = await db.redis.keys("s-*<MUTEX_KEY_SEP>*");
      const held = [];
      for (const key of keys) {
        if ((await db.redis.get(key))?.startsWith(client.id)) held.push(key);
      }
      assert.deepEqual(held, [], "locks left held by a client that never started");
    } finally {
      await client.done();
      redis.destroy();
    }
  });
});
