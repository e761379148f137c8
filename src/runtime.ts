/**
 * Everything the client's actors share: connections, names, options and the
 * notification queue. Built once by the client; the machines only pass it on.
 */
import { consumerIndexKey, lbsDeadLetterKey, lbsGroupName, lbsStreamKey } from "./keys.ts";
import { LbsIdleRefresh } from "./actors/lbs_idle_refresh.ts";
import { OrphanAnnouncer } from "./actors/orphan_notices.ts";
import { InFlight } from "./in_flight.ts";
import { StreamLocks } from "./lock/stream_locks.ts";
import { ClaimShares } from "./claim_shares.ts";
import { TakeoverClock } from "./takeover_clock.ts";
import type { Notification } from "./notifications.ts";
import { StreamNameCache } from "./stream_name_cache.ts";
import type { NotificationQueue } from "./notification_queue.ts";
import type { ResolvedOptions } from "./options.ts";
import { databaseOf, type RedisClient } from "./redis/client.ts";

export interface ClientRuntime {
  readonly service: string;
  readonly consumerId: string;
  /**
   * The caller's client, short commands only, without node-redis's per-command
   * timeout: that costs an AbortSignal.timeout per command (measured: about 20 µs,
   * two thirds of a command's client-side cost), and every unit of the library's
   * work (a beat, a sweep, a read and its assignments, a claim) has a deadline of its own.
   */
  readonly redis: RedisClient;
  /** The database whose keyevent channel carries this client's lock expiries. */
  readonly database: number;
  readonly lbsStream: string;
  readonly lbsGroup: string;
  readonly lbsDeadLetters: string;
  /** Sorted set of the service's live clients and their deadlines (the sweeper's index). */
  readonly consumerIndex: string;
  readonly locks: StreamLocks;
  /** Which orphaned streams this client is the first to be told of. */
  readonly claimShares: ClaimShares;
  /** Which held LBS entries each heartbeat refreshes the idle time of. */
  readonly lbsIdleRefresh: LbsIdleRefresh;
  /** Publishes orphan announcements, batching those of one tick. */
  readonly orphans: OrphanAnnouncer;
  /** When each orphan was announced; only when the metrics recorder takes takeover delays. */
  readonly takeoverClock: TakeoverClock | undefined;
  /** Stream names of LBS ids, for reconciliation. */
  readonly streamNames: StreamNameCache;
  readonly options: ResolvedOptions;
  readonly queue: NotificationQueue<Notification>;
  /** Work started and not awaited by anyone (hand-backs, announcements): done() waits for it. */
  readonly inFlight: InFlight;
  /** Set in a unit's view (see cancellableRuntime): aborts when the unit is abandoned. */
  readonly signal?: AbortSignal;
}

/**
 * The runtime as one unit of work sees it: its commands carry `signal`, so
 * those not yet sent when the unit is abandoned (deadline passed, actor
 * stopped) are dropped by node-redis instead of going out late.
 */
export function cancellableRuntime(runtime: ClientRuntime, signal: AbortSignal): ClientRuntime {
  return { ...runtime, redis: runtime.redis.withAbortSignal(signal) as RedisClient, signal };
}

export function createRuntime(
  client: RedisClient,
  service: string,
  consumerId: string,
  options: ResolvedOptions,
  queue: NotificationQueue<Notification>,
): ClientRuntime {
  const redis = client.withCommandOptions({ timeout: 0 }) as unknown as RedisClient;
  // Above every deadline the library sets (a claim's is max(5 s, 2 TTL)): the lock library's
  // own timer must not give up on a call the operation around it still waits for.
  const locks = new StreamLocks(
    redis,
    service,
    consumerId,
    Math.max(10_000, 4 * options.heartbeatMs),
  );
  return {
    service,
    consumerId,
    redis,
    database: databaseOf(redis),
    lbsStream: lbsStreamKey(service),
    lbsGroup: lbsGroupName(service),
    lbsDeadLetters: lbsDeadLetterKey(service),
    consumerIndex: consumerIndexKey(service),
    locks,
    claimShares: new ClaimShares(locks.prefix),
    lbsIdleRefresh: new LbsIdleRefresh(options.lbsIdleMs, options.heartbeatMs),
    orphans: new OrphanAnnouncer(redis, service),
    takeoverClock: options.metrics.recordTakeover ? new TakeoverClock() : undefined,
    streamNames: new StreamNameCache(),
    options,
    queue,
    inFlight: new InFlight(),
  };
}
