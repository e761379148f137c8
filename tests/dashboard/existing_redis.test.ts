/** Pointed at an existing Redis, the dashboard starts nothing and shows what the service has. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream, createStreamClient } from "../../mod.ts";
import { runDashboard } from "../../dashboard/mod.ts";
import { silentLogger } from "../../src/observability.ts";
import { currentRuntime } from "../fixture/consumer_process.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";
import { waitUntil } from "../fixture/wait.ts";

interface Snapshot {
  consumers: { id: string; state: string; streams: number; managed: boolean; runtime: string }[];
  streams: { name: string; owner: string; state: string; source: string }[];
  ownRedis: boolean;
}

describe("dashboard on an existing Redis", () => {
  const suite = useRedis();

  it("starts no consumer and shows a consumer that publishes the state feed, with its streams", async () => {
    const service = uniqueName("dash");
    const client = createStreamClient(suite.redis, service, {
      consumerId: "outside-1",
      heartbeatMs: 1000,
      logger: silentLogger,
      stateFeed: true,
    });
    await client.init();
    const dashboard = await runDashboard({
      port: 0,
      redisUrl: suite.server.url,
      service,
      log: () => {},
    });
    try {
      await addStream(suite.redis, service, { dataStreamName: "orders-a", info: {} });
      let last: Snapshot | undefined;
      const snapshot = (await waitUntil(async () => {
        last = await (await fetch(`${dashboard.url}/api/snapshot`)).json() as Snapshot;
        const stream = last.streams.find((x) => x.name === "orders-a");
        return stream?.owner === "outside-1" && stream.state === "heartbeating" ? last : undefined;
      }, { timeoutMs: 15_000, message: "orders-a heartbeating under outside-1 on the page" })
        .catch((error) => assert.fail(`${error.message}; the page had ${JSON.stringify(last)}`)))!;
      assert.equal(snapshot.ownRedis, false);
      // Only the consumer already there: the dashboard started none of its own.
      assert.deepEqual(
        snapshot.consumers.map((c) => [c.id, c.state, c.streams, c.managed, c.runtime]),
        [["outside-1", "alive", 1, false, currentRuntime()]],
      );
      assert.equal(snapshot.streams.find((x) => x.name === "orders-a")!.source, "actor");
    } finally {
      await dashboard.close();
      await client.done();
    }
  });
});
