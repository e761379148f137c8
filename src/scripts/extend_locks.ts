import { LuaScript } from "../redis/lua_script.ts";

/**
 * Extends many locks of one client in one call: the heartbeat's whole cost
 * for up to a chunk of owned streams. It is redlock's compare-and-PEXPIRE
 * applied to a batch; the compare is on the client's lock-value prefix
 * (`<consumerId>~<instance>.`), which every acquisition of this client shares
 * and no other client (nor a restarted pod of the same name) has.
 *
 * KEYS  lock keys (on Redis Cluster, of one hash slot: the caller groups them)
 * ARGV[1] the client's lock-value prefix, ARGV[2] TTL in ms
 * Returns one code per key: 1 extended, 0 gone, -1 held by another client.
 */
export const extendLocks = new LuaScript(`
local prefix, ttl = ARGV[1], ARGV[2]
local n = #prefix
local codes = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if not value then
    codes[i] = 0
  elseif string.sub(value, 1, n) == prefix then
    redis.call('PEXPIRE', key, ttl)
    codes[i] = 1
  else
    codes[i] = -1
  end
end
return codes
`);

/** What extendLocks says of each key. */
export const EXTEND_CODE = { extended: 1, gone: 0, foreign: -1 } as const;
