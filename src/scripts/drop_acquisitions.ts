/**
 * Cleans up after acquisitions that came to nothing (a failed claim) and
 * after streams whose LBS entry turned out gone: what the library wrote for a
 * stream must not outlive its entry.
 */
import { fenceKey } from "../keys.ts";
import type { RedisClient } from "../redis/client.ts";
import { inChunks } from "../redis/in_chunks.ts";
import { LuaScript } from "../redis/lua_script.ts";

/**
 * KEYS[1] the LBS stream, KEYS[2] the client's set of held lock keys, then
 * per stream: its lock key and its fence counter
 * ARGV per stream: its LBS id and the lock value this client took ("" when
 * it took none)
 * Returns one DROP_CODE sum per stream. The lock goes if it is the given
 * acquisition's; the index forgets it. The fence goes only when no one holds
 * the lock and the entry is no longer in the LBS: then no one can acquire the
 * entry again (XCLAIM and XAUTOCLAIM drop ids of deleted entries from the
 * PEL), so fences stay strictly growing for as long as the entry exists.
 * An id Redis rejects names no entry at all.
 *
 * On Redis Cluster the LBS, the index and each lock are in different slots:
 * there a stream's lock and fence would be dropped by a script on its slot,
 * after the entry was found gone by a read in the LBS's slot (once gone, an
 * entry never comes back, so the read may come first).
 */
export const dropAcquisitionsScript = new LuaScript(`
local lbs, heldSet = KEYS[1], KEYS[2]
local out = {}
for i = 1, #ARGV / 2 do
  local lockKey, fenceKey = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local id, lockValue = ARGV[2 * i - 1], ARGV[2 * i]
  local code = 0
  local holder = redis.call('GET', lockKey)
  if holder and holder == lockValue then
    redis.call('DEL', lockKey)
    holder = false
    code = 1
  end
  redis.call('SREM', heldSet, lockKey)
  if not holder then
    local found = redis.pcall('XRANGE', lbs, id, id)
    if found.err or #found == 0 then
      redis.call('DEL', fenceKey)
      code = code + 2
    end
  end
  out[i] = code
end
return out
`);

/** What dropAcquisitionsScript did for a stream: the codes add up. */
export const DROP_CODE = { lockReleased: 1, fenceDeleted: 2 } as const;

/** A stream to clean up after. */
export interface DroppedStream {
  readonly lockKey: string;
  readonly idInLbs: string;
  /** The value this client's acquisition wrote, if it took the lock. */
  readonly lockValue?: string;
}

/** Streams per call: bounds how long one call keeps Redis busy. */
const DROP_CHUNK = 500;

/**
 * Releases the given acquisitions' locks, unindexes them, and deletes the
 * fences of streams whose entry is gone. @returns one DROP_CODE sum per stream.
 */
export function dropAcquisitions(
  redis: RedisClient,
  where: { readonly lbsStream: string; readonly heldSetKey: string },
  streams: readonly DroppedStream[],
): Promise<number[]> {
  if (streams.length === 0) return Promise.resolve([]);
  return inChunks(streams, DROP_CHUNK, async (chunk) => {
    const reply = await dropAcquisitionsScript.run(
      redis,
      [
        where.lbsStream,
        where.heldSetKey,
        ...chunk.flatMap((s) => [s.lockKey, fenceKey(s.lockKey)]),
      ],
      chunk.flatMap((s) => [s.idInLbs, s.lockValue ?? ""]),
    );
    return (reply as number[]).map(Number);
  });
}
