import { LuaScript } from "../redis/lua_script.ts";

/**
 * Issues the fencing tokens of fresh acquisitions, many in one call.
 *
 * KEYS pairs: lock key, its fence counter (same hash slot), for each lock
 * ARGV the lock value each acquisition wrote, in the same order
 * Returns one number per lock: the new token (>= 1), or 0 when the lock is no
 * longer that acquisition's. Only a holder can draw a token, so tokens grow in
 * the order of acquisitions.
 */
export const issueFences = new LuaScript(`
local out = {}
for i, lockValue in ipairs(ARGV) do
  if redis.call('GET', KEYS[2 * i - 1]) == lockValue then
    out[i] = redis.call('INCR', KEYS[2 * i])
  else
    out[i] = 0
  end
end
return out
`);
