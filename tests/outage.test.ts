import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream, createStreamClient, NotificationType } from "../mod.ts";
import { silentLogger } from "../src/observability.ts";
import { RedisServer, uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";

const quiet = { logger: silentLogger, heartbeatMs: 400, lbsIdleMs: 800 };

describe("Redis outages", () => {
  const db = useRedis();

  it("after a Redis restart the client reports the streams it lost and keeps consuming", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const client = createStreamClient(redis, service, {
      ...quiet,
      consumerId: "c",
      retry: { maxRetries: -1, initialDelayMs: 50, maxDelayMs: 400 },
    });
    const log = new NotificationLog(await client.init());
    for (const name of ["a", "b", "c"]) {
      await addStream(redis, service, { dataStreamName: name, info: {} });
    }
    await waitUntil(() => log.ofType(NotificationType.StreamAdded).length === 3);
    await db.server.restart(); // no persistence: locks, LBS and group are gone
    await waitUntil(() => log.ofType(NotificationType.StreamDisowned).length === 3, {
      timeoutMs: 15_000,
      message: "StreamDisowned for every stream lost in the restart",
    });
    assert.deepEqual(
      log.ofType(NotificationType.StreamDisowned).map((n) => n.payload.dataStreamName).sort(),
      ["a", "b", "c"],
    );
    assert.deepEqual(client.ownedStreams(), []);
    assert.equal(log.ofType(NotificationType.StreamTerminated).length, 0, "not terminated");
    await waitUntil(() => redis.isReady, { message: "the caller's client to reconnect" });
    await addStream(redis, service, { dataStreamName: "after-restart", info: {} });
    await log.next(
      (n) =>
        n.type === NotificationType.StreamAdded && n.payload.dataStreamName === "after-restart",
      { timeoutMs: 15_000, message: "an assignment after the restart" },
    );
    await client.done();
    redis.destroy();
  });

  it("turns keyspace events back on after a restart made Redis forget them", async () => {
    const redis = await db.server.connect();
    const client = createStreamClient(redis, uniqueName(), { ...quiet, consumerId: "c" });
    const log = new NotificationLog(await client.init());
    const flags = async () =>
      (await redis.configGet("notify-keyspace-events"))["notify-keyspace-events"];
    assert.equal(await flags(), "xE");
    await db.server.restart(); // CONFIG SET does not survive a restart
    await waitUntil(async () => (await flags().catch(() => "")) === "xE", {
      message: "the client to configure keyspace events again",
    });
    assert.equal(log.ofType(NotificationType.StreamTerminated).length, 0);
    await client.done();
    redis.destroy();
  });

  it("keeps streams whose locks survive a short outage", async () => {
    const redis = await db.server.connect();
    const service = uniqueName();
    const client = createStreamClient(redis, service, {
      ...quiet,
      heartbeatMs: 2000,
      lbsIdleMs: 4000,
      consumerId: "c",
      retry: { maxRetries: -1, initialDelayMs: 50, maxDelayMs: 400 },
    });
    const log = new NotificationLog(await client.init());
    await addStream(redis, service, { dataStreamName: "kept", info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    db.server.pause(); // shorter than the TTL: nothing expires
    await new Promise((resolve) => setTimeout(resolve, 600)); // the outage itself, not a wait for a condition
    db.server.resume();
    const beats = await countHeartbeats(client, 3);
    assert.ok(beats >= 3);
    assert.deepEqual(client.ownedStreams().map((s) => s.dataStreamName), ["kept"]);
    assert.equal(log.ofType(NotificationType.StreamDisowned).length, 0);
    await client.done();
    redis.destroy();
  });

  it("ends with StreamTerminated once the retry budget is spent", async () => {
    const doomed = await RedisServer.start();
    const redis = await doomed.connect();
    const client = createStreamClient(redis, uniqueName(), {
      ...quiet,
      consumerId: "c",
      lbsBlockMs: 100,
      retry: { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 50 },
    });
    const log = new NotificationLog(await client.init());
    await doomed.stop();
    await log.finished;
    const last = log.seen.at(-1)!;
    assert.equal(last.type, NotificationType.StreamTerminated);
    assert.match(String(last.additionalInfo.info), /lbs-reader gave up/);
    redis.destroy();
  });
});

/** Waits until the client has had `count` more heartbeats answered. */
async function countHeartbeats(client: ReturnType<typeof createStreamClient>, count: number) {
  const confirmedUntil = () =>
    (client.supervisor.getSnapshot().context as { confirmedUntil: number }).confirmedUntil;
  let seen = 0;
  let last = confirmedUntil();
  await waitUntil(() => {
    const now = confirmedUntil();
    if (now !== last) {
      seen += 1;
      last = now;
    }
    return seen >= count;
  }, { timeoutMs: 10_000, message: `${count} heartbeats` });
  return seen;
}
