/**
 * Who owns each data stream of a service: the LBS entries joined with their
 * locks, fences and pending-list state. Read with plain read commands (XRANGE,
 * XPENDING, GET, PTTL) so a read-only operator can run it.
 */
import { libraryCall } from "../errors.ts";
import { fenceKey, lbsGroupName, lbsStreamKey, lockKey } from "../keys.ts";
import { holderOf } from "../lock/stream_locks.ts";
import { type AnyRedisClient, asRedisClient, type RedisClient } from "../redis/client.ts";
import { inChunks } from "../redis/in_chunks.ts";
import { ADMIN_PAGE, allPending, dataStreamOf, noGroup } from "./lbs_pending.ts";

/**
 * Where a data stream stands: `owned` (a live lock), `orphaned` (delivered,
 * no live lock: waiting for a takeover) or `unassigned` (not delivered yet).
 */
export type OwnershipState = "owned" | "orphaned" | "unassigned";

/** One data stream of a service's LBS and its owner. */
export interface StreamOwner {
  readonly dataStream: string;
  readonly idInLbs: string;
  readonly state: OwnershipState;
  /** The consumer id named by the lock's value; null without a live lock. */
  readonly owner: string | null;
  /** The latest fencing token drawn for this stream; null when none was. */
  readonly fence: number | null;
  /** The lock's TTL left in ms; null without a live lock. */
  readonly lockTtlMs: number | null;
  /** The consumer whose LBS pending list holds the entry; null when undelivered. */
  readonly pendingConsumer: string | null;
  /** Since the entry was last delivered or claimed; null when undelivered. */
  readonly idleMs: number | null;
  readonly deliveries: number | null;
}

/**
 * Every data stream in the service's LBS with its owner, fence, lock TTL left
 * and idle time. Malformed entries are left out (see the LBS dead letters).
 *
 * @example
 * ```ts
 * for (const s of await streamOwners(redis, "orders")) console.log(s.dataStream, s.owner);
 * ```
 */
export function streamOwners(redis: AnyRedisClient, service: string): Promise<StreamOwner[]> {
  return libraryCall(`reading the stream owners of service "${service}"`, async () => {
    const client = asRedisClient(redis);
    const lbs = lbsStreamKey(service);
    const [entries, pending] = await Promise.all([
      allEntries(client, lbs),
      allPending(client, lbs, lbsGroupName(service)).catch(noGroup),
    ]);
    const pendingById = new Map(pending.map((p) => [p.id, p]));
    const streams = entries.flatMap(({ id, fields }) => {
      const name = dataStreamOf(fields);
      return name === null ? [] : [{ dataStream: name, idInLbs: id }];
    });
    const locks = await readLocks(client, streams.map((s) => lockKey(s.dataStream, s.idInLbs)));
    return streams.map((stream, i) => {
      const lock = locks[i]!;
      const p = pendingById.get(stream.idInLbs);
      const owner = lock.value === null ? null : holderOf(lock.value) ?? lock.value;
      return {
        ...stream,
        state: owner !== null ? "owned" : p ? "orphaned" : "unassigned",
        owner,
        fence: lock.fence,
        lockTtlMs: owner === null ? null : lock.ttlMs,
        pendingConsumer: p?.consumer ?? null,
        idleMs: p?.idleMs ?? null,
        deliveries: p?.deliveries ?? null,
      };
    });
  });
}

async function allEntries(
  redis: RedisClient,
  stream: string,
): Promise<Array<{ id: string; fields: Record<string, string> }>> {
  const out = [];
  let start = "-";
  for (;;) {
    const page = (await redis.xRange(stream, start, "+", { COUNT: ADMIN_PAGE })) ?? [];
    for (const entry of page) if (entry) out.push({ id: entry.id, fields: entry.message });
    if (page.length < ADMIN_PAGE) return out;
    start = `(${page.at(-1)!.id}`;
  }
}

interface LockState {
  readonly value: string | null;
  readonly ttlMs: number | null;
  readonly fence: number | null;
}

/** GET and PTTL of each lock and GET of its fence, a pipeline per thousand locks. */
function readLocks(redis: RedisClient, keys: readonly string[]): Promise<LockState[]> {
  return inChunks(keys, ADMIN_PAGE, async (chunk) => {
    const pipeline = redis.multi();
    for (const key of chunk) pipeline.get(key).pTTL(key).get(fenceKey(key));
    const replies = await pipeline.execAsPipeline() as unknown[];
    return chunk.map((_, i) => {
      const [value, ttl, fence] = replies.slice(3 * i, 3 * i + 3);
      return {
        value: value === null || value === undefined ? null : String(value),
        ttlMs: Number(ttl) >= 0 ? Number(ttl) : null,
        fence: fence === null || fence === undefined ? null : Number(fence),
      };
    });
  });
}
