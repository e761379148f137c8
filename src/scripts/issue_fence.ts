import { LuaScript } from "../redis/lua_script.ts";

/**
 * Issues the fencing token of a fresh acquisition.
 *
 * KEYS[1] lock key, KEYS[2] fence counter (same hash slot)
 * ARGV[1] the lock value this acquisition wrote
 * Returns the new token (>= 1), or 0 when the lock is no longer ours: only
 * a holder can draw a token, so tokens grow in the order of acquisitions.
 */
export const issueFence = new LuaScript(`
local lockKey, fenceKey = KEYS[1], KEYS[2]
local lockValue = ARGV[1]
if redis.call('GET', lockKey) ~= lockValue then return 0 end
return redis.call('INCR', fenceKey)
`);
