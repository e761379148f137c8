/**
 * Scenarios 3 and 4: what owning K streams costs. Redis commands and CPU per
 * second (INFO deltas), the consumer's event-loop delay, and heap bytes per
 * owned stream (after a forced GC where the runtime allows it).
 */
import { Socket } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createStreamClient, lbsStreamKey, NotificationType } from "../mod.ts";
import { LbsIdleRefresh } from "../src/actors/lbs_idle_refresh.ts";
import { silentLogger } from "../src/observability.ts";
import { markAlive } from "../src/scripts/consumer_liveness.ts";
import { extendLocks } from "../src/scripts/extend_locks.ts";
import { RedisServer, uniqueName } from "../tests/fixture/redis_server.ts";
import { waitUntil } from "../tests/fixture/wait.ts";

export interface OwnershipCost {
  readonly streams: number;
  readonly heartbeatMs: number;
  /** Whether beats refreshed the idle time of the held LBS entries (off: as before it existed). */
  readonly idleRefresh: boolean;
  /** Requests this client sent per heartbeat period, everything included (sweeper, reader). */
  readonly requestsPerPeriod: number;
  /** The heartbeat's own requests per beat: extension scripts plus the liveness mark. */
  readonly heartbeatRequestsPerBeat: number;
  /** Of those, the idle-time refreshes (XCLAIM … JUSTID, one per thousand entries due). */
  readonly refreshRequestsPerBeat: number;
  /** Commands Redis executed per period and stream, counting those a script runs inside Redis. */
  readonly redisCommandsPerStreamPerPeriod: number;
  /** Flushes (batches on the wire) per heartbeat period on the client's busiest connection. */
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

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Counts what this process sends while it runs. node-redis encodes a command
 * whose arguments are all strings as one string that starts `*<n>\r\n$<len>\r\n<NAME>`,
 * handed to the socket in one write: those are counted as requests, by name
 * (EVALSHA by script). It corks the socket, writes every command queued since
 * the last flush and uncorks once per tick: one uncork is one batch on the wire.
 */
async function countTraffic() {
  const markSha = await sha1(markAlive.source);
  const heartbeatShas = new Set([await sha1(extendLocks.source), markSha]);
  const flushes = new Map<number, number>();
  let requests = 0;
  let heartbeatRequests = 0;
  let refreshRequests = 0;
  let beats = 0; // each beat marks the client alive once
  const { uncork, write } = Socket.prototype;
  Socket.prototype.uncork = function (this: Socket) {
    const port = this.localPort ?? 0;
    flushes.set(port, (flushes.get(port) ?? 0) + 1);
    return uncork.call(this);
  };
  Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === "string" && chunk.startsWith("*")) {
      const name = chunk.split("\r\n", 3)[2]?.toUpperCase();
      if (name !== "INFO") requests++;
      if (name === "XCLAIM") {
        heartbeatRequests++;
        refreshRequests++;
      }
      const sha = name === "EVALSHA" ? chunk.split("\r\n", 5)[4] ?? "" : "";
      if (heartbeatShas.has(sha)) heartbeatRequests++;
      if (sha === markSha) beats++;
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof write;
  return {
    stop() {
      Socket.prototype.uncork = uncork;
      Socket.prototype.write = write;
      return {
        requests,
        heartbeatRequests,
        refreshRequests,
        beats,
        busiestFlushes: Math.max(0, ...flushes.values()),
      };
    },
  };
}

/**
 * `idleRefresh: false` measures the client as it was before beats refreshed
 * the idle time of held LBS entries: no entry is ever due.
 */
export async function ownershipCost(
  streams: number,
  heartbeatMs: number,
  windowMs: number,
  idleRefresh = true,
): Promise<OwnershipCost> {
  const server = await RedisServer.start();
  const { due } = LbsIdleRefresh.prototype;
  if (!idleRefresh) LbsIdleRefresh.prototype.due = () => [];
  try {
    const redis = await server.connect();
    const service = uniqueName("bench");
    const connection = await server.connect();
    const client = createStreamClient(connection, service, {
      consumerId: "owner",
      logger: silentLogger,
      heartbeatMs,
      lbsIdleMs: 40_000, // the default: each held entry is refreshed every 10 s
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
    const traffic = await countTraffic();
    const statsBefore = await redis.info();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const statsAfter = await redis.info();
    const sent = traffic.stop();
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
      idleRefresh,
      requestsPerPeriod: sent.requests / periods,
      heartbeatRequestsPerBeat: sent.heartbeatRequests / Math.max(1, sent.beats),
      refreshRequestsPerBeat: sent.refreshRequests / Math.max(1, sent.beats),
      redisCommandsPerStreamPerPeriod: commands / periods / streams,
      writesPerPeriod: sent.busiestFlushes / periods,
      redisCpuPercent: (cpu / seconds) * 100,
      eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
      heapBytesPerStream: before !== undefined && after !== undefined
        ? (after - before) / streams
        : undefined,
    };
  } finally {
    LbsIdleRefresh.prototype.due = due;
    await server.stop();
  }
}
