import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createGroupConsumer,
  DeadLetters,
  DeadlineExceededError,
  type GroupConsumer,
  type GroupConsumerOptions,
  publish,
  publishBatch,
} from "../../mod.ts";
import type { RedisClient } from "../../src/redis/client.ts";
import { RedisServer, uniqueName } from "../fixture/redis_server.ts";
import { waitUntil } from "../fixture/wait.ts";
import { silentLogger } from "../../src/observability.ts";

const fast = { blockMs: 50, retry: { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 } };

describe("group consumer", () => {
  let server: RedisServer;
  let redis: RedisClient;
  const running: GroupConsumer[] = [];
  before(async () => {
    server = await RedisServer.start();
    redis = await server.connect();
  });
  after(async () => {
    await Promise.all(running.map((c) => c.stop({ timeoutMs: 100 })));
    redis.destroy();
    await server.stop();
  });

  async function start(
    options: Omit<GroupConsumerOptions, "handler"> & Partial<GroupConsumerOptions>,
  ) {
    const consumer = createGroupConsumer(redis, { handler: () => {}, ...fast, ...options });
    await consumer.start();
    running.push(consumer);
    return consumer;
  }

  it("acks what the handler finished, with retention applied on publish", async () => {
    const stream = uniqueName("orders");
    const seen: string[] = [];
    await start({ stream, group: "g", handler: (m) => void seen.push(m.payload) });
    const ids = await publishBatch(redis, stream, [
      { type: "t", payload: "a" },
      { type: "t", payload: "b" },
    ], { retention: { maxLen: 1000 } });
    assert.equal(ids.length, 2);
    await waitUntil(() => seen.length === 2);
    await waitUntil(async () => (await redis.xPending(stream, "g")).pending === 0);
    assert.deepEqual(seen, ["a", "b"]);
  });

  it("a new group processes by default the entries already in the stream (startId 0)", async () => {
    const stream = uniqueName("orders");
    await publishBatch(redis, stream, ["1", "2"].map((p) => ({ type: "t", payload: p })));
    const seen: string[] = [];
    await start({ stream, group: "g", handler: (m) => void seen.push(m.payload) });
    await publish(redis, stream, { type: "t", payload: "3" });
    await waitUntil(() => seen.length === 3, { message: "all three entries handled" });
    assert.deepEqual(seen, ["1", "2", "3"]);
  });

  it("a new group at startId $ skips the entries already there and warns how many", async () => {
    const stream = uniqueName("orders");
    await publishBatch(redis, stream, ["1", "2"].map((p) => ({ type: "t", payload: p })));
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const logger = {
      ...silentLogger,
      warn: (_: string, f?: Record<string, unknown>) => void warnings.push(f),
    };
    const seen: string[] = [];
    await start({
      stream,
      group: "g",
      startId: "$",
      logger,
      handler: (m) => void seen.push(m.payload),
    });
    assert.deepEqual(warnings, [{ stream, group: "g", skipped: 2 }]);
    await publish(redis, stream, { type: "t", payload: "3" });
    await waitUntil(() => seen.length === 1, { message: "the new entry handled" });
    assert.deepEqual(seen, ["3"]);
    // A second consumer joins the existing group: nothing is created, nothing more is skipped.
    await start({ stream, group: "g", startId: "$", logger });
    assert.equal(warnings.length, 1);
  });

  it("a handler that always throws ends in the dead letters after maxAttempts, with metadata", async () => {
    const stream = uniqueName("orders");
    const attempts: number[] = [];
    const consumer = await start({
      stream,
      group: "billing",
      handler: (_m, ctx) => {
        attempts.push(ctx.attempt);
        throw new Error("card declined ".repeat(200));
      },
    });
    const id = await publish(redis, stream, { type: "charge", payload: "42", traceId: "tr-1" });
    await waitUntil(async () => (await consumer.deadLetters.size()) === 1, {
      message: "a dead letter",
    });
    assert.deepEqual(attempts, [1, 2, 3]);
    const [letter] = await consumer.deadLetters.peek();
    assert.equal(letter!.originalId, id);
    assert.equal(letter!.originalStream, stream);
    assert.equal(letter!.reason, "failed");
    assert.equal(letter!.totalAttempts, 3);
    assert.equal(letter!.consumerGroup, "billing");
    assert.equal(letter!.lastError.length, 1000, "last error truncated to 1000 characters");
    assert.ok(letter!.lastError.startsWith("Error: card declined"));
    assert.equal(letter!.message?.traceId, "tr-1");
    assert.ok(!Number.isNaN(Date.parse(letter!.failedAt)));
    assert.equal((await redis.xPending(stream, "billing")).pending, 0, "the original is acked");
  });

  it("dead-letters a malformed envelope with its reason instead of dropping it", async () => {
    const stream = uniqueName("orders");
    const seen: string[] = [];
    const consumer = await start({ stream, group: "g", handler: (m) => void seen.push(m.payload) });
    await redis.xAdd(stream, "*", { not: "an envelope" });
    await publish(redis, stream, { type: "t", payload: "fine" });
    await waitUntil(async () => (await consumer.deadLetters.size()) === 1);
    const [letter] = await consumer.deadLetters.peek();
    assert.equal(letter!.reason, "malformed");
    assert.equal(letter!.lastError, 'missing field "v"');
    assert.equal(letter!.fields.raw, JSON.stringify({ not: "an envelope" }));
    await waitUntil(() => seen.length === 1, { message: "the reader goes on" });
  });

  it("an entry whose consumer died mid-message is finished by another", async () => {
    const stream = uniqueName("orders");
    let handling = false;
    const dying = await start({
      stream,
      group: "g",
      consumer: "dying",
      reaper: false,
      handler: () => {
        handling = true;
        return new Promise(() => {}); // never finishes: the process "dies" here
      },
    });
    await publish(redis, stream, { type: "t", payload: "x" });
    // Wait for the handler itself: the PEL shows the entry before this process has read the reply.
    await waitUntil(() => handling, { message: "the dying consumer to start handling" });
    assert.equal((await dying.stop({ timeoutMs: 50 })).finished, false);
    const finished: string[] = [];
    await start({
      stream,
      group: "g",
      consumer: "rescuer",
      reaper: { intervalMs: 50, minIdleMs: 200 },
      handler: (m) => void finished.push(m.payload),
    });
    await waitUntil(() => finished.length === 1, { message: "the rescuer to finish it" });
    await waitUntil(async () => (await redis.xPending(stream, "g")).pending === 0);
  });

  it("trimming under a slow consumer produces 'trimmed' dead letters", async () => {
    const stream = uniqueName("orders");
    const slow = await start({
      stream,
      group: "g",
      consumer: "slow",
      batchSize: 5,
      concurrency: 5,
      reaper: false,
      handler: () => new Promise(() => {}),
    });
    await publishBatch(redis, stream, [1, 2, 3].map((i) => ({ type: "t", payload: String(i) })));
    await waitUntil(async () => (await redis.xPending(stream, "g")).pending === 3);
    await slow.stop({ timeoutMs: 10 });
    await redis.xTrim(stream, "MAXLEN", 0); // retention outran the consumer
    const reaper = await start({
      stream,
      group: "g",
      consumer: "reaper",
      reaper: { minIdleMs: 1 },
    });
    const report = await reaper.reapOnce();
    assert.equal(report.trimmed, 3);
    const letters = await reaper.deadLetters.peek();
    assert.deepEqual(letters.map((l) => l.reason), ["trimmed", "trimmed", "trimmed"]);
    assert.equal((await redis.xPending(stream, "g")).pending, 0);
  });

  it("dead-letters a poison message delivered more than maxDeliveries times", async () => {
    const stream = uniqueName("orders");
    const first = await start({
      stream,
      group: "g",
      consumer: "first",
      reaper: false,
      handler: () => new Promise(() => {}),
    });
    await publish(redis, stream, { type: "t", payload: "poison" });
    await waitUntil(async () => (await redis.xPending(stream, "g")).pending === 1);
    await first.stop({ timeoutMs: 10 });
    const second = await start({
      stream,
      group: "g",
      consumer: "second",
      reaper: { minIdleMs: 1, maxDeliveries: 1 },
    });
    const report = await second.reapOnce();
    assert.equal(report.poison, 1);
    const [letter] = await second.deadLetters.peek();
    assert.equal(letter!.reason, "poison");
    assert.equal(letter!.message?.payload, "poison");
  });

  it("two groups read one stream independently", async () => {
    const stream = uniqueName("orders");
    const a: string[] = [];
    const b: string[] = [];
    await start({ stream, group: "notifications", handler: (m) => void a.push(m.payload) });
    await start({ stream, group: "analytics", handler: (m) => void b.push(m.payload) });
    await publishBatch(redis, stream, ["1", "2", "3"].map((p) => ({ type: "t", payload: p })));
    await waitUntil(() => a.length === 3 && b.length === 3);
    assert.deepEqual(a, ["1", "2", "3"]);
    assert.deepEqual(b, ["1", "2", "3"]);
  });

  it("handover moves a leaving consumer's pending entries to a peer", async () => {
    const stream = uniqueName("orders");
    const leaving = await start({
      stream,
      group: "g",
      consumer: "leaving",
      batchSize: 3,
      concurrency: 3,
      reaper: false,
      handler: () => new Promise(() => {}),
    });
    await publishBatch(redis, stream, ["1", "2", "3"].map((p) => ({ type: "t", payload: p })));
    await waitUntil(async () => (await redis.xPending(stream, "g")).pending === 3);
    await leaving.stop({ timeoutMs: 10 });
    assert.equal(await leaving.handover("peer"), 3);
    const pending = await redis.xPendingRange(stream, "g", "-", "+", 10);
    assert.ok(pending.every((p) => p.consumer === "peer"));
  });

  it("handover() to the consumer itself is refused with a RangeError and moves nothing", async () => {
    const stream = uniqueName("orders");
    const consumer = await start({
      stream,
      group: "g",
      consumer: "me",
      reaper: false,
      handler: () => new Promise(() => {}),
    });
    await publish(redis, stream, { type: "t", payload: "x" });
    await waitUntil(async () => (await redis.xPending(stream, "g")).pending === 1);
    await assert.rejects(consumer.handover("me"), (error: Error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /"me" is this consumer itself/);
      return true;
    });
    await assert.rejects(consumer.handover(""), TypeError);
    const [entry] = await redis.xPendingRange(stream, "g", "-", "+", 1);
    assert.equal(entry?.consumer, "me");
  });

  it("start() against an unreachable Redis fails with DeadlineExceededError and can be retried", async () => {
    await using down = await RedisServer.start();
    const client = await down.connect();
    const stream = uniqueName("orders");
    const seen: string[] = [];
    const consumer = createGroupConsumer(client, {
      ...fast,
      stream,
      group: "g",
      handler: (m) => void seen.push(m.payload),
    });
    await down.kill();
    const started = Date.now();
    await assert.rejects(consumer.start({ timeoutMs: 200 }), (error: Error) => {
      assert.ok(error instanceof DeadlineExceededError, String(error));
      assert.equal(error.timeoutMs, 200);
      return true;
    });
    assert.ok(Date.now() - started < 2000, "it gave up at its deadline");
    await down.restart();
    await consumer.start();
    await publish(client, stream, { type: "t", payload: "after" });
    await waitUntil(() => seen.length === 1, { message: "the retried start to consume" });
    await consumer.stop();
    // The failed start left no connection behind (a leaked reader would have reconnected).
    await waitUntil(async () => (await client.clientList()).length === 1, {
      message: "only the caller's connection to remain",
    });
    client.destroy();
  });

  it("stop() waits for in-flight handlers to finish", async () => {
    const stream = uniqueName("orders");
    let release: (() => void) | undefined;
    const consumer = await start({
      stream,
      group: "g",
      handler: () => new Promise<void>((resolve) => (release = resolve)),
    });
    await publish(redis, stream, { type: "t", payload: "x" });
    await waitUntil(() => release, { message: "the handler to start" });
    const stopping = consumer.stop({ timeoutMs: 5000 });
    release!();
    assert.equal((await stopping).finished, true);
    await waitUntil(async () => (await redis.xPending(stream, "g")).pending === 0);
  });

  it("dead letters can be replayed up to a cap, replayed all at once, and purged", async () => {
    const stream = uniqueName("orders");
    const dead = new DeadLetters(redis, { stream, maxReplays: 1 });
    const fields = { v: "1", type: "t", payload: "p", produced_at: new Date().toISOString() };
    const first = await dead.add({
      originalId: "1-0",
      reason: "failed",
      totalAttempts: 3,
      lastError: "boom",
      consumerGroup: "g",
      fields,
    });
    const replayedId = await dead.replay(first);
    const [replayed] = (await redis.xRange(stream, replayedId, replayedId))!;
    assert.equal(replayed!.message.replay_count, "1");
    assert.equal(await dead.size(), 0);
    // It fails again: the dead letter remembers it was replayed once, and the cap is 1.
    const again = await dead.add({
      originalId: replayedId,
      reason: "failed",
      totalAttempts: 3,
      lastError: "boom",
      consumerGroup: "g",
      fields: replayed!.message,
    });
    await assert.rejects(dead.replay(again), /replayed 1 times already/);
    await dead.add({
      originalId: "2-0",
      reason: "trimmed",
      totalAttempts: 0,
      lastError: "",
      consumerGroup: "g",
    });
    await dead.add({
      originalId: "3-0",
      reason: "failed",
      totalAttempts: 1,
      lastError: "",
      consumerGroup: "g",
      fields,
    });
    assert.deepEqual(await dead.replayAll(), { replayed: 1, refused: 2 });
    assert.equal(await dead.purge(), 2);
    assert.equal(await dead.size(), 0);
  });
});
