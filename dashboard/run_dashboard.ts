/**
 * The dashboard: one call starts (or connects to) Redis, starts the consumer
 * processes, follows the state feed and Redis, and serves the page on
 * 127.0.0.1. Everything it starts, `close()` stops.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createClient } from "redis";
import { type LocalRedis, startLocalRedis } from "../examples/local_redis.ts";
import { expiredEventChannel, orphanChannel, streamMachine } from "../mod.ts";
import { databaseOf, type RedisClient } from "../src/redis/client.ts";
import { Actions } from "./actions.ts";
import { Fleet } from "./fleet.ts";
import { loadPageAssets } from "./page_assets.ts";
import { ConsumerProcesses } from "./processes.ts";
import { RedisViews } from "./redis_views.ts";
import { createApp } from "./server.ts";
import { buildSnapshot } from "./snapshot.ts";
import { SnapshotHub } from "./snapshot_hub.ts";
import { layoutChart } from "./statechart.ts";
import { followStateFeed } from "./state_feed_source.ts";

export interface DashboardOptions {
  /** Port on 127.0.0.1. @default 0 (a free one) */
  readonly port?: number;
  /** An existing Redis to show; without it the dashboard starts its own redis-server. */
  readonly redisUrl?: string;
  /** Consumer processes to start. @default 3 with its own Redis, 0 with `redisUrl` */
  readonly consumers?: number;
  /** @default "demo" */
  readonly service?: string;
  /** Aborting it closes the dashboard. */
  readonly signal?: AbortSignal;
  /** Where progress lines go. @default console.log */
  readonly log?: (line: string) => void;
  /** The consumers' lock TTL. @default 1000 */
  readonly heartbeatMs?: number;
  /** Data streams streams added at start when the dashboard runs its own Redis. @default 12 */
  readonly streams?: number;
}

/** A running dashboard. */
export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

const VIEW_INTERVAL_MS = 400;
const DISCOVER_INTERVAL_MS = 5000;

/**
 * Starts the dashboard and logs `dashboard: http://127.0.0.1:<port>` on a line of its own.
 * @throws {RangeError} on a bad port or consumer count.
 */
