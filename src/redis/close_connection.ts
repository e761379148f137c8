/** Closing a connection the library opened, even while it is still connecting. */
import type { RedisClient } from "./client.ts";

/**
 * Destroys `client` now and again once `connecting` (its connect()) settles:
 * node-redis's destroy() during the TCP connect finds no socket to close, and
 * connect() then goes on to open one that would stay connected for good.
 */
export function closeConnection(client: RedisClient, connecting?: Promise<unknown>): void {
  client.destroy();
  void connecting?.then(() => client.destroy(), () => {});
}
