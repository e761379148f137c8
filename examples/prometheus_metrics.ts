/**
 * Prometheus metrics with prom-client: a MetricsRecorder that counts into a
 * prom-client registry, and a `/metrics` endpoint on 127.0.0.1 for Prometheus
 * to scrape. Give the same recorder to the stream client and to group
 * consumers. Run it with examples/prometheus_exporter.ts.
 */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { MetricsRecorder } from "../mod.ts";

/** A recorder writing into `registry`; series carry no data stream names (unbounded). */
export function prometheusMetrics(registry: Registry): MetricsRecorder {
  const registers = [registry];
  const acquired = new Counter({
    name: "rsc_streams_acquired_total",
    help: "Streams this consumer came to own, by origin",
    labelNames: ["origin"],
    registers,
  });
  const claims = new Counter({
    name: "rsc_claims_total",
    help: "Claims of expired streams, by outcome",
    labelNames: ["outcome"],
    registers,
  });
  const takeover = new Histogram({
    name: "rsc_takeover_seconds",
    help: "From being told a stream was orphaned to owning it",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const disowned = new Counter({
    name: "rsc_streams_disowned_total",
    help: "Streams lost while owned, by reason",
    labelNames: ["reason"],
    registers,
  });
  const heartbeat = new Histogram({
    name: "rsc_heartbeat_seconds",
    help: "Duration of one heartbeat",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  });
  const owned = new Gauge({ name: "rsc_owned_streams", help: "Streams owned now", registers });
  const messages = new Counter({
    name: "rsc_messages_total",
    help: "Handler attempts by stream, group and outcome (acked, retried, dead-lettered)",
    labelNames: ["stream", "group", "outcome"],
    registers,
  });
  const processing = new Histogram({
    name: "rsc_message_process_seconds",
    help: "Duration of a handler's attempt",
    labelNames: ["stream", "group"],
    registers,
  });
  const deadLettered = new Counter({
    name: "rsc_messages_dead_lettered_total",
    help: "Messages moved to dead letters, by reason",
    labelNames: ["stream", "group", "reason"],
    registers,
  });
  const reaped = new Counter({
    name: "rsc_messages_reaped_total",
    help: "Idle entries taken over from other consumers",
    labelNames: ["stream", "group"],
    registers,
  });
  return {
    recordStreamAcquired: (_name, origin) => acquired.inc({ origin }),
    recordClaimAttempt: (_name, won) => claims.inc({ outcome: won ? "won" : "lost" }),
    recordTakeover: (_name, delayMs) => takeover.observe(delayMs / 1000),
    recordStreamDisowned: (_name, reason) => disowned.inc({ reason }),
    recordHeartbeat: (durationMs) => heartbeat.observe(durationMs / 1000),
    recordOwnedStreams: (count) => owned.set(count),
    recordMessageProcessed: (stream, group, durationMs, outcome) => {
      messages.inc({ stream, group, outcome });
      processing.observe({ stream, group }, durationMs / 1000);
    },
    recordMessageDeadLettered: (stream, group, reason) =>
      deadLettered.inc({ stream, group, reason }),
    recordMessagesReaped: (stream, group, count) => reaped.inc({ stream, group }, count),
  };
}

/** Serves `registry` at `/metrics` on 127.0.0.1:`port` (0 picks a free port). */
export async function serveMetrics(registry: Registry, port = 9464): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { "content-type": registry.contentType }).end(body),
      (error) => response.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}