export async function runDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const log = options.log ?? ((line: string) => console.log(line));
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be a whole number from 0 to 65535; got ${options.port}`);
  }
  const consumerCount = options.consumers ?? (options.redisUrl ? 0 : 3);
  if (!Number.isInteger(consumerCount) || consumerCount < 0 || consumerCount > 32) {
    throw new RangeError(`consumers must be a whole number from 0 to 32; got ${options.consumers}`);
  }
  const service = options.service ?? "demo";
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const eventsStream = `${service}-events`;
  const eventsGroup = "workers";

  const own: LocalRedis | undefined = options.redisUrl ? undefined : await startLocalRedis();
  const redisUrl = options.redisUrl ?? own!.url;
  const closing = new AbortController();
  const cleanups: (() => Promise<void> | void)[] = [async () => await own?.stop()];
  const close = async () => {
    if (closing.signal.aborted) return;
    closing.abort();
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve().then(cleanup).catch((e) => log(`dashboard: closing: ${e}`));
    }
  };
  try {
    const redis = createClient({ url: redisUrl }) as unknown as RedisClient;
    redis.on("error", () => {/* reconnects on its own; the views say what is missing */});
    await redis.connect();
    cleanups.push(() => redis.destroy());
    log(`redis: ${redisUrl}${own ? " (started for this dashboard)" : ""}, service "${service}"`);

    const chart = {
      compact: layoutChart(streamMachine),
      full: layoutChart(streamMachine, { labels: true }),
    };
    const hub = new SnapshotHub(() =>
      buildSnapshot({
        fleet,
        service,
        redisUrl,
        ownRedis: own !== undefined,
        heartbeatMs,
        stallMs: 3 * heartbeatMs,
      })
    );
    const fleet = new Fleet(heartbeatMs, () => hub.changed());
    const processes = new ConsumerProcesses({
      redisUrl,
      service,
      heartbeatMs,
      eventsStream,
      onChange: () => fleet.setProcesses(processes.list()),
      log,
    });
    cleanups.push(() => processes.stopAll());
    cleanups.push(() => hub.close());
    const actions = new Actions({
      redis,
      service,
      eventsStream,
      eventsGroup,
      processes,
      stallMs: 3 * heartbeatMs,
    });

    followFeed(redis, service, fleet, closing.signal, log);
    cleanups.push(await followOrphans(redis, service, fleet));
    cleanups.push(followRedis(redis, service, eventsStream, fleet, closing.signal, log));

    const app = createApp(
      await loadPageAssets(),
      hub,
      JSON.stringify(chart),
      actions,
      closing.signal,
    );
    const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    cleanups.push(() =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      })
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    log(`dashboard: ${url}`);

    const startup = startFleet(actions, consumerCount, own ? options.streams ?? 12 : 0, log)
      .catch((error) => log(`dashboard: start-up: ${error.message}`));
    cleanups.push(() => startup);
    options.signal?.addEventListener("abort", () => void close(), { once: true });
    return { url, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startFleet(
  actions: Actions,
  consumers: number,
  streams: number,
  log: (line: string) => void,
) {
  const started = await Promise.all(
    Array.from({ length: consumers }, () => actions.startConsumer()),
  );
  if (started.length) log(`consumers: ${started.map((c) => `${c.id} (pid ${c.pid})`).join(", ")}`);
  if (streams > 0) {
    const { added } = await actions.addStreams(streams);
    log(`streams: added ${added.length}`);
  }
}

function followFeed(
  redis: RedisClient,
  service: string,
  fleet: Fleet,
  signal: AbortSignal,
  log: (line: string) => void,
): void {
  void (async () => {
    while (!signal.aborted) {
      try {
        for await (const entry of followStateFeed(redis, service, signal)) fleet.applyFeed(entry);
      } catch (error) {
        if (signal.aborted) return;
        log(`dashboard: state feed: ${(error as Error).message}; reading again in 1 s`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();
}

/** The orphan channel (the sweeper's notices) and Redis's expired-key events (when on). */
async function followOrphans(redis: RedisClient, service: string, fleet: Fleet) {
  const subscriber = redis.duplicate();
  subscriber.on("error", () => {});
  await subscriber.connect();
  await subscriber.subscribe(
    expiredEventChannel(databaseOf(redis)),
    (key: string) => fleet.applyExpiredKeys([key], Date.now()),
  );
  await subscriber.subscribe(orphanChannel(service), (message: string) => {
    try {
      const notices = JSON.parse(message) as { s: string; id: string }[];
      if (!Array.isArray(notices)) return;
      fleet.applyOrphanNotice(
        notices.map((n) => ({ stream: String(n.s), idInLbs: String(n.id) })),
        Date.now(),
      );
    } catch {
      // not a notice
    }
  });
  return () => subscriber.destroy();
}

function followRedis(
  redis: RedisClient,
  service: string,
  eventsStream: string,
  fleet: Fleet,
  signal: AbortSignal,
  log: (line: string) => void,
): () => Promise<void> {
  const views = new RedisViews(redis, service);
  let dataStreams = [eventsStream];
  let discoveredAt = 0;
  let lastError = "";
  const loop = (async () => {
    while (!signal.aborted) {
      try {
        if (Date.now() - discoveredAt > DISCOVER_INTERVAL_MS) {
          discoveredAt = Date.now();
          const found = await views.discoverDataStreams();
          dataStreams = [...new Set([eventsStream, ...found])];
        }
        fleet.setRedisView(await views.read(dataStreams));
        lastError = "";
      } catch (error) {
        const message = (error as Error).message;
        if (message !== lastError && !signal.aborted) log(`dashboard: reading Redis: ${message}`);
        lastError = message;
      }
      await new Promise((resolve) => setTimeout(resolve, VIEW_INTERVAL_MS));
    }
  })();
  return () => loop;
}
