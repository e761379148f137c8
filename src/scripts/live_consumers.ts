import { LuaScript } from "../redis/lua_script.ts";

/**
 * How many clients of a service are alive now: those whose deadline in the
 * consumer index has not passed, by the server's clock.
 *
 * KEYS[1] the service's consumer index (sorted set: client → deadline in ms)
 * Returns the count.
 */
export const liveConsumers = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`);
