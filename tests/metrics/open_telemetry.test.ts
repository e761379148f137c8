import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  addStream,
  createGroupConsumer,
  createStreamClient,
  NotificationType,
  openTelemetryMetrics,
  OTEL_METRIC_NAMES as N,
  publish,
  silentLogger,
} from "../../mod.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";
import { waitUntil } from "../fixture/wait.ts";
import { NotificationLog } from "../helpers/notifications.ts";

/** A data point as the exporter gives it: a number for counters, `{ count, sum }` for histograms. */
interface Point {
  readonly attributes: Record<string, unknown>;
  readonly value: number | { count: number; sum?: number };
}

/** A meter whose readings a test can collect on demand, with the SDK's in-memory exporter. */
function inMemoryMeter() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter("test"),
    /** Every data point of the named instrument, after a fresh collection. */
    async points(name: string): Promise<Point[]> {
      exporter.reset();
      await reader.forceFlush();
      const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics)
        .flatMap((s) => s.metrics);
      return metrics.filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as readonly Point[]);
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The sum of a counter's points (or count of a histogram's) whose attributes include `where`. */
function total(points: readonly Point[], where: Record<string, unknown> = {}): number {
  let sum = 0;
  for (const point of points) {
    if (!Object.entries(where).every(([k, v]) => point.attributes[k] === v)) continue;
    sum += typeof point.value === "number" ? point.value : point.value.count;
  }
  return sum;
}

describe("openTelemetryMetrics", () => {
  const db = useRedis();

  it("records ownership: acquisitions, owned streams, heartbeats, claims and takeover delay", async () => {
    const otel = inMemoryMeter();
    const service = uniqueName();
    const metrics = openTelemetryMetrics(otel.meter, { service });
    const options = { heartbeatMs: 300, logger: silentLogger, metrics };
    const first = createStreamClient(db.redis, service, { ...options, consumerId: "first" });
    const firstLog = new NotificationLog(await first.init());
    await addStream(db.redis, service, { dataStreamName: "s1", info: {} });
    await firstLog.next((n) => n.type === NotificationType.StreamAdded);

    const acquired = await otel.points(N.acquisitions);
    assert.equal(total(acquired, { "rsc.acquisition.origin": "lbs" }), 1);
    assert.equal(total(acquired, { "messaging.destination.name": service }), 1);
    assert.equal(total(await otel.points(N.ownedStreams)), 1);
    await waitUntil(async () => total(await otel.points(N.heartbeatDuration)) >= 2, {
      message: "two heartbeats recorded",
    });

    // A second consumer takes the stream over when the first hands it back.
    const second = createStreamClient(db.redis, service, { ...options, consumerId: "second" });
    const secondLog = new NotificationLog(await second.init());
    await first.done();
    const expired = await secondLog.next((n) => n.type === NotificationType.StreamExpired);
    await second.claim(expired.payload);

    assert.equal(total(await otel.points(N.claims), { "rsc.claim.outcome": "won" }), 1);
    const takeovers = await otel.points(N.takeoverDuration);
    assert.equal(total(takeovers), 1);
    const delay = (takeovers[0]!.value as { sum: number }).sum;
    assert.ok(delay >= 0 && delay < 5, `takeover delay in seconds: ${delay}`);
    assert.equal(
      total(await otel.points(N.acquisitions), { "rsc.acquisition.origin": "claim" }),
      1,
    );
    await second.done();
    await Promise.all([firstLog.finished, secondLog.finished]);
    await otel.shutdown();
  });

  it("records the message layer under the messaging conventions", async () => {
    const otel = inMemoryMeter();
    const stream = uniqueName("orders");
    const metrics = openTelemetryMetrics(otel.meter);
    let calls = 0;
    const consumer = createGroupConsumer(db.redis, {
      stream,
      group: "billing",
      blockMs: 50,
      startId: "0",
      retry: { baseDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 },
      logger: silentLogger,
      metrics,
      handler: (message) => {
        calls++;
        if (message.payload === "bad") throw new Error("no");
        if (message.payload === "flaky" && calls < 3) throw new Error("not yet");
      },
    });
    await consumer.start();
    await publish(db.redis, stream, { type: "t", payload: "good" });
    await publish(db.redis, stream, { type: "t", payload: "bad" });
    const where = {
      "messaging.system": "redis",
      "messaging.destination.name": stream,
      "messaging.consumer.group.name": "billing",
    };
    await waitUntil(
      async () => total(await otel.points(N.deadLettered), where) === 1,
      { message: "the bad message dead-lettered" },
    );
    assert.equal(total(await otel.points(N.acked), where), 1);
    assert.equal(total(await otel.points(N.retried), where), 1);
    assert.equal(
      total(await otel.points(N.deadLettered), { ...where, "rsc.dead_letter.reason": "failed" }),
      1,
    );
    assert.equal(total(await otel.points(N.consumed), where), 3);
    const durations = await otel.points(N.processDuration);
    assert.equal(total(durations, where), 3);
    assert.equal(total(durations, { ...where, "error.type": "handler_failed" }), 2);
    await consumer.stop({ timeoutMs: 1000 });
    await otel.shutdown();
  });
});
