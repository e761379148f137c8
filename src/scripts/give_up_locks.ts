import { LuaScript } from "../redis/lua_script.ts";

/**
 * Gives up locks whose LBS entries stay pending, so a peer takes them over.
 * A DEL would be heard by nobody but this library's own peers (on its orphan
 * channel): Go peers listen for `expired` keyspace events on lock keys. So a
 * lock still held by the given acquisition gets a 1 ms TTL instead; touching
 * it once that has passed (see StreamLocks.giveUp) makes Redis expire it and
 * publish the event at once.
 *
 * KEYS  lock keys (on Redis Cluster, of one hash slot)
 * ARGV  the lock value of each key's acquisition, in the same order
 * Returns one code per key: 1 given up, 0 no longer that acquisition's.
 */
export const giveUpLocks = new LuaScript(`
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then
    redis.call('PEXPIRE', key, 1)
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`);
