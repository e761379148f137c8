/**
 * One consumer of the dashboard's fleet, run as its own process so that the
 * dashboard can SIGKILL or SIGSTOP it. It owns streams (claiming every expired
 * one it hears of), publishes the state feed, and works a shared group of the
 * events stream, where "poison" events fail into dead letters.
 *
 * Configured by environment: REDIS_URL, SERVICE, CONSUMER_ID, HEARTBEAT_MS,
 * EVENTS_STREAM, EVENTS_GROUP. Prints `ready` on stdout once it reads.
 */
import process from "node:process";
import { createClient } from "redis";
import {
  AlreadyClaimedError,
  ClientClosedError,
  createGroupConsumer,
  createStreamClient,
  NotificationType,
  StreamNotPendingError,
} from "../mod.ts";
import { silentLogger } from "../src/observability.ts";

const env = process.env;
const service = env.SERVICE ?? "demo";
const redis = createClient({ url: env.REDIS_URL });
redis.on("error", () => {/* node-redis reconnects; the client reports what it loses */});
await redis.connect();

const client = createStreamClient(redis, service, {
  consumerId: env.CONSUMER_ID,
  heartbeatMs: Number(env.HEARTBEAT_MS ?? 1000),
  reconcileIntervalMs: 2000,
  logger: silentLogger,
  stateFeed: true,
});

const events = createGroupConsumer(redis, {
  stream: env.EVENTS_STREAM ?? `${service}-events`,
  group: env.EVENTS_GROUP ?? "workers",
  consumer: client.id,
  startId: "0",
  handler: async (message) => {
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
    if (message.type.endsWith(".poison")) throw new Error(`cannot handle ${message.type}`);
  },
  concurrency: 4,
  retry: { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 1000, jitter: true },
  reaper: { intervalMs: 2000, minIdleMs: 5000, maxDeliveries: 3 },
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await events.stop({ timeoutMs: 2000 });
  await client.done();
  redis.destroy();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());

const notifications = await client.init();
await events.start();
console.log("ready");

for await (const n of notifications) {
  if (n.type !== NotificationType.StreamExpired) continue;
  // Not awaited: claims made in one turn of the event loop share their round trips.
  client.claim(n.payload).catch((error) => {
    const expected = error instanceof AlreadyClaimedError ||
      error instanceof StreamNotPendingError || error instanceof ClientClosedError;
    if (!expected) console.error(`${client.id}: claim of ${n.payload.dataStreamName}:`, error);
  });
}
