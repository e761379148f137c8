/**
 * Scenarios 3 and 4: what owning K streams costs. Redis commands and CPU per
 * second (INFO deltas), the consumer's event-loop delay, and heap bytes per
 * owned stream (after a forced GC where the runtime allows it).
 */
import { Socket } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createStreamClient, lbsStreamKey, NotificationType } from "../mod.ts";
import { silentLogger } from "../src/observability.ts";
import { RedisServer, uniqueName } from "../tests/fixture/redis_server.ts";
import { waitUntil } from "../tests/fixture/wait.ts";

export interface OwnershipCost {
  readonly streams: number;
  readonly heartbeatMs: number;
  readonly commandsPerSecond: number;
  readonly commandsPerStreamPerPeriod: number;
  /** Flushes (batches on the wire) per heartbeat period on the heartbeat's connection. */
  readonly writesPerPeriod: number;
  readonly redisCpuPercent: number;
  readonly eventLoopDelayP99Ms: number;
  /** Undefined where no GC can be forced (run Node with --expose-gc). */
  readonly heapBytesPerStream: number | undefined;
}

function info(text: string, field: string): number {
  return Number(text.match(new RegExp(`${field}:([\\d.]+)`))?.[1] ?? 0);
}

async function heapUsed(): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return (globalThis as { process?: { memoryUsage(): { heapUsed: number } } }).process
    ?.memoryUsage().heapUsed;
}

/**
 * Counts flushes per connection while it runs. node-redis corks its socket,
 * writes every command queued since the last flush and uncorks once per
 * setImmediate tick: one uncork is one batch on the wire, so on the
 * heartbeat's connection it is one round trip. The busiest connection is the
 * caller's client that heartbeats use (the reader blocks once per second, the
 * subscriber is idle).
 */
function countSocketWrites() {
  const counts = new Map<number, number>();
  const original = Socket.prototype.uncork;
  Socket.prototype.uncork = function (this: Socket) {
    const port = this.localPort ?? 0;
    counts.set(port, (counts.get(port) ?? 0) + 1);
    return original.call(this);
  };
  return {
    stop(): number {
      Socket.prototype.uncork = original;
      return Math.max(0, ...counts.values());
    },
  };
}

export async function ownershipCost(
  streams: number,
  heartbeatMs: number,
  windowMs: number,
): Promise<OwnershipCost> {
  const server = await RedisServer.start();
  try {
    const redis = await server.connect();
    const service = uniqueName("bench");
    const connection = await server.connect();
    const client = createStreamClient(connection, service, {
      consumerId: "owner",
      logger: silentLogger,
      heartbeatMs,
      lbsIdleMs: 60_000,
      bufferSize: streams + 10,
      lbsBatchSize: 500,
      reconcileIntervalMs: 60_000,
    });
    const notifications = await client.init();
    let added = 0;
    void (async () => {
      for await (const n of notifications) if (n.type === NotificationType.StreamAdded) added++;
    })();
    const before = await heapUsed();
    for (let i = 0; i < streams; i += 1000) {
      const multi = redis.multi();
      for (let j = i; j < Math.min(streams, i + 1000); j++) {
        multi.xAdd(lbsStreamKey(service), "*", {
          "lbs-input": JSON.stringify({ DataStreamName: `s-${j}`, Info: {} }),
        });
      }
      await multi.execAsPipeline();
    }
    await waitUntil(() => added >= streams, { timeoutMs: 300_000 });
    const after = await heapUsed();
    // Let assignment settle, then measure a quiet window of heartbeats only.
    await new Promise((resolve) => setTimeout(resolve, heartbeatMs));
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const writes = countSocketWrites();
    const statsBefore = await redis.info();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const statsAfter = await redis.info();
    const writesOnBusiest = writes.stop();
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    const commands = info(statsAfter, "total_commands_processed") -
      info(statsBefore, "total_commands_processed") - 1; // the INFO itself
    const cpu = (info(statsAfter, "used_cpu_sys") + info(statsAfter, "used_cpu_user")) -
      (info(statsBefore, "used_cpu_sys") + info(statsBefore, "used_cpu_user"));
    const periods = seconds / (heartbeatMs / 2 / 1000);
    client.supervisor.stop();
    connection.destroy();
    redis.destroy();
    return {
      streams,
      heartbeatMs,
      commandsPerSecond: commands / seconds,
      commandsPerStreamPerPeriod: commands / periods / streams,
      writesPerPeriod: writesOnBusiest / periods,
      redisCpuPercent: (cpu / seconds) * 100,
      eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
      heapBytesPerStream: before !== undefined && after !== undefined
        ? (after - before) / streams
        : undefined,
    };
  } finally {
    await server.stop();
  }
}
