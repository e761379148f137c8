/**
 * Scenario 1: takeover after a crash. One consumer process owning K streams is
 * SIGKILLed; we time, per stream, from the kill until a survivor has claimed
 * it. Run with 0 and with many unrelated keys holding a TTL, and with keyspace
 * notifications on and off, so the sweeper's part shows.
 *
 * The kill comes right after one of the victim's beats, the worst moment: its
 * locks then have a whole TTL to run, so the time from the kill is the TTL
 * plus the library's own part, with no slack from an earlier beat.
 */
import { addStream, lockKey } from "../mod.ts";
import { ConsumerProcess } from "../tests/fixture/consumer_process.ts";
import { RedisServer, uniqueName } from "../tests/fixture/redis_server.ts";
import { waitUntil } from "../tests/fixture/wait.ts";
import type { RedisClient } from "../src/redis/client.ts";
import { summarize, type Summary } from "./stats.ts";

export interface TakeoverCase {
  readonly streams: number;
  readonly ttlKeys: number;
  readonly notifications: boolean;
  readonly heartbeatMs: number;
  /** Consumer processes left to take over (1 unless said). */
  readonly survivors?: number;
}

export interface TakeoverResult extends TakeoverCase {
  /** Milliseconds from SIGKILL to the survivor's first successful claim, per stream. */
  readonly delay: Summary;
  /** Milliseconds from the moment the dead owner's locks expired to each first claim. */
  readonly afterExpiry: Summary;
  /** Streams claimed within the wait (all of them, unless the run did not finish). */
  readonly claimed: number;
  /** The goal: heartbeat TTL + 250 ms at p99. */
  readonly goalMs: number;
}

export async function measureTakeover(c: TakeoverCase): Promise<TakeoverResult> {
  const server = await RedisServer.start({ notifyKeyspaceEvents: c.notifications ? "Ex" : "" });
  try {
    const redis = await server.connect();
    if (c.ttlKeys > 0) {
      await redis.eval(
        "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'noise:' .. i, 'x', 'EX', 3600) end",
        { arguments: [String(c.ttlKeys)] },
      );
    }
    const service = uniqueName("bench");
    const env = (id: string) => ({
      REDIS_URL: server.url,
      SERVICE: service,
      CONSUMER_ID: id,
      HEARTBEAT_MS: String(c.heartbeatMs),
      AUTO_CLAIM: "1",
      KEYSPACE_CONFIG: c.notifications ? "merge" : "skip",
    });
    const victim = new ConsumerProcess(env("victim"), "node");
    await victim.ready(60_000);
    let sampleLock = "";
    let lastLock = "";
    for (let i = 0; i < c.streams; i += 500) {
      const batch = Array.from(
        { length: Math.min(500, c.streams - i) },
        (_, j) => addStream(redis, service, { dataStreamName: `s-${i + j}`, info: {} }),
      );
      const ids = await Promise.all(batch);
      if (i === 0) sampleLock = lockKey("s-0", ids[0]!);
      lastLock = lockKey(`s-${i + ids.length - 1}`, ids.at(-1)!);
    }
    await waitUntil(() => victim.acquired().length === c.streams, {
      timeoutMs: 120_000,
      message: `${c.streams} assignments`,
    });
    const survivors = Array.from(
      { length: c.survivors ?? 1 },
      // Only their claims are timed: printing every StreamExpired would cost them more than that.
      (_, i) => new ConsumerProcess({ ...env(`survivor-${i}`), PRINT_EXPIRED: "0" }, "node"),
    );
    await Promise.all(survivors.map((survivor) => survivor.ready(60_000)));
    // Each survivor learns of the others on its next beat.
    await new Promise((resolve) => setTimeout(resolve, c.heartbeatMs));
    await nextBeat(redis, [sampleLock, lastLock]);
    const killedAt = Date.now();
    await victim.kill();
    // Once the victim is gone nothing extends its locks: they expire when the last one the beat
    // extended does. The delay after that is this library's part of the takeover.
    const expiresAt = Date.now() + Math.max(0, await redis.pTTL(lastLock));
    // A stream can be claimed more than once (lost again under load, then re-claimed):
    // what counts is when each was first owned again.
    const firstClaim = new Map<string, number>();
    const seen = survivors.map(() => 0);
    const claimedAll = () => {
      survivors.forEach((survivor, s) => {
        for (; seen[s]! < survivor.events.length; seen[s]!++) {
          const e = survivor.events[seen[s]!]!;
          const id = e.payload?.idInLbs;
          if (e.event !== "claimed" || !id) continue;
          const at = e.at! - killedAt;
          const known = firstClaim.get(id);
          if (known === undefined || at < known) firstClaim.set(id, at);
        }
      });
      return firstClaim.size === c.streams;
    };
    await waitUntil(claimedAll, { timeoutMs: 120_000, intervalMs: 5 }).catch(() => {
      // Reported as a run that did not finish, with how many streams were claimed.
    });
    await Promise.all(survivors.map((survivor) => survivor.kill()));
    redis.destroy();
    const delays = [...firstClaim.values()];
    return {
      ...c,
      delay: summarize(delays),
      afterExpiry: summarize(delays.map((d) => d - (expiresAt - killedAt))),
      claimed: firstClaim.size,
      goalMs: c.heartbeatMs + 250,
    };
  } finally {
    await server.stop();
  }
}

/**
 * Resolves just after the owner's next beat has extended the given locks (their TTLs jump
 * back up). With thousands of locks a beat takes several script calls: pass the first and
 * the last stream's locks to wait for the whole of it.
 */
async function nextBeat(redis: RedisClient, locks: readonly string[]): Promise<void> {
  const last = await Promise.all(locks.map((lock) => redis.pTTL(lock)));
  const extended = locks.map(() => false);
  await waitUntil(async () => {
    const ttls = await Promise.all(locks.map((lock) => redis.pTTL(lock)));
    ttls.forEach((ttl, i) => {
      if (ttl > last[i]!) extended[i] = true;
      last[i] = ttl;
    });
    return extended.every(Boolean);
  }, { timeoutMs: 30_000, intervalMs: 2, message: "a beat of the victim" });
}
