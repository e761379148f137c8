import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream, lockKey } from "../mod.ts";
import { ConsumerProcess } from "./fixture/consumer_process.ts";
import { RedisServer, uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";

const HEARTBEAT_MS = 500;

function consumer(server: RedisServer, service: string, id: string, extra = {}) {
  return new ConsumerProcess({
    REDIS_URL: server.url,
    SERVICE: service,
    CONSUMER_ID: id,
    HEARTBEAT_MS: String(HEARTBEAT_MS),
    AUTO_CLAIM: "1",
    ...extra,
  });
}

function streamsOf(process: ConsumerProcess): string[] {
  return process.acquired().map((e) => e.payload!.dataStreamName);
}

describe("failover across processes", () => {
  const db = useRedis();

  it("three consumers share thirty streams; a killed one's streams are claimed, each by exactly one survivor", async () => {
    const service = uniqueName();
    const consumers = ["a", "b", "c"].map((id) => consumer(db.server, service, id));
    try {
      await Promise.all(consumers.map((c) => c.ready()));
      const redis = await db.server.connect();
      const ids = new Map<string, string>();
      for (let i = 0; i < 30; i++) {
        const name = `stream-${i}`;
        ids.set(name, await addStream(redis, service, { dataStreamName: name, info: { i } }));
      }
      await waitUntil(() => consumers.flatMap(streamsOf).length === 30, {
        timeoutMs: 15_000,
        message: "30 assignments",
      });
      const assigned = consumers.flatMap(streamsOf);
      assert.equal(new Set(assigned).size, 30, "every stream assigned exactly once");
      for (const c of consumers) assert.ok(streamsOf(c).length > 0, "every consumer got a share");

      const victim = consumers.reduce((
        a,
        b,
      ) => (streamsOf(a).length >= streamsOf(b).length ? a : b));
      const orphaned = streamsOf(victim);
      const survivors = consumers.filter((c) => c !== victim);
      await victim.kill();

      const claimsOf = (name: string) =>
        survivors.flatMap((s) => s.events).filter((e) =>
          e.event === "claimed" && e.payload?.dataStreamName === name
        );
      await waitUntil(() => orphaned.every((name) => claimsOf(name).length >= 1), {
        timeoutMs: 15_000,
        message: "every orphaned stream to be claimed",
      });
      for (const name of orphaned) {
        assert.equal(claimsOf(name).length, 1, `${name} claimed by exactly one survivor`);
        const holder = await redis.get(lockKey(name, ids.get(name)!));
        const winner = survivors.find((s) => claimsOf(name).some((e) => s.events.includes(e)))!;
        const winnerId = winner.events.find((e) => e.event === "ready")!.id;
        assert.ok(holder?.startsWith(`${winnerId}~`), `${name} is locked by its claimer`);
      }
      redis.destroy();
    } finally {
      await Promise.all(consumers.map((c) => c.kill()));
    }
  });

  it("a stalled owner is told StreamDisowned when it wakes after another consumer took over", async () => {
    const service = uniqueName();
    const stalled = consumer(db.server, service, "stalled");
    await stalled.ready();
    const redis = await db.server.connect();
    const id = await addStream(redis, service, { dataStreamName: "s", info: {} });
    await waitUntil(() => streamsOf(stalled).includes("s"), { message: "assignment" });
    const peer = consumer(db.server, service, "peer");
    try {
      await peer.ready();
      stalled.signal("SIGSTOP");
      await waitUntil(() => peer.events.some((e) => e.event === "claimed"), {
        timeoutMs: 15_000,
        message: "the peer to claim the stalled owner's stream",
      });
      assert.ok((await redis.get(lockKey("s", id)))?.startsWith("peer~"));
      stalled.signal("SIGCONT");
      await waitUntil(
        () =>
          stalled.events.some((e) =>
            e.type === "StreamDisowned" && e.payload?.dataStreamName === "s"
          ),
        { timeoutMs: 10_000, message: "StreamDisowned on the stalled owner" },
      );
      assert.ok((await redis.get(lockKey("s", id)))?.startsWith("peer~"), "the peer keeps it");
    } finally {
      stalled.signal("SIGCONT");
      await Promise.all([stalled.kill(), peer.kill()]);
      redis.destroy();
    }
  });

  it("takes over without keyspace notifications (managed Redis that refuses CONFIG)", async () => {
    const quietServer = await RedisServer.start({ notifyKeyspaceEvents: "" });
    const service = uniqueName();
    const env = { KEYSPACE_CONFIG: "skip" };
    const owner = consumer(quietServer, service, "owner", env);
    const peer = consumer(quietServer, service, "peer", env);
    const redis = await quietServer.connect();
    try {
      await Promise.all([owner.ready(), peer.ready()]);
      // Keep the peer out of the first assignment: it joins the group only after.
      await addStream(redis, service, { dataStreamName: "s", info: {} });
      await waitUntil(() => [owner, peer].some((c) => streamsOf(c).includes("s")));
      const holder = streamsOf(owner).includes("s") ? owner : peer;
      const other = holder === owner ? peer : owner;
      await holder.kill();
      await waitUntil(() => other.events.some((e) => e.event === "claimed"), {
        timeoutMs: 10_000,
        message: "takeover with notifications off",
      });
      assert.equal(
        (await redis.configGet("notify-keyspace-events"))["notify-keyspace-events"],
        "",
      );
    } finally {
      await Promise.all([owner.kill(), peer.kill()]);
      redis.destroy();
      await quietServer.stop();
    }
  });
});
