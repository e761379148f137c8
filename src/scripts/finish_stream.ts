/**
 * doneStream's one step: finishes an owned stream only while this very
 * acquisition still owns it. Checking the lock and then acking in separate
 * commands lets an owner that pauses between the two ack the entry its
 * successor is working on; inside one script nothing runs in between.
 */
import { OwnershipLostError } from "../errors.ts";
import { fenceKey } from "../keys.ts";
import type { RedisClient } from "../redis/client.ts";
import { LuaScript } from "../redis/lua_script.ts";

/**
 * KEYS[1] lock key, KEYS[2] its fence counter, KEYS[3] the LBS stream,
 * KEYS[4] the finishing client's set of held lock keys
 * ARGV[1] the acquisition's lock value, ARGV[2] its fence, ARGV[3] the LBS
 * group, ARGV[4] the entry's id, ARGV[5] the client's lock-value prefix
 * Returns a FINISH_CODE. When finished: the entry is acked and deleted, and
 * the lock, its fence and the index entry are gone (the fence may go: no one
 * can acquire an entry that is no longer in the LBS). When not: nothing
 * changes but the index, which forgets a lock no acquisition of this client holds.
 *
 * On Redis Cluster the keys span three slots (the lock's, the LBS's, the
 * service's), which one script cannot touch. There the ack must be fenced in
 * the LBS's own slot: for example the owner's lock value and fence recorded per
 * entry in a hash tagged like the LBS, checked and cleared by the script that
 * acks, with the lock and fence deleted afterwards in their slot.
 */
export const finishStreamScript = new LuaScript(`
local lockKey, fenceKey, lbs, heldSet = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local lockValue, fence, group, id, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local holder = redis.call('GET', lockKey)
if holder ~= lockValue then
  if not holder or string.sub(holder, 1, #prefix) ~= prefix then
    redis.call('SREM', heldSet, lockKey)
  end
  if not holder then return 0 end
  return -1
end
if tonumber(redis.call('GET', fenceKey) or '0') ~= tonumber(fence) then return -2 end
redis.call('XACK', lbs, group, id)
redis.call('XDEL', lbs, id)
redis.call('DEL', lockKey, fenceKey)
redis.call('SREM', heldSet, lockKey)
return 1
`);

/** What finishStreamScript answers. */
export const FINISH_CODE = { finished: 1, lockGone: 0, lockTaken: -1, fenceMoved: -2 } as const;

/** The acquisition to finish, and where its entry and index entry live. */
export interface FinishRequest {
  readonly dataStreamName: string;
  readonly idInLbs: string;
  readonly lockKey: string;
  readonly lockValue: string;
  readonly fence: number;
  readonly lbsStream: string;
  readonly lbsGroup: string;
  /** The client's set of held lock keys. */
  readonly heldSetKey: string;
  /** The client's lock-value prefix: its other acquisitions stay indexed. */
  readonly clientPrefix: string;
}

/**
 * Acks and deletes the stream's LBS entry and deletes its lock, fence and
 * index entry, all at once, if the acquisition still owns the stream.
 * @throws {OwnershipLostError} when the lock is gone or another acquisition
 *   holds it (or the fence moved on): the entry is left to the current owner.
 */
export async function finishStream(redis: RedisClient, request: FinishRequest): Promise<void> {
  const code = Number(
    await finishStreamScript.run(
      redis,
      [request.lockKey, fenceKey(request.lockKey), request.lbsStream, request.heldSetKey],
      [request.lockValue, request.fence, request.lbsGroup, request.idInLbs, request.clientPrefix],
    ),
  );
  if (code === FINISH_CODE.finished) return;
  const why = code === FINISH_CODE.lockGone
    ? "its lock is gone"
    : code === FINISH_CODE.lockTaken
    ? "another acquisition holds its lock"
    : "its fence moved on";
  throw new OwnershipLostError(request.dataStreamName, request.fence, { cause: new Error(why) });
}
