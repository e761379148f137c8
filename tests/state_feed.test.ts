/**
 * The state feed: a client with `stateFeed` on writes its stream actors'
 * transitions and its own start and stop to `<service>-state-feed`, capped;
 * readStateFeed pages through it and watchStateFeed follows it live.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createStreamClient,
  lockKey,
  NotificationType,
  readStateFeed,
  type StateFeedEntry,
  stateFeedKey,
  watchStateFeed,
} from "../mod.ts";
import { silentLogger } from "../src/observability.ts";
import type { Acquisition } from "../src/acquisition.ts";
import { StateFeedPublisher } from "../src/state_feed/publisher.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { startOwner } from "./helpers/started_client.ts";

const fast = { heartbeatMs: 200, logger: silentLogger, stateFeed: true } as const;

/** The stream transitions of a feed, as "from>to:event". */
function moves(entries: StateFeedEntry[], stream: string): string[] {
  return entries.filter((e) => e.stream === stream).map((e) => `${e.from}>${e.to}:${e.event}`);
}

describe("state feed", () => {
  const db = useRedis();

  it("records assigned → heartbeating → released with the stream's fields, between consumer.started and consumer.stopped", async () => {
    const before = Date.now();
    const owner = await startOwner(db.server, fast, "orders-1");
    try {
      await waitUntil(
        async () =>
          moves(await readStateFeed(db.redis, owner.service), "orders-1").some((m) =>
            m.startsWith("assigned>heartbeating")
          ),
        { message: "the first heartbeat in the feed" },
      );
      const fence = owner.client.ownership("orders-1")!.fence;
      await owner.client.doneStream("orders-1");
      await owner.client.done();
      const entries = await readStateFeed(db.redis, owner.service);
      assert.deepEqual(moves(entries, "orders-1"), [
        ">assigned:xstate.init",
        "assigned>heartbeating:HEARTBEAT_OK",
        "heartbeating>releasing:RELEASE",
        "releasing>released:xstate.done.actor.release",
      ]);
      for (const entry of entries.filter((e) => e.stream === "orders-1")) {
        assert.equal(entry.consumer, owner.client.id);
        assert.equal(entry.idInLbs, owner.id);
        assert.equal(entry.fence, fence);
        assert.ok(
          entry.at >= before && entry.at <= Date.now(),
          `at ${entry.at} is the client's clock`,
        );
      }
      const first = entries[0]!;
      const last = entries.at(-1)!;
      assert.equal(first.event, "consumer.started");
      assert.equal(last.event, "consumer.stopped");
      for (const entry of [first, last]) {
        assert.equal(entry.stream, "");
        assert.equal(entry.consumer, owner.client.id);
        assert.ok(["node", "deno", "bun"].includes(entry.runtime!), `runtime ${entry.runtime}`);
        assert.ok(Number.isInteger(entry.pid) && entry.pid! > 0, `pid ${entry.pid}`);
      }
      assert.equal(last.to, "stopped");
    } finally {
      await owner.client.done();
      owner.redis.destroy();
    }
  });

  it("records heartbeating → expired when the lock is gone", async () => {
    const owner = await startOwner(db.server, fast, "orders-2");
    try {
      await waitUntil(() => owner.client.ownership("orders-2") && true);
      await waitUntil(async () =>
        moves(await readStateFeed(db.redis, owner.service), "orders-2").length >= 2
      );
      await db.redis.del(lockKey("orders-2", owner.id));
      await owner.log.next((n) => n.type === NotificationType.StreamDisowned);
      await owner.client.done();
      assert.deepEqual(moves(await readStateFeed(db.redis, owner.service), "orders-2"), [
        ">assigned:xstate.init",
        "assigned>heartbeating:HEARTBEAT_OK",
        "heartbeating>expired:LOCK_LOST",
      ]);
    } finally {
      await owner.client.done();
      owner.redis.destroy();
    }
  });

  it("writes nothing with the feed off", async () => {
    const owner = await startOwner(db.server, { heartbeatMs: 200, logger: silentLogger }, "s");
    await owner.client.done();
    owner.redis.destroy();
    assert.equal(await db.redis.exists(stateFeedKey(owner.service)), 0);
  });

  it("stays capped at about maxLength however many transitions are written", async () => {
    const service = uniqueName();
    const maxLength = 50;
    const publisher = new StateFeedPublisher({
      redis: db.redis,
      key: stateFeedKey(service),
      maxLength,
      consumerId: "c",
      logger: silentLogger,
    });
    const config = await db.redis.configGet("stream-node-max-entries");
    const nodeSize = Number(config["stream-node-max-entries"]);
    // Transitions as XState reports them: a snapshot of a stream actor, one actor each.
    for (let i = 0; i < 2000; i++) {
      const acquisition = { dataStreamName: `s${i}`, idInLbs: "1-0", fence: i } as Acquisition;
      publisher.observe({
        type: "@xstate.snapshot",
        rootId: "root",
        actorRef: { sessionId: `x:${i}` },
        event: { type: "xstate.init" },
        snapshot: { status: "active", value: "assigned", context: { acquisition } },
      } as never);
    }
    await publisher.idle();
    const length = await db.redis.xLen(stateFeedKey(service));
    // MAXLEN ~ trims whole radix-tree nodes: at most one node's worth above the bound.
    assert.ok(length >= maxLength && length <= maxLength + nodeSize, `length ${length}`);
    const [newest] = (await db.redis.xRevRange(stateFeedKey(service), "+", "-", { COUNT: 1 })) ??
      [];
    assert.equal(newest!.message.stream, "s1999");
  });

  it("readStateFeed pages with after and count, and rejects bad arguments", async () => {
    const owner = await startOwner(db.server, fast, "s");
    await owner.client.done();
    owner.redis.destroy();
    const all = await readStateFeed(db.redis, owner.service);
    assert.ok(all.length >= 3);
    const [first] = await readStateFeed(db.redis, owner.service, { count: 1 });
    assert.deepEqual(first, all[0]);
    assert.deepEqual(
      await readStateFeed(db.redis, owner.service, { after: all[0]!.id }),
      all.slice(1),
    );
    await assert.rejects(readStateFeed(db.redis, owner.service, { after: "soon" }), TypeError);
    await assert.rejects(readStateFeed(db.redis, owner.service, { count: 0 }), RangeError);
    assert.throws(() => watchStateFeed(db.redis, owner.service, { blockMs: -1 }), RangeError);
  });

  it("watchStateFeed follows new entries and closes its connection when the signal aborts", async () => {
    const service = uniqueName();
    const clients = async () => (await db.redis.clientList()).length;
    const baseline = await clients();
    const controller = new AbortController();
    const seen: StateFeedEntry[] = [];
    const watching = (async () => {
      for await (
        const entry of watchStateFeed(db.redis, service, {
          signal: controller.signal,
          blockMs: 100,
        })
      ) seen.push(entry);
    })();
    await waitUntil(async () => (await clients()) === baseline + 1, {
      message: "the watch's connection",
    });
    const redis = await db.server.connect();
    const client = createStreamClient(redis, service, fast);
    await client.init();
    try {
      await waitUntil(() => seen.some((e) => e.event === "consumer.started"));
      assert.equal(seen[0]!.consumer, client.id);
    } finally {
      await client.done();
      redis.destroy();
    }
    await waitUntil(() => seen.some((e) => e.event === "consumer.stopped"));
    controller.abort();
    await watching;
    await waitUntil(async () => (await clients()) === baseline, {
      message: "the watch's connection closed",
    });
  });

  it("watchStateFeed closes its connection when the loop breaks", async () => {
    const service = uniqueName();
    const clients = async () => (await db.redis.clientList()).length;
    const baseline = await clients();
    await db.redis.xAdd(stateFeedKey(service), "*", { consumer: "c", event: "consumer.started" });
    for await (const entry of watchStateFeed(db.redis, service, { after: "0", blockMs: 100 })) {
      assert.equal(entry.event, "consumer.started");
      break;
    }
    await waitUntil(async () => (await clients()) === baseline, {
      message: "the watch's connection closed",
    });
  });

  it("rejects a stateFeed option that is neither a boolean nor { maxLength }", () => {
    assert.throws(() => createStreamClient(db.redis, "x", { stateFeed: "on" as never }), TypeError);
    assert.throws(
      () => createStreamClient(db.redis, "x", { stateFeed: { maxLength: 0 } }),
      RangeError,
    );
  });
});
