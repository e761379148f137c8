import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  addStream,
  createGroupConsumer,
  createStreamClient,
  NotificationType,
  publish,
  silentLogger,
} from "../../mod.ts";
import { prometheusMetrics, serveMetrics } from "../../examples/prometheus_metrics.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";
import { waitUntil } from "../fixture/wait.ts";
import { NotificationLog } from "../helpers/notifications.ts";

describe("the prom-client example", () => {
  const db = useRedis();

  it("serves the client's and the message layer's metrics to a scrape of /metrics", async () => {
    const registry = new Registry();
    const metrics = prometheusMetrics(registry);
    const http = await serveMetrics(registry, 0);
    const { port } = http.address() as { port: number };
    const scrape = async () => await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

    const service = uniqueName();
    const client = createStreamClient(db.redis, service, { logger: silentLogger, metrics });
    const log = new NotificationLog(await client.init());
    await addStream(db.redis, service, { dataStreamName: "s1", info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    const stream = uniqueName("orders");
    const consumer = createGroupConsumer(db.redis, {
      stream,
      group: "billing",
      blockMs: 50,
      startId: "0",
      logger: silentLogger,
      metrics,
      handler: () => {},
    });
    await consumer.start();
    await publish(db.redis, stream, { type: "t", payload: "p" });

    const acked = `rsc_messages_total{stream="${stream}",group="billing",outcome="acked"} 1`;
    let text = "";
    await waitUntil(
      async () =>
        (text = await scrape()).includes(acked) && /^rsc_heartbeat_seconds_count [1-9]/m.test(text),
      { message: "the acked message and a heartbeat in a scrape" },
    );
    assert.match(text, /^rsc_streams_acquired_total\{origin="lbs"\} 1$/m);
    assert.match(text, /^rsc_owned_streams 1$/m);
    assert.match(text, /^rsc_heartbeat_seconds_count [1-9]\d*$/m);
    assert.match(text, /^rsc_message_process_seconds_count\{stream="[^"]+",group="billing"\} 1$/m);

    await consumer.stop({ timeoutMs: 1000 });
    await client.done();
    await log.finished;
    await new Promise((resolve) => http.close(resolve));
  });
});
