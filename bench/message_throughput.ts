/**
 * Scenario 5: entries consumed and acked per second through the library's
 * group consumer, against a bare XREADGROUP/XACK loop, at several batch sizes.
 */
import { createGroupConsumer, publishBatch } from "../mod.ts";
import { streamMessages } from "../src/redis/stream_reply.ts";
import { RedisServer } from "../tests/fixture/redis_server.ts";
import { waitUntil } from "../tests/fixture/wait.ts";

async function filledStream(server: RedisServer, entries: number) {
  const redis = await server.connect();
  const stream = "bench-messages";
  await redis.xGroupCreate(stream, "g", "0", { MKSTREAM: true });
  for (let i = 0; i < entries; i += 1000) {
    await publishBatch(
      redis,
      stream,
      Array.from({ length: Math.min(1000, entries - i) }, (_, j) => ({
        type: "bench",
        payload: String(i + j),
      })),
    );
  }
  return { redis, stream };
}

export async function libraryMessages(entries: number, batchSize: number): Promise<number> {
  const server = await RedisServer.start();
  try {
    const { redis, stream } = await filledStream(server, entries);
    let handled = 0;
    const consumer = createGroupConsumer(redis, {
      stream,
      group: "g",
      batchSize,
      concurrency: batchSize,
      blockMs: 50,
      reaper: false,
      handler: () => {
        handled++;
      },
    });
    const started = performance.now();
    await consumer.start();
    await waitUntil(
      async () => handled >= entries && (await redis.xPending(stream, "g")).pending === 0,
      {
        timeoutMs: 300_000,
        intervalMs: 5,
      },
    );
    const rate = entries / ((performance.now() - started) / 1000);
    await consumer.stop({ timeoutMs: 1000 });
    redis.destroy();
    return rate;
  } finally {
    await server.stop();
  }
}

export async function bareMessages(entries: number, batchSize: number): Promise<number> {
  const server = await RedisServer.start();
  try {
    const { redis, stream } = await filledStream(server, entries);
    let handled = 0;
    const started = performance.now();
    while (handled < entries) {
      const reply = await redis.xReadGroup("g", "c", { key: stream, id: ">" }, {
        COUNT: batchSize,
        BLOCK: 50,
      });
      const messages = streamMessages(reply);
      await Promise.all(messages.map(async (m) => {
        JSON.stringify(m.message); // the "work"
        await redis.xAck(stream, "g", m.id);
        handled++;
      }));
    }
    const rate = entries / ((performance.now() - started) / 1000);
    redis.destroy();
    return rate;
  } finally {
    await server.stop();
  }
}
