/**
 * The LBS pending list of a service, read with plain read commands (XPENDING,
 * XRANGE), so an operator with read-only rights can look.
 */
import { libraryCall } from "../errors.ts";
import { decodeLbsEntry } from "../lbs_entry.ts";
import { lbsGroupName, lbsStreamKey } from "../keys.ts";
import { type AnyRedisClient, asRedisClient, type RedisClient } from "../redis/client.ts";
import { inChunks } from "../redis/in_chunks.ts";

/** One LBS entry delivered to a consumer and not yet acked. */
export interface LbsPendingEntry {
  readonly idInLbs: string;
  /** The data stream it assigns; null when the entry is gone or cannot be decoded. */
  readonly dataStream: string | null;
  /** The consumer whose pending list holds it. */
  readonly consumer: string;
  /** Since it was last delivered (or claimed). */
  readonly idleMs: number;
  readonly deliveries: number;
}

/** Entries per XPENDING page and per pipeline of reads. */
export const ADMIN_PAGE = 1000;

/** Raw pending entries of a group, every page (XPENDING extended form), at most `limit`. */
export async function allPending(
  redis: RedisClient,
  stream: string,
  group: string,
  limit = Infinity,
): Promise<Array<{ id: string; consumer: string; idleMs: number; deliveries: number }>> {
  const out = [];
  let start = "-";
  while (out.length < limit) {
    const count = Math.min(ADMIN_PAGE, limit - out.length);
    const page = await redis.xPendingRange(stream, group, start, "+", count);
    for (const p of page) {
      out.push({
        id: p.id,
        consumer: p.consumer,
        idleMs: p.millisecondsSinceLastDelivery,
        deliveries: p.deliveriesCounter,
      });
    }
    if (page.length < count) break;
    start = `(${page.at(-1)!.id}`;
  }
  return out;
}

/** A service whose group does not exist yet has nothing pending. */
export function noGroup(error: unknown): never[] {
  if (String((error as Error)?.message).includes("NOGROUP")) return [];
  throw error;
}

/** The data stream each LBS entry assigns (null when gone or malformed), in id order. */
export async function dataStreamsOf(
  redis: RedisClient,
  service: string,
  ids: readonly string[],
): Promise<Array<string | null>> {
  const lbs = lbsStreamKey(service);
  return await inChunks(ids, ADMIN_PAGE, async (chunk) => {
    const pipeline = redis.multi();
    for (const id of chunk) pipeline.xRange(lbs, id, id);
    const replies = await pipeline.execAsPipeline();
    return replies.map((reply) => {
      const entry = (reply as unknown as Array<{ message: Record<string, string> } | null>)?.[0];
      return entry ? dataStreamOf(entry.message) : null;
    });
  });
}

/** The data stream an LBS entry's fields name, or null when they cannot be decoded. */
export function dataStreamOf(fields: Readonly<Record<string, string>>): string | null {
  try {
    return decodeLbsEntry(fields, Infinity).dataStreamName;
  } catch {
    return null;
  }
}

/**
 * The service's LBS pending entries, with the data stream each assigns, the
 * consumer holding it, its idle time and delivery count.
 *
 * @example
 * ```ts
 * for (const p of await lbsPending(redis, "orders")) console.log(p.dataStream, p.idleMs);
 * ```
 * @param options.count at most this many entries (@default all)
 */
export function lbsPending(
  redis: AnyRedisClient,
  service: string,
  { count = Infinity }: { count?: number } = {},
): Promise<LbsPendingEntry[]> {
  return libraryCall(`reading the LBS pending entries of service "${service}"`, async () => {
    const client = asRedisClient(redis);
    const pending = await allPending(client, lbsStreamKey(service), lbsGroupName(service), count)
      .catch(noGroup);
    const names = await dataStreamsOf(client, service, pending.map((p) => p.id));
    return pending.map((p, i) => ({
      idInLbs: p.id,
      dataStream: names[i] ?? null,
      consumer: p.consumer,
      idleMs: p.idleMs,
      deliveries: p.deliveries,
    }));
  });
}
