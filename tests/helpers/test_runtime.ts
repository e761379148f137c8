/** A client's runtime without a client around it, for tests of the pieces it serves. */
import { NotificationQueue } from "../../src/notification_queue.ts";
import { silentLogger } from "../../src/observability.ts";
import { resolveOptions, type StreamClientOptions } from "../../src/options.ts";
import type { RedisClient } from "../../src/redis/client.ts";
import { type ClientRuntime, createRuntime } from "../../src/runtime.ts";

export function testRuntime(
  redis: RedisClient,
  service: string,
  options: StreamClientOptions = {},
  consumerId = "c",
): ClientRuntime {
  const resolved = resolveOptions({ logger: silentLogger, ...options });
  return createRuntime(redis, service, consumerId, resolved, new NotificationQueue(10));
}
