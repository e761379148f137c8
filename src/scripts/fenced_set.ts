import { LuaScript } from "../redis/lua_script.ts";

/**
 * Writes a value only while the writer still owns the stream.
 *
 * KEYS[1] lock key, KEYS[2] fence counter, KEYS[3] target key
 * ARGV[1] the writer's lock value, ARGV[2] its fence, ARGV[3] the value
 * Returns 1 when written; 0 when the lock is gone or another acquisition
 * holds it (a stale owner that wakes up is refused).
 */
export const fencedSet = new LuaScript(`
local lockKey, fenceKey, targetKey = KEYS[1], KEYS[2], KEYS[3]
local lockValue, fence, value = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', lockKey) ~= lockValue then return 0 end
if tonumber(redis.call('GET', fenceKey) or '0') ~= tonumber(fence) then return 0 end
redis.call('SET', targetKey, value)
return 1
`);
