/**
 * Scenario 7: what the state feed costs per transition. One client owns N
 * streams from a filled LBS, waits until every one is heartbeating, and stops
 * (each stream: → assigned → heartbeating → releasing → released, four
 * transitions). The same run with the feed off and on; the difference in the
 * client's CPU time (and in redis-server's, from INFO) over the transitions is
 * the feed's cost. The wait for the first beat is idle time in both runs.
 */
import process from "node:process";
import {
  createStreamClient,
  lbsGroupName,
  lbsStreamKey,
  NotificationType,
  stateFeedKey,
} from "../mod.ts";
import { silentLogger } from "../src/observability.ts";
import { RedisServer, uniqueName } from "../tests/fixture/redis_server.ts";
import { waitUntil } from "../tests/fixture/wait.ts";

export interface FeedRun {
  /** Client CPU time (user + system), ms, from init() until done() resolved. */
  readonly clientCpuMs: number;
  /** redis-server CPU time over the same window, ms. */
  readonly redisCpuMs: number;
  /** Stream-actor transitions made (4 per stream). */
  readonly transitions: number;
  /** Entries in the feed afterwards (0 with the feed off). */
  readonly feedEntries: number;
}

type Connection = Awaited<ReturnType<RedisServer["connect"]>>;

async function redisCpuMs(redis: Connection): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
}

function clientCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** One run of `streams` streams through their life, the feed `on` or off. */
export async function feedRun(streams: number, on: boolean): Promise<FeedRun> {
  const server = await RedisServer.start();
  try {
    const redis = await server.connect();
    const service = uniqueName("bench");
    await redis.xGroupCreate(lbsStreamKey(service), lbsGroupName(service), "$", { MKSTREAM: true });
    for (let i = 0; i < streams; i += 1000) {
      const multi = redis.multi();
      for (let j = i; j < Math.min(streams, i + 1000); j++) {
        const entry = JSON.stringify({ DataStreamName: `s-${j}`, Info: {} });
        multi.xAdd(lbsStreamKey(service), "*", { "lbs-input": entry });
      }
      await multi.execAsPipeline();
    }
    const connection = await server.connect();
    const client = createStreamClient(connection, service, {
      consumerId: "c0",
      logger: silentLogger,
      heartbeatMs: 2000,
      bufferSize: streams + 10,
      lbsBatchSize: 500,
      lbsBlockMs: 50,
      stateFeed: on ? { maxLength: 10 * streams } : false,
    });
    const redisBefore = await redisCpuMs(redis);
    const before = clientCpuMs();
    let added = 0;
    const notifications = await client.init();
    void (async () => {
      for await (const n of notifications) if (n.type === NotificationType.StreamAdded) added++;
    })();
    await waitUntil(() => added >= streams, { timeoutMs: 120_000, intervalMs: 20 });
    await waitUntil(() => {
      const owned = [...client.supervisor.getSnapshot().context.streams.values()];
      return owned.every((ref) => ref.getSnapshot().matches("heartbeating"));
    }, { timeoutMs: 120_000, intervalMs: 50 });
    await client.done();
    const clientCpu = clientCpuMs() - before;
    const redisCpu = (await redisCpuMs(redis)) - redisBefore;
    const feedEntries = await redis.xLen(stateFeedKey(service));
    connection.destroy();
    redis.destroy();
    return {
      clientCpuMs: clientCpu,
      redisCpuMs: redisCpu,
      transitions: 4 * streams,
      feedEntries,
    };
  } finally {
    await server.stop();
  }
}
