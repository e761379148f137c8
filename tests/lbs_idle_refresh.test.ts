import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { lbsGroupName, lbsStreamKey } from "../mod.ts";
import { LbsIdleRefresh } from "../src/actors/lbs_idle_refresh.ts";
import { silentLogger } from "../src/observability.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { startOwner } from "./helpers/started_client.ts";

describe("refreshing the idle time of held LBS entries", () => {
  const db = useRedis();

  it("each held entry comes up exactly once per cycle of lbsIdleMs / 4", () => {
    const refresh = new LbsIdleRefresh(40_000, 2000); // a 10 s cycle of 1 s beats
    assert.equal(refresh.cycleBeats, 10);
    const ids = Array.from({ length: 5000 }, (_, i) => `${1_700_000_000_000 + i}-0`);
    const counts = new Map<string, number>();
    const perBeat: number[] = [];
    for (let beat = 0; beat < refresh.cycleBeats; beat++) {
      const due = refresh.due(ids);
      perBeat.push(due.length);
      for (const id of due) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    assert.equal(counts.size, ids.length);
    assert.ok([...counts.values()].every((n) => n === 1), "once each");
    assert.ok(Math.max(...perBeat) < 2 * (ids.length / refresh.cycleBeats), "spread over beats");
    assert.equal(refresh.due(ids).length, perBeat[0], "the next cycle starts over");
  });

  it("an entry owned longer than lbsIdleMs stays with its owner when a Go consumer starts up", async () => {
    const lbsIdleMs = 1500;
    const owner = await startOwner(db.server, {
      logger: silentLogger,
      heartbeatMs: 300,
      lbsIdleMs,
    });
    try {
      const lbs = lbsStreamKey(owner.service);
      const group = lbsGroupName(owner.service);
      const ownedSince = Date.now();
      let maxIdle = 0;
      await waitUntil(async () => {
        const [entry] = await db.redis.xPendingRange(lbs, group, "-", "+", 1);
        maxIdle = Math.max(maxIdle, entry?.millisecondsSinceLastDelivery ?? Infinity);
        return Date.now() - ownedSince > 2 * lbsIdleMs;
      }, { intervalMs: 25, message: "two idle thresholds of ownership" });
      assert.ok(maxIdle < lbsIdleMs, `the entry never looked idle (at most ${maxIdle} ms)`);

      // What Go's start-up recovery does: XAUTOCLAIM to itself of entries idle past lbsIdleMs.
      const recovered = await db.redis.xAutoClaim(
        lbs,
        group,
        "redis-consumer-go",
        lbsIdleMs,
        "0-0",
      );
      assert.equal(recovered.messages.length, 0, "the Go consumer took nothing");
      const [entry] = await db.redis.xPendingRange(lbs, group, "-", "+", 1);
      assert.equal(entry?.consumer, owner.client.id, "the PEL still names the owner");
      assert.equal(entry?.deliveriesCounter, 1, "refreshes count no delivery");
    } finally {
      await owner.client.done();
      owner.redis.destroy();
    }
  });
});
