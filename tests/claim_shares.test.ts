import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  AlreadyClaimedError,
  createStreamClient,
  NotificationType,
  type StreamClient,
  type StreamClientOptions,
} from "../mod.ts";
import { ClaimShares } from "../src/claim_shares.ts";
import { silentLogger } from "../src/observability.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";

describe("ClaimShares", () => {
  const names = ["a~1.", "b~2.", "c~3."];
  const keys = Array.from({ length: 3000 }, (_, i) => `stream-${i}<MUTEX_KEY_SEP>${i}-0`);
  const sharesOf = (deadlines: number[]) =>
    names.map((name) => {
      const shares = new ClaimShares(name);
      shares.update(names.map((n, i) => ({ name: n, deadline: deadlines[i]! })), 1_000_000);
      return shares;
    });
  const later = 1_000_000 + 60_000; // a minute after the server time given to update()

  it("gives every stream exactly one first claimer among the live clients, evenly", () => {
    const shares = sharesOf([later, later, later]);
    const counts = [0, 0, 0];
    for (const key of keys) {
      const first = shares.map((s) => s.isFirstClaimer(key));
      assert.equal(first.filter(Boolean).length, 1, key);
      counts[first.indexOf(true)]!++;
    }
    for (const count of counts) assert.ok(count > 800 && count < 1200, `${counts}`);
  });

  it("leaves out a client whose deadline has passed, or is a moment away", () => {
    // Its locks expire just before its deadline, and Redis may tell of them in between.
    for (const deadline of [1_000_000 - 1, 1_000_000 + 2]) {
      const shares = sharesOf([later, deadline, later]);
      for (const key of keys) {
        const first = [shares[0]!, shares[2]!].filter((s) => s.isFirstClaimer(key));
        assert.equal(first.length, 1, key);
      }
    }
  });

  it("a client that knows of no one else is everyone's first claimer", () => {
    const alone = new ClaimShares("a~1.");
    assert.ok(keys.every((key) => alone.isFirstClaimer(key)));
  });
});

describe("a takeover split among survivors", () => {
  const db = useRedis({ notifyKeyspaceEvents: "" });
  const options: StreamClientOptions = {
    logger: silentLogger,
    heartbeatMs: 400,
    keyspaceConfig: "skip",
    reconcileIntervalMs: 600_000,
  };

  /** A client that claims whatever it is told has expired, when `claims` is set. */
  async function survivor(service: string, consumerId: string, claims: boolean) {
    const client = createStreamClient(db.redis, service, { ...options, consumerId });
    const stats = { told: 0, won: 0, lost: 0 };
    const notifications = await client.init();
    void (async () => {
      for await (const n of notifications) {
        if (n.type !== NotificationType.StreamExpired) continue;
        stats.told++;
        if (!claims) continue;
        client.claim(n.payload).then(
          () => stats.won++,
          (error) => {
            if (error instanceof AlreadyClaimedError) stats.lost++;
          },
        );
      }
    })();
    return { client, stats };
  }

  async function crashedOwnerOf(service: string, count: number): Promise<StreamClient> {
    const owner = createStreamClient(db.redis, service, { ...options, consumerId: "owner" });
    const log = new NotificationLog(await owner.init());
    for (let i = 0; i < count; i++) {
      await addStream(db.redis, service, { dataStreamName: uniqueName(`s${i}`) });
    }
    await waitUntil(() => log.ofType(NotificationType.StreamAdded).length === count);
    return owner;
  }

  it("each stream is told first to one survivor, so they share the claims and rarely race", async () => {
    const service = uniqueName();
    const owner = await crashedOwnerOf(service, 60);
    const a = await survivor(service, "a", true);
    const b = await survivor(service, "b", true);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a beat: each learns of the other
    owner.supervisor.stop(); // a crash
    await waitUntil(() => a.stats.won + b.stats.won === 60, {
      timeoutMs: 10_000,
      message: "all 60 streams claimed",
    });
    assert.ok(a.stats.won >= 15 && b.stats.won >= 15, `split ${a.stats.won} / ${b.stats.won}`);
    const raced = a.stats.lost + b.stats.lost;
    assert.ok(raced <= 6, `${raced} claims lost a race (every stream raced would be 60)`);
    await Promise.all([a.client.done(), b.client.done()]);
  });

  it("a first claimer that does not claim only delays the others by its head start", async () => {
    const service = uniqueName();
    const owner = await crashedOwnerOf(service, 20);
    const idle = await survivor(service, "idle", false);
    const busy = await survivor(service, "busy", true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    owner.supervisor.stop();
    await waitUntil(() => busy.stats.won === 20, {
      timeoutMs: 10_000,
      message: "the claiming survivor to take all 20",
    });
    assert.ok(idle.stats.told > 0, "the idle one was first claimer of some");
    await Promise.all([idle.client.done(), busy.client.done()]);
  });
});
