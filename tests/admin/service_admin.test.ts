import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  consumerIndex,
  lbsDeadLetters,
  lbsPending,
  lbsStreamKey,
  lockKey,
  streamOwners,
} from "../../mod.ts";
import { silentLogger } from "../../src/observability.ts";
import { useRedis } from "../fixture/use_redis.ts";
import { waitUntil } from "../fixture/wait.ts";
import { startOwner } from "../helpers/started_client.ts";

describe("service admin reads", () => {
  const db = useRedis();

  it("streamOwners names each stream's owner, fence, TTL left and idle time, or why none", async () => {
    const owner = await startOwner(db.server, {
      consumerId: "alice",
      heartbeatMs: 2000,
      logger: silentLogger,
    }, "owned-stream");
    try {
      // One orphan (delivered, no lock) and one entry nobody was handed yet.
      const orphanId = await addStream(db.redis, owner.service, { dataStreamName: "orphan" });
      await waitUntil(async () =>
        (await streamOwners(db.redis, owner.service)).find((s) => s.dataStream === "orphan")
          ?.owner === "alice"
      );
      await db.redis.del(lockKey("orphan", orphanId));
      await owner.client.done();
      const queuedId = await addStream(db.redis, owner.service, { dataStreamName: "queued" });
      await db.redis.set(lockKey("owned-stream", owner.id), "bob~i1.1", { PX: 5000 });

      const rows = await streamOwners(db.redis, owner.service);
      const byName = new Map(rows.map((r) => [r.dataStream, r]));
      const owned = byName.get("owned-stream")!;
      assert.equal(owned.state, "owned");
      assert.equal(owned.owner, "bob");
      assert.equal(owned.fence, 1);
      assert.ok(owned.lockTtlMs! > 0 && owned.lockTtlMs! <= 5000);
      assert.equal(owned.pendingConsumer, "alice");
      assert.ok(owned.idleMs! >= 0);
      assert.equal(owned.deliveries, 1);
      const orphan = byName.get("orphan")!;
      assert.equal(orphan.state, "orphaned");
      assert.equal(orphan.owner, null);
      assert.equal(orphan.lockTtlMs, null);
      assert.equal(orphan.pendingConsumer, "alice");
      const queued = byName.get("queued")!;
      assert.deepEqual(
        {
          state: queued.state,
          idInLbs: queued.idInLbs,
          idleMs: queued.idleMs,
          fence: queued.fence,
        },
        { state: "unassigned", idInLbs: queuedId, idleMs: null, fence: null },
      );
    } finally {
      await owner.client.done();
      owner.redis.destroy();
    }
  });

  it("consumerIndex lists live clients with deadlines by the server's clock and their lock counts", async () => {
    const owner = await startOwner(db.server, { consumerId: "carol", logger: silentLogger });
    try {
      const [entry] = await consumerIndex(db.redis, owner.service);
      assert.equal(entry!.consumer, "carol");
      assert.match(entry!.client, /^carol~.+\.$/);
      assert.equal(entry!.locks, 1);
      assert.equal(entry!.overdue, false);
      assert.ok(entry!.msLeft > 0 && entry!.msLeft <= 2000, `msLeft ${entry!.msLeft}`);
    } finally {
      await owner.client.done();
      owner.redis.destroy();
    }
    assert.deepEqual(await consumerIndex(db.redis, owner.service), []);
  });

  it("lbsPending and lbsDeadLetters show pending entries with delivery counts and dead letters with reasons", async () => {
    const owner = await startOwner(db.server, { consumerId: "dave", logger: silentLogger }, "d1");
    try {
      const [pending] = await lbsPending(db.redis, owner.service);
      assert.deepEqual(
        { ...pending!, idleMs: 0 },
        { idInLbs: owner.id, dataStream: "d1", consumer: "dave", idleMs: 0, deliveries: 1 },
      );
      const bad = await db.redis.xAdd(lbsStreamKey(owner.service), "*", { "lbs-input": "{oops" });
      const dead = await waitUntil(async () => (await lbsDeadLetters(db.redis, owner.service))[0]);
      assert.equal(dead.originalId, bad);
      assert.equal(dead.reason, "not-json");
      assert.equal(dead.consumer, "dave");
      assert.deepEqual(dead.fields, { "lbs-input": "{oops" });
      assert.ok(!Number.isNaN(Date.parse(dead.failedAt)));
    } finally {
      await owner.client.done();
      owner.redis.destroy();
    }
    assert.deepEqual(await lbsPending(db.redis, "no-such-service"), []);
  });
});
