/**
 * The LBS consumer group, created by whichever side comes first: a producer's
 * addStream() or a consumer's start-up.
 */
import type { RedisClient } from "./redis/client.ts";

/**
 * Creates `group` on `stream` at `0` (MKSTREAM); BUSYGROUP (it exists) is fine.
 * `0`, not Go's `$`: an LBS is a work queue, so entries added before the group
 * existed must be delivered, not skipped.
 * @returns whether this call created the group.
 */
export async function createLbsGroup(
  redis: RedisClient,
  stream: string,
  group: string,
): Promise<boolean> {
  try {
    await redis.xGroupCreate(stream, group, "0", { MKSTREAM: true });
    return true;
  } catch (error) {
    if (String((error as Error)?.message).includes("BUSYGROUP")) return false;
    throw error;
  }
}
