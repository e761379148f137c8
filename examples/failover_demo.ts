/**
 * Failover demo: three consumers share twelve streams, one crashes without
 * cleanup, and the survivors take its streams over.
 *
 *   npm run demo:terminal             # starts its own redis-server on a free port
 *   REDIS_URL=redis://host:6379 npm run demo:terminal
 */
import process from "node:process";
import { createClient } from "redis";
import {
  addStream,
  AlreadyClaimedError,
  ClientClosedError,
  createStreamClient,
  NotificationType,
  silentLogger,
  type StreamClient,
  StreamNotPendingError,
} from "../mod.ts";
import { startLocalRedis } from "./local_redis.ts";

const HEARTBEAT_MS = 1000;
const STREAMS = 12;

const ownServer = process.env.REDIS_URL ? undefined : await startLocalRedis();
const url = process.env.REDIS_URL ?? ownServer!.url;
const service = `demo-${crypto.randomUUID().slice(0, 6)}`;
const started = Date.now();
const log = (line: string) =>
  console.log(`${String(Date.now() - started).padStart(6)} ms  ${line}`);

log(`redis at ${url}${ownServer ? " (started for this demo)" : ""}, service "${service}"`);

interface Consumer {
  readonly name: string;
  readonly client: StreamClient;
  readonly owned: Set<string>;
  readonly redis: { destroy(): void };
}

async function connect() {
  const redis = createClient({ url });
  // Without an "error" listener node-redis crashes the process at the first connection blip.
  redis.on("error", (error) => log(`redis: ${error.message}`));
  return await redis.connect();
}

async function startConsumer(name: string, takeovers: Map<string, number>): Promise<Consumer> {
  const redis = await connect();
  const client = createStreamClient(redis, service, {
    consumerId: name,
    heartbeatMs: HEARTBEAT_MS,
    logger: silentLogger,
  });
  const consumer = { name, client, owned: new Set<string>(), redis };
  const notifications = await client.init();
  void (async () => {
    for await (const n of notifications) {
      const stream = n.payload.dataStreamName;
      if (n.type === NotificationType.StreamAdded) {
        consumer.owned.add(stream);
        log(`${name} was assigned ${stream} (fence ${n.fence})`);
      } else if (n.type === NotificationType.StreamExpired) {
        try {
          const claim = await client.claim(n.payload);
          consumer.owned.add(stream);
          takeovers.set(stream, Date.now());
          log(`${name} claimed ${stream} (fence ${claim.fence})`);
        } catch (error) {
          // Lost the race, the stream was finished meanwhile, or this consumer is stopping.
          const expected = error instanceof AlreadyClaimedError ||
            error instanceof StreamNotPendingError || error instanceof ClientClosedError;
          if (!expected) throw error;
        }
      } else if (n.type === NotificationType.StreamDisowned) {
        consumer.owned.delete(stream);
      }
    }
  })();
  return consumer;
}

const takeovers = new Map<string, number>();
const consumers = await Promise.all(
  ["alpha", "beta", "gamma"].map((n) => startConsumer(n, takeovers)),
);
// SIGTERM (or Ctrl-C) mid-demo: the consumers give their locks back (done()) and the demo's own
// redis-server goes away with it.
const interrupted = async () => {
  await Promise.all(consumers.map((c) => c.client.done()));
  await ownServer?.stop();
  process.exit(1);
};
const signals = ["SIGTERM", "SIGINT"] as const;
for (const signal of signals) process.once(signal, interrupted);
const producer = await connect();
for (let i = 0; i < STREAMS; i++) {
  await addStream(producer, service, { dataStreamName: `orders-${i}`, info: { shard: i } });
}
await until(() => consumers.reduce((n, c) => n + c.owned.size, 0) === STREAMS, "assignments");

const victim = consumers.reduce((a, b) => (a.owned.size >= b.owned.size ? a : b));
const orphaned = [...victim.owned];
log(`crashing ${victim.name} (no cleanup) while it owns ${orphaned.join(", ")}`);
const crashedAt = Date.now();
victim.client.supervisor.stop(); // heartbeats stop; locks are left to expire, as in a real crash
victim.redis.destroy();

await until(() => orphaned.every((s) => takeovers.has(s)), "takeover");
const delays = orphaned.map((s) => takeovers.get(s)! - crashedAt).sort((a, b) => a - b);
log(
  `all ${orphaned.length} orphaned streams taken over; delay after the crash: ` +
    `min ${delays[0]} ms, max ${delays.at(-1)} ms (lock TTL ${HEARTBEAT_MS} ms)`,
);
for (const c of consumers.filter((c) => c !== victim)) {
  log(`${c.name} now owns ${[...c.owned].sort().join(", ")}`);
}

for (const c of consumers.filter((c) => c !== victim)) {
  await c.client.done();
  c.redis.destroy();
}
producer.destroy();
for (const signal of signals) process.off(signal, interrupted);
await ownServer?.stop();
log("done");

async function until(condition: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
