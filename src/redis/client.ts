/** The node-redis client types the library accepts and uses. */
import type { RedisClientType } from "redis";

/** Any connected node-redis client: whatever modules, scripts, RESP version or type mapping. */
// deno-lint-ignore no-explicit-any
export type AnyRedisClient = RedisClientType<any, any, any, any, any>;

/** The view the library works through: plain commands with string replies (RESP3). */
// deno-lint-ignore ban-types
export type RedisClient = RedisClientType<{}, {}, {}, 3, {}>;

/** Narrows a caller's client to the library's view. @throws {TypeError} if it is not one. */
export function asRedisClient(client: AnyRedisClient): RedisClient {
  if (typeof (client as { duplicate?: unknown })?.duplicate !== "function") {
    throw new TypeError("redis must be a connected node-redis client");
  }
  return client as unknown as RedisClient;
}

/** The database number a client is connected to (for the keyevent channel). */
export function databaseOf(client: RedisClient): number {
  const options = (client as unknown as { options?: { database?: number } }).options;
  return options?.database ?? 0;
}
