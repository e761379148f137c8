/**
 * The inspect option: an XState inspection observer on the supervisor's
 * actor system sees the stream actors too (they join that system), and one
 * that throws is logged once without stopping the client.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AnyActorRef, InspectionEvent } from "xstate";
import { createStreamClient, lockKey, NotificationType } from "../mod.ts";
import type { Logger } from "../src/observability.ts";
import { silentLogger } from "../src/observability.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { startOwner } from "./helpers/started_client.ts";

describe("inspect option", () => {
  const db = useRedis();

  it("receives the events and snapshots of the supervisor and of every stream actor", async () => {
    const seen: InspectionEvent[] = [];
    const owner = await startOwner(db.server, {
      heartbeatMs: 200,
      logger: silentLogger,
      inspect: (event) => seen.push(event),
    }, "orders");
    try {
      const key = lockKey("orders", owner.id);
      const ofStream = (event: InspectionEvent) => (event.actorRef as AnyActorRef).id === key;
      await waitUntil(() =>
        seen.some((e) =>
          ofStream(e) && e.type === "@xstate.snapshot" &&
          (e.snapshot as { value?: unknown }).value === "heartbeating"
        ), { message: "the stream actor's heartbeating snapshot" });
      assert.ok(seen.some((e) => ofStream(e) && e.type === "@xstate.actor"), "its creation");
      assert.ok(
        seen.some((e) =>
          ofStream(e) && e.type === "@xstate.event" && e.event.type === "HEARTBEAT_OK"
        ),
        "the HEARTBEAT_OK sent to it",
      );
      const supervisor = owner.client.supervisor;
      assert.ok(
        seen.some((e) =>
          e.actorRef === supervisor && e.type === "@xstate.event" && e.event.type === "START"
        ),
      );
      assert.ok(
        seen.every((e) => e.rootId === supervisor.sessionId),
        "one system: the supervisor's",
      );
    } finally {
      await owner.client.done();
      owner.redis.destroy();
    }
  });

  it("accepts an observer object", async () => {
    let count = 0;
    const owner = await startOwner(db.server, {
      logger: silentLogger,
      inspect: { next: () => void count++ },
    });
    await owner.client.done();
    owner.redis.destroy();
    assert.ok(count > 0);
  });

  it("logs an observer that throws once and goes on consuming", async () => {
    const errors: string[] = [];
    const logger: Logger = { ...silentLogger, error: (message) => void errors.push(message) };
    let calls = 0;
    const owner = await startOwner(db.server, {
      heartbeatMs: 200,
      logger,
      inspect: () => {
        calls++;
        throw new Error("inspector bug");
      },
    }, "a");
    try {
      await owner.log.next((n) => n.type === NotificationType.StreamAdded);
      const before = calls;
      await waitUntil(() => calls > before + 10, { message: "the observer called on" });
      assert.deepEqual(owner.client.ownedStreams().map((s) => s.dataStreamName), ["a"]);
      assert.equal(errors.length, 1, `logged once: ${errors.join("; ")}`);
      assert.match(errors[0]!, /^inspect threw/);
    } finally {
      await owner.client.done();
      owner.redis.destroy();
    }
  });

  it("rejects an inspect option that is neither a function nor an observer", () => {
    assert.throws(() => createStreamClient(db.redis, "x", { inspect: 42 as never }), TypeError);
  });
});
