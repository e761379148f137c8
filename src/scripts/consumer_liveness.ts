import { LuaScript } from "../redis/lua_script.ts";

/**
 * Records that a client is alive until now + TTL, by the server's clock (so
 * clients on hosts with skewed clocks agree on who is overdue), and reads
 * who else is alive, so a takeover can be split among them.
 *
 * KEYS[1] the service's consumer index (sorted set: client → deadline in ms)
 * ARGV[1] the client (its lock-value prefix), ARGV[2] TTL in ms, ARGV[3] how
 * many live clients to read at most
 * Returns { server time in ms, client, deadline, client, deadline, ... }.
 */
export const markAlive = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
table.insert(live, 1, now)
return live
`);

/** Live clients a beat reads at most: a takeover is split among these. */
export const LIVE_READ_LIMIT = 256;

/** The live clients a markAlive reply names, with its server time. */
export function liveClientsOf(reply: unknown): {
  serverNow: number;
  clients: Array<{ name: string; deadline: number }>;
} {
  const flat = reply as Array<string | number>;
  const clients = [];
  for (let i = 1; i + 1 < flat.length; i += 2) {
    clients.push({ name: String(flat[i]), deadline: Number(flat[i + 1]) });
  }
  return { serverNow: Number(flat[0]), clients };
}

/**
 * The clients whose deadline has passed, and the next deadline to come, by the
 * server's clock: the sweeper wakes at that moment rather than on its next
 * round, so a dead client's locks are inspected as soon as they run out.
 *
 * KEYS[1] the consumer index; ARGV[1] how many at most
 * Returns { now, next deadline (-1 when none), client, client, ... }.
 */
export const overdueConsumers = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local next = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
table.insert(due, 1, next[2] and math.floor(tonumber(next[2])) or -1)
table.insert(due, 1, now)
return due
`);

/**
 * Holds a short lease (the sweeper's election): taken when free, renewed when
 * this holder has it already, so the elected sweeper can wake early for a
 * deadline without losing its lease to its own previous term.
 *
 * KEYS[1] the lease key; ARGV[1] the holder, ARGV[2] the lease in ms
 * Returns 0 when this holder has the lease now, else the ms until the
 * current holder's lease runs out (at most the lease), so the others try
 * again right then.
 */
export const holdLease = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 0
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then return tonumber(ARGV[2]) end -- set without a TTL by someone else: no busy loop
return math.max(1, left)
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

/**
 * Gives up a lease (the sweeper's, the reconciler's) if this holder has it, so
 * a client that stops leaves no key of its own behind, and a peer takes the
 * role at once rather than when the lease runs out.
 *
 * KEYS[1] the lease key; ARGV[1] the holder
 * Returns 1 when given up.
 */
export const releaseLease = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);
