/**
 * A consumer whose metrics Prometheus scrapes (see prometheus_metrics.ts).
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/prometheus_exporter.ts
 *   curl http://127.0.0.1:9464/metrics
 */
import process from "node:process";
import { createClient } from "redis";
import { Registry } from "prom-client";
import { createStreamClient } from "../mod.ts";
import { prometheusMetrics, serveMetrics } from "./prometheus_metrics.ts";

const redis = createClient({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" });
redis.on("error", (error) => console.error("redis:", error.message));
await redis.connect();
const registry = new Registry();
const server = await serveMetrics(registry);
console.log(`metrics: http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`);
const client = createStreamClient(redis, "orders", { metrics: prometheusMetrics(registry) });
process.once("SIGTERM", () => void client.done());
for await (const n of await client.init()) console.log(n.type, n.payload.dataStreamName);
server.close();
redis.destroy();
