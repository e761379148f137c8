/**
 * Scenario 2: LBS entries turned into StreamAdded per second, against a bare
 * node-redis loop doing the same work (XREADGROUP, SET NX PX, XACK).
 */
import { createStreamClient, lbsGroupName, lbsStreamKey, NotificationType } from "../mod.ts";
import { streamMessages } from "../src/redis/stream_reply.ts";
import { silentLogger } from "../src/observability.ts";
import { RedisServer, uniqueName } from "../tests/fixture/redis_server.ts";
import { waitUntil } from "../tests/fixture/wait.ts";

async function fill(redis: Awaited<ReturnType<RedisServer["connect"]>>, key: string, n: number) {
  const entry = { "lbs-input": "" };
  for (let i = 0; i < n; i += 1000) {
    const multi = redis.multi();
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      entry["lbs-input"] = JSON.stringify({ DataStreamName: `s-${j}`, Info: {} });
      multi.xAdd(key, "*", { ...entry });
    }
    await multi.execAsPipeline();
  }
}

/**
 * Assignments per second through the library with `consumers` clients. The LBS
 * is filled first (after its group exists), so the clock measures the consumers
 * alone, not a producer sharing their event loop.
 */
export async function libraryAssignments(entries: number, consumers: number): Promise<number> {
  const server = await RedisServer.start();
  try {
    const redis = await server.connect();
    const service = uniqueName("bench");
    await redis.xGroupCreate(lbsStreamKey(service), lbsGroupName(service), "$", { MKSTREAM: true });
    await fill(redis, lbsStreamKey(service), entries);
    const clients = [];
    let added = 0;
    const started = performance.now();
    for (let i = 0; i < consumers; i++) {
      const connection = await server.connect();
      const client = createStreamClient(connection, service, {
        consumerId: `c${i}`,
        logger: silentLogger,
        heartbeatMs: 30_000,
        lbsIdleMs: 60_000,
        bufferSize: entries + 10,
        lbsBatchSize: 500,
        lbsBlockMs: 50,
      });
      const notifications = await client.init();
      void (async () => {
        for await (const n of notifications) if (n.type === NotificationType.StreamAdded) added++;
      })();
      clients.push({ client, connection });
    }
    await waitUntil(() => added >= entries, { timeoutMs: 300_000, intervalMs: 5 });
    const rate = entries / ((performance.now() - started) / 1000);
    for (const { client, connection } of clients) {
      client.supervisor.stop(); // skip releasing thousands of locks: not what is measured
      connection.destroy();
    }
    redis.destroy();
    return rate;
  } finally {
    await server.stop();
  }
}

/** The same work as a bare loop: read a batch, lock each stream, ack. */
export async function bareAssignments(entries: number, consumers: number): Promise<number> {
  const server = await RedisServer.start();
  try {
    const redis = await server.connect();
    const key = "bench-input";
    await redis.xGroupCreate(key, "g", "$", { MKSTREAM: true });
    await fill(redis, key, entries);
    let done = 0;
    const loops = [];
    const stop = { now: false };
    const started = performance.now();
    for (let i = 0; i < consumers; i++) {
      const connection = await server.connect();
      loops.push((async () => {
        while (!stop.now) {
          const reply = await connection.xReadGroup("g", `c${i}`, { key, id: ">" }, {
            COUNT: 500,
            BLOCK: 50,
          });
          const messages = streamMessages(reply);
          await Promise.all(messages.map(async (m) => {
            const name = JSON.parse(m.message["lbs-input"]!).DataStreamName;
            await connection.set(`${name}<MUTEX_KEY_SEP>${m.id}`, `c${i}`, {
              NX: true,
              PX: 30_000,
            });
            await connection.xAck(key, "g", m.id);
            done++;
          }));
        }
        connection.destroy();
      })());
    }
    await waitUntil(() => done >= entries, { timeoutMs: 300_000, intervalMs: 5 });
    const rate = entries / ((performance.now() - started) / 1000);
    stop.now = true;
    await Promise.all(loops);
    redis.destroy();
    return rate;
  } finally {
    await server.stop();
  }
}
