/** The consumer index of a service: each live client and the deadline of its next beat. */
import { libraryCall } from "../errors.ts";
import { consumerIndexKey, consumerLocksKey } from "../keys.ts";
import { holderOf } from "../lock/stream_locks.ts";
import { type AnyRedisClient, asRedisClient } from "../redis/client.ts";

/** One client in the consumer index. */
export interface IndexedConsumer {
  /** The client's name in the index: its lock-value prefix `<consumerId>~<instance>.`. */
  readonly client: string;
  /** The consumer id it runs as. */
  readonly consumer: string;
  /** By when it must beat again, server time in ms since the epoch. */
  readonly deadline: number;
  /** Deadline minus the server's now: negative once overdue. */
  readonly msLeft: number;
  /** Its deadline has passed: crashed or stalled, for the sweeper to inspect. */
  readonly overdue: boolean;
  /** How many locks its held-lock set names. */
  readonly locks: number;
}

/**
 * The clients in the service's consumer index, soonest deadline first, by the
 * server's clock (ZRANGE, TIME, SCARD: read commands only).
 *
 * @example
 * ```ts
 * const overdue = (await consumerIndex(redis, "orders")).filter((c) => c.overdue);
 * ```
 */
export function consumerIndex(
  redis: AnyRedisClient,
  service: string,
): Promise<IndexedConsumer[]> {
  return libraryCall(`reading the consumer index of service "${service}"`, async () => {
    const client = asRedisClient(redis);
    const [time, members] = await Promise.all([
      client.time(),
      client.zRangeWithScores(consumerIndexKey(service), 0, -1),
    ]);
    const now = serverMs(time);
    const pipeline = client.multi();
    for (const m of members) pipeline.sCard(consumerLocksKey(service, m.value));
    const counts = members.length > 0 ? await pipeline.execAsPipeline() : [];
    return members.map((m, i) => ({
      client: m.value,
      consumer: holderOf(m.value) ?? m.value,
      deadline: m.score,
      msLeft: m.score - now,
      overdue: m.score <= now,
      locks: Number(counts[i] ?? 0),
    }));
  });
}

function serverMs(time: unknown): number {
  if (time instanceof Date) return time.getTime();
  const [seconds, micros] = time as [string | number, string | number];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
