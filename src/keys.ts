/**
 * Every Redis key and channel name the library uses, in one place.
 *
 * The LBS names and the lock key format match redis-stream-client-go so both
 * clients can serve one service. Keys derived from a lock share its hash slot,
 * so a script that touches a lock and its fence stays valid on Redis Cluster.
 */

/**
 * Separator between the data stream name and the LBS id in a lock key: the
 * literal string redis-stream-client-go uses (configs.MutexKeySep), so a Go and
 * a TypeScript consumer of one service lock the same key for the same stream.
 */
export const LOCK_KEY_SEPARATOR = "<MUTEX_KEY_SEP>";

/** The field of an LBS entry that holds the JSON assignment. */
export const LBS_FIELD = "lbs-input";

/** The load-balancer stream of a service. */
export function lbsStreamKey(service: string): string {
  return `${service}-input`;
}

/** The consumer group every consumer of a service reads the LBS through. */
export function lbsGroupName(service: string): string {
  return `${service}-group`;
}

/** Where LBS entries that cannot be assigned are kept, with the reason. */
export function lbsDeadLetterKey(service: string): string {
  return `${service}-input-dead`;
}

/** The lock key of a stream: `<dataStreamName><MUTEX_KEY_SEP><idInLbs>`. */
export function lockKey(dataStreamName: string, idInLbs: string): string {
  return `${dataStreamName}${LOCK_KEY_SEPARATOR}${idInLbs}`;
}

const STREAM_ID = /^\d+-\d+$/;

/** Whether a string is a complete stream entry id, `<ms>-<seq>`. */
export function isStreamId(id: string): boolean {
  return STREAM_ID.test(id);
}

/** Splits a lock key back into its stream and LBS id; undefined when it is not one. */
export function parseLockKey(key: string): { dataStreamName: string; idInLbs: string } | undefined {
  const at = key.lastIndexOf(LOCK_KEY_SEPARATOR);
  if (at <= 0) return undefined;
  const idInLbs = key.slice(at + LOCK_KEY_SEPARATOR.length);
  if (!STREAM_ID.test(idInLbs)) return undefined;
  return { dataStreamName: key.slice(0, at), idInLbs };
}

/**
 * The fencing counter beside a lock. It hashes to the lock's slot: through the
 * lock's own hash tag when it has one, else by making the whole lock key the tag.
 */
export function fenceKey(lock: string): string {
  return hasHashTag(lock) ? `${lock}:fence` : `{${lock}}:fence`;
}

function hasHashTag(key: string): boolean {
  const open = key.indexOf("{");
  if (open < 0) return false;
  const close = key.indexOf("}", open + 1);
  return close > open + 1;
}

/**
 * Sorted set of the service's live clients (by lock-value prefix) and the
 * server time (ms) by which each must beat again: the sweeper's index of who
 * may have died. Tagged with the service so it shares a slot with the lock sets.
 */
export function consumerIndexKey(service: string): string {
  return `{${service}}-consumers`;
}

/** Set of the lock keys one client (by lock-value prefix) holds. */
export function consumerLocksKey(service: string, client: string): string {
  return `{${service}}-locks:${client}`;
}

/** Short lock that elects the one consumer that sweeps in a given interval. */
export function sweepLockKey(service: string): string {
  return `${service}-sweeper`;
}

/** Short lock that elects the one consumer that reconciles the LBS pending list. */
export function reconcileLockKey(service: string): string {
  return `${service}-reconciler`;
}

/** The capped stream of a service's state feed: its consumers' stream-actor transitions. */
export function stateFeedKey(service: string): string {
  return `${service}-state-feed`;
}

/** Channel on which the library itself announces orphaned streams (works without CONFIG). */
export function orphanChannel(service: string): string {
  return `${service}-orphans`;
}

/** Redis's expired-key event channel for one database (Go listens on db 0 only). */
export function expiredEventChannel(database: number): string {
  return `__keyevent@${database}__:expired`;
}
