import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DeadLetters, encodeEnvelope } from "../../mod.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";

describe("dead letters of one consumer group", () => {
  const db = useRedis();

  async function lettersOf(groups: string[]) {
    const stream = uniqueName("events");
    const dead = new DeadLetters(db.redis, { stream });
    for (const [i, group] of groups.entries()) {
      await dead.add({
        originalId: `${i + 1}-0`,
        reason: "failed",
        totalAttempts: 3,
        lastError: "boom",
        consumerGroup: group,
        fields: encodeEnvelope({ type: "t", payload: String(i) }),
      });
    }
    return { stream, dead };
  }

  it("peek, size, replayAll and purge take a group and touch only its letters, reporting progress", async () => {
    // 230 letters so that reads cross pages of 100; every third belongs to "b".
    const groups = Array.from({ length: 230 }, (_, i) => (i % 3 === 0 ? "b" : "a"));
    const { stream, dead } = await lettersOf(groups);
    const ofB = groups.filter((g) => g === "b").length;
    assert.equal(await dead.size({ group: "b" }), ofB);
    assert.equal(await dead.size(), 230);
    const peeked = await dead.peek(5, { group: "b" });
    assert.deepEqual(peeked.map((l) => l.originalId), ["1-0", "4-0", "7-0", "10-0", "13-0"]);

    const progress: number[] = [];
    const replayed = await dead.replayAll({
      group: "b",
      onProgress: ({ replayed }) => progress.push(replayed),
    });
    assert.deepEqual(replayed, { replayed: ofB, refused: 0 });
    assert.equal(progress.at(-1), ofB);
    assert.equal(await db.redis.xLen(stream), ofB);
    assert.equal(await dead.size({ group: "b" }), 0);

    await dead.replayAll(); // b's letters are gone; a's go back too, and fail again below
    assert.equal(await dead.size(), 0);
    const again = await lettersOf(["a", "b", "a", "b", "b"]);
    const deleted: number[] = [];
    assert.equal(await again.dead.purge({ group: "b", onProgress: (n) => deleted.push(n) }), 3);
    assert.deepEqual(deleted, [3]);
    assert.deepEqual((await again.dead.peek(10)).map((l) => l.consumerGroup), ["a", "a"]);
    assert.equal(await again.dead.purge(), 2);
    assert.equal(await again.dead.size(), 0);
  });
});
