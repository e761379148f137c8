/**
 * Everything the client's actors share: connections, names, options and the
 * notification queue. Built once by the client; the machines only pass it on.
 */
import { lbsDeadLetterKey, lbsGroupName, lbsStreamKey, leaseIndexKey } from "./keys.ts";
import { StreamLocks } from "./lock/stream_locks.ts";
import type { Notification } from "./notifications.ts";
import type { NotificationQueue } from "./notification_queue.ts";
import type { ResolvedOptions } from "./options.ts";
import { databaseOf, type RedisClient } from "./redis/client.ts";

export interface ClientRuntime {
  readonly service: string;
  readonly consumerId: string;
  /** The caller's client: short commands only. */
  readonly redis: RedisClient;
  /** The database whose keyevent channel carries this client's lock expiries. */
  readonly database: number;
  readonly lbsStream: string;
  readonly lbsGroup: string;
  readonly lbsDeadLetters: string;
  readonly leaseIndex: string;
  readonly locks: StreamLocks;
  readonly options: ResolvedOptions;
  readonly queue: NotificationQueue<Notification>;
}

export function createRuntime(
  redis: RedisClient,
  service: string,
  consumerId: string,
  options: ResolvedOptions,
  queue: NotificationQueue<Notification>,
): ClientRuntime {
  return {
    service,
    consumerId,
    redis,
    database: databaseOf(redis),
    lbsStream: lbsStreamKey(service),
    lbsGroup: lbsGroupName(service),
    lbsDeadLetters: lbsDeadLetterKey(service),
    leaseIndex: leaseIndexKey(service),
    locks: new StreamLocks(
      redis,
      consumerId,
      leaseIndexKey(service),
      Math.max(50, Math.floor(options.heartbeatMs / 2)),
    ),
    options,
    queue,
  };
}
