import { LuaScript } from "../redis/lua_script.ts";

/**
 * Tells which locks of a (possibly dead) client are gone, for the sweeper.
 * Reading an expired key makes Redis expire it and publish its expired event
 * at once, which is the point: the announcement no longer waits for Redis's
 * sampling to find the key.
 *
 * KEYS  lock keys (on Redis Cluster, of one hash slot)
 * ARGV[1] the client's lock-value prefix
 * Returns one number per key: -2 gone, -3 held by another client, else the
 * remaining TTL in ms (-1 when the key has none).
 */
export const inspectLocks = new LuaScript(`
local prefix = ARGV[1]
local n = #prefix
local out = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if not value then
    out[i] = -2
  elseif string.sub(value, 1, n) ~= prefix then
    out[i] = -3
  else
    out[i] = redis.call('PTTL', key)
  end
end
return out
`);

export const INSPECT_CODE = { gone: -2, foreign: -3 } as const;
