/**
 * Scenario 6: fair hand-out of a burst. K streams are added in one pipeline
 * while C consumers wait on an empty LBS; we count the streams each consumer
 * was assigned and time from the burst until the last is owned. Against a
 * bare loop of C consumers doing what a plain consumer group reader does
 * (XREADGROUP COUNT 100, as this library did before; the Go client reads
 * with no COUNT at all), which shows the spread a group gives by itself.
 */
import {
  addStream,
  createStreamClient,
  lbsGroupName,
  lbsStreamKey,
  NotificationType,
} from "../mod.ts";
import { streamMessages } from "../src/redis/stream_reply.ts";
import { silentLogger } from "../src/observability.ts";
import { RedisServer, uniqueName } from "../tests/fixture/redis_server.ts";
import { waitUntil } from "../tests/fixture/wait.ts";

export interface BurstSpread {
  /** Streams each consumer was assigned, most first. */
  readonly perConsumer: number[];
  /** Milliseconds from sending the burst until every stream was owned. */
  readonly allOwnedMs: number;
}

const HEARTBEAT_MS = 2000;

/** The library's spread of `streams` added at once over `consumers` waiting consumers. */
export async function libraryBurst(streams: number, consumers: number): Promise<BurstSpread> {
  const server = await RedisServer.start();
  try {
    const redis = await server.connect();
    const service = uniqueName("bench");
    const counts = new Array<number>(consumers).fill(0);
    const clients = [];
    for (let i = 0; i < consumers; i++) {
      const connection = await server.connect();
      const client = createStreamClient(connection, service, {
        consumerId: `c${i}`,
        logger: silentLogger,
        heartbeatMs: HEARTBEAT_MS,
        bufferSize: streams + 10,
      });
      const notifications = await client.init();
      void (async () => {
        for await (const n of notifications) {
          if (n.type === NotificationType.StreamAdded) counts[i]!++;
        }
      })();
      clients.push({ client, connection });
    }
    const started = performance.now();
    await Promise.all(
      Array.from(
        { length: streams },
        (_, j) => addStream(redis, service, { dataStreamName: `s-${j}`, info: {} }),
      ),
    );
    const total = () => counts.reduce((sum, n) => sum + n, 0);
    await waitUntil(() => total() >= streams, { timeoutMs: 60_000, intervalMs: 1 });
    const allOwnedMs = performance.now() - started;
    for (const { client, connection } of clients) {
      client.supervisor.stop(); // skip releasing the locks: not what is measured
      connection.destroy();
    }
    redis.destroy();
    return { perConsumer: counts.sort((a, b) => b - a), allOwnedMs };
  } finally {
    await server.stop();
  }
}

/** The same burst over bare consumer-group readers (XREADGROUP COUNT 100, then XACK). */
export async function bareBurst(streams: number, consumers: number): Promise<BurstSpread> {
  const server = await RedisServer.start();
  try {
    const redis = await server.connect();
    const service = uniqueName("bench");
    const key = lbsStreamKey(service);
    const group = lbsGroupName(service);
    await redis.xGroupCreate(key, group, "$", { MKSTREAM: true });
    const counts = new Array<number>(consumers).fill(0);
    const stop = { now: false };
    const connections = await Promise.all(
      Array.from({ length: consumers }, () => server.connect()),
    );
    const loops = connections.map(async (connection, i) => {
      while (!stop.now) {
        const reply = await connection.xReadGroup(group, `c${i}`, { key, id: ">" }, {
          COUNT: 100,
          BLOCK: 100,
        });
        const messages = streamMessages(reply);
        counts[i]! += messages.length;
        if (messages.length > 0) await connection.xAck(key, group, messages.map((m) => m.id));
      }
      connection.destroy();
    });
    // Every reader is blocked on the empty LBS before the burst.
    await waitUntil(
      async () =>
        (await redis.clientList()).filter((c) => c.cmd === "xreadgroup").length === consumers,
      {
        intervalMs: 5,
      },
    );
    const started = performance.now();
    await Promise.all(
      Array.from(
        { length: streams },
        (_, j) => addStream(redis, service, { dataStreamName: `s-${j}`, info: {} }),
      ),
    );
    const total = () => counts.reduce((sum, n) => sum + n, 0);
    await waitUntil(() => total() >= streams, { timeoutMs: 60_000, intervalMs: 1 });
    const allOwnedMs = performance.now() - started;
    stop.now = true;
    await Promise.all(loops);
    redis.destroy();
    return { perConsumer: counts.sort((a, b) => b - a), allOwnedMs };
  } finally {
    await server.stop();
  }
}
