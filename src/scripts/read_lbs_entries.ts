import { LuaScript } from "../redis/lua_script.ts";

/**
 * Reads many LBS entries by id in one call: a takeover looks up thousands of
 * entries at once, and one command per entry costs more on the client than
 * the reads cost Redis.
 *
 * KEYS[1] the LBS stream; ARGV the entry ids
 * Returns, per id, the entry's flat field/value list (empty when it is gone,
 * or when the id is not one Redis accepts: one bad id must not fail the rest).
 */
export const readLbsEntries = new LuaScript(`
local out = {}
for i, id in ipairs(ARGV) do
  local found = redis.pcall('XRANGE', KEYS[1], id, id)
  out[i] = (found[1] and found[1][2]) or {}
end
return out
`);
