/**
 * Scenario 1: takeover after a crash. One consumer process owning K streams is
 * SIGKILLed; we time, per stream, from the kill until a survivor has claimed
 * it. Run with 0 and with many unrelated keys holding a TTL, and with keyspace
 * notifications on and off, so the sweeper's part shows.
 */
import { addStream, lockKey } from "../mod.ts";
import { ConsumerProcess } from "../tests/fixture/consumer_process.ts";
import { RedisServer, uniqueName } from "../tests/fixture/redis_server.ts";
import { waitUntil } from "../tests/fixture/wait.ts";
import { summarize, type Summary } from "./stats.ts";

export interface TakeoverCase {
  readonly streams: number;
  readonly ttlKeys: number;
  readonly notifications: boolean;
  readonly heartbeatMs: number;
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
    for (let i = 0; i < c.streams; i += 500) {
      const batch = Array.from(
        { length: Math.min(500, c.streams - i) },
        (_, j) => addStream(redis, service, { dataStreamName: `s-${i + j}`, info: {} }),
      );
      const ids = await Promise.all(batch);
      if (i === 0) sampleLock = lockKey("s-0", ids[0]!);
    }
    await waitUntil(() => victim.acquired().length === c.streams, {
      timeoutMs: 120_000,
      message: `${c.streams} assignments`,
    });
    const survivor = new ConsumerProcess(env("survivor"), "node");
    await survivor.ready(60_000);
    const killedAt = Date.now();
    await victim.kill();
    // Once the victim is gone nothing extends its locks: they expire when this one does (one
    // beat extended them all). The delay after that is this library's part of the takeover.
    const expiresAt = Date.now() + Math.max(0, await redis.pTTL(sampleLock));
    // A stream can be claimed more than once (lost again under load, then re-claimed):
    // what counts is when each was first owned again.
    const firstClaim = new Map<string, number>();
    let seen = 0;
    const claimedAll = () => {
      for (; seen < survivor.events.length; seen++) {
        const e = survivor.events[seen]!;
        const id = e.payload?.idInLbs;
        if (e.event === "claimed" && id && !firstClaim.has(id)) {
          firstClaim.set(id, e.at! - killedAt);
        }
      }
      return firstClaim.size === c.streams;
    };
    await waitUntil(claimedAll, { timeoutMs: 120_000, intervalMs: 5 }).catch(() => {
      // Reported as a run that did not finish, with how many streams were claimed.
    });
    await survivor.kill();
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
