import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createGroupConsumer, type GroupConsumer, publish } from "../../mod.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";

describe("GroupConsumer.stop()", () => {
  const db = useRedis();

  it("a stop() called while a handler's stop() runs waits for it: the handled message is acked", async () => {
    const stream = uniqueName("events");
    let handled = 0;
    let stopRequested!: () => void;
    const requested = new Promise<void>((resolve) => (stopRequested = resolve));
    const consumer: GroupConsumer = createGroupConsumer(db.redis, {
      stream,
      group: "g",
      startId: "0",
      reaper: false,
      handler: async () => {
        void consumer.stop(); // e.g. "stop after N messages"
        stopRequested();
        await new Promise((resolve) => setTimeout(resolve, 200)); // still handling
        handled++;
      },
    });
    await publish(db.redis, stream, { type: "t", payload: "p" });
    await consumer.start();
    await requested;
    assert.deepEqual(await consumer.stop({ timeoutMs: 5000 }), { finished: true });
    assert.equal(handled, 1);
    const [group] = await db.redis.xInfoGroups(stream);
    assert.equal(Number(group!.pending), 0, "acked before the second stop() returned");
  });
});
