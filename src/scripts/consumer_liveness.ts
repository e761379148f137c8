import { LuaScript } from "../redis/lua_script.ts";

/**
 * Records that a client is alive until now + TTL, by the server's clock (so
 * clients on hosts with skewed clocks agree on who is overdue).
 *
 * KEYS[1] the service's consumer index (sorted set: client → deadline in ms)
 * ARGV[1] the client (its lock-value prefix), ARGV[2] TTL in ms
 * Returns the server's time in ms.
 */
export const markAlive = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return now
`);

/**
 * The clients whose deadline has passed, by the server's clock.
 *
 * KEYS[1] the consumer index; ARGV[1] how many at most
 * Returns { now, client, client, ... }.
 */
export const overdueConsumers = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
table.insert(due, 1, now)
return due
`);

/**
 * Forgets a client once it holds nothing and is still overdue: a client that
 * beat or took a stream meanwhile stays indexed.
 *
 * KEYS[1] the consumer index, KEYS[2] the client's lock set (same hash slot)
 * ARGV[1] the client, ARGV[2] the sweeper's notion of now (server ms)
 * Returns 1 when forgotten.
 */
export const forgetConsumer = new LuaScript(`
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`);

/**
 * Takes a stopping client out of the index. If it still holds locks (a
 * release failed), it is marked overdue instead, so the sweeper inspects
 * them at once rather than leaving them to expire unannounced.
 *
 * KEYS[1] the consumer index, KEYS[2] the client's lock set (same hash slot)
 * ARGV[1] the client
 * Returns 1 when removed, 0 when left for the sweeper.
 */
export const leaveConsumerIndex = new LuaScript(`
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000, ARGV[1])
return 0
`);
