/**
 * What the same crash costs with the alternatives, same liveness timeout:
 * - keyspace events alone (the Go library's design): time until Redis
 *   announces each dead lock's expiry, if it does within the wait;
 * - a textbook XAUTOCLAIM reaper (seeds 003/004): entries a dead worker left
 *   pending are claimed once idle past the timeout, sweeping every half timeout.
 */
import { lockKey } from "../mod.ts";
import { RedisServer } from "../tests/fixture/redis_server.ts";
import { summarize, type Summary } from "./stats.ts";

export interface AlternativeResult {
  readonly delay: Summary;
  /** Streams never recovered within the wait. */
  readonly missing: number;
  readonly waitedMs: number;
}

async function serverWithTtlKeys(ttlKeys: number) {
  const server = await RedisServer.start({ notifyKeyspaceEvents: "Ex" });
  const redis = await server.connect();
  if (ttlKeys > 0) {
    await redis.eval(
      "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'noise:' .. i, 'x', 'EX', 3600) end",
      { arguments: [String(ttlKeys)] },
    );
  }
  return { server, redis };
}

/** Locks with a TTL whose holder is gone: when does Redis announce each expiry? */
export async function keyspaceOnly(
  streams: number,
  ttlKeys: number,
  timeoutMs: number,
  waitMs: number,
): Promise<AlternativeResult> {
  const { server, redis } = await serverWithTtlKeys(ttlKeys);
  try {
    const keys = new Set(Array.from({ length: streams }, (_, i) => lockKey(`s-${i}`, `${i}-0`)));
    const heard = new Map<string, number>();
    const subscriber = redis.duplicate();
    await subscriber.connect();
    await subscriber.subscribe("__keyevent@0__:expired", (key: string) => {
      if (keys.has(key) && !heard.has(key)) heard.set(key, Date.now());
    });
    // The holder's last heartbeat: every lock gets the full TTL, then the holder dies.
    const diedAt = Date.now();
    await Promise.all([...keys].map((key) => redis.set(key, "dead~1", { PX: timeoutMs })));
    const deadline = diedAt + waitMs;
    while (heard.size < keys.size && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    subscriber.destroy();
    redis.destroy();
    return {
      delay: summarize([...heard.values()].map((at) => at - diedAt)),
      missing: keys.size - heard.size,
      waitedMs: waitMs,
    };
  } finally {
    await server.stop();
  }
}

/** A worker read K entries and died; a reaper sweeps every timeout/2 with min-idle = timeout. */
export async function xautoclaimReaper(
  streams: number,
  timeoutMs: number,
): Promise<AlternativeResult> {
  const { server, redis } = await serverWithTtlKeys(0);
  try {
    const stream = "work";
    await redis.xGroupCreate(stream, "g", "$", { MKSTREAM: true });
    for (let i = 0; i < streams; i++) await redis.xAdd(stream, "*", { i: String(i) });
    await redis.xReadGroup("g", "dead-worker", { key: stream, id: ">" }, { COUNT: streams });
    const diedAt = Date.now();
    const claimedAt = new Map<string, number>();
    // The reaper's phase relative to the crash is arbitrary: start it at a random offset.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * (timeoutMs / 2)));
    while (claimedAt.size < streams && Date.now() - diedAt < 10 * timeoutMs) {
      let cursor = "0-0";
      do {
        const reply = await redis.xAutoClaim(stream, "g", "reaper", timeoutMs, cursor, {
          COUNT: 1000,
        });
        for (const m of reply.messages) if (m) claimedAt.set(m.id, Date.now());
        cursor = reply.nextId;
      } while (cursor !== "0-0");
      await new Promise((resolve) => setTimeout(resolve, timeoutMs / 2));
    }
    redis.destroy();
    return {
      delay: summarize([...claimedAt.values()].map((at) => at - diedAt)),
      missing: streams - claimedAt.size,
      waitedMs: 10 * timeoutMs,
    };
  } finally {
    await server.stop();
  }
}
