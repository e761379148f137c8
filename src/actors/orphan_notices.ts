/**
 * Announcements of orphaned streams on the service's orphan channel: the
 * library's own news that a stream's lock is gone while its LBS entry is still
 * pending, which works with keyspace events off (managed Redis) and is heard
 * by every live consumer.
 *
 * Many streams go in one message (a JSON array of notices, each with the
 * producer's Info), so a dead consumer's thousands of streams cost a few
 * messages and no listener has to look each entry up again.
 */
import { lockKey, orphanChannel, parseLockKey } from "../keys.ts";
import type { LbsInfo } from "../notifications.ts";
import type { RedisClient } from "../redis/client.ts";
import type { ClientRuntime } from "../runtime.ts";
import { dropAcquisitions, type DroppedStream } from "../scripts/drop_acquisitions.ts";
import { readLbsEntries } from "./read_lbs_entries.ts";

/** One orphaned stream: which it is, and the Info its LBS entry carries. */
export interface OrphanNotice extends LbsInfo {
  readonly info: Readonly<Record<string, unknown>>;
  /**
   * Given up by a live owner (released, handed back), not found expired:
   * always news, where an expiry may be heard twice (from Redis and a sweeper).
   */
  readonly released?: boolean;
}

/** Bytes per published message, so no message grows without bound. */
const MESSAGE_BYTES = 64 * 1024;

/** Splits notices into JSON-array messages of at most about MESSAGE_BYTES each. */
export function encodeOrphanNotices(notices: readonly OrphanNotice[]): string[] {
  const messages: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const notice of notices) {
    const part = JSON.stringify({
      s: notice.dataStreamName,
      id: notice.idInLbs,
      info: notice.info,
      ...(notice.released ? { r: 1 } : {}),
    });
    if (parts.length > 0 && size + part.length + 1 > MESSAGE_BYTES) {
      messages.push(`[${parts.join(",")}]`);
      parts = [];
      size = 2;
    }
    parts.push(part);
    size += part.length + 1;
  }
  if (parts.length > 0) messages.push(`[${parts.join(",")}]`);
  return messages;
}

/**
 * Reads a message of the orphan channel. Items that are not notices are left
 * out; a message that is not a JSON array gives none.
 */
export function decodeOrphanNotices(message: string): OrphanNotice[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const notices: OrphanNotice[] = [];
  for (const item of parsed) {
    const { s, id, info, r } = (item ?? {}) as Record<string, unknown>;
    if (typeof s !== "string" || typeof id !== "string" || s === "" || id === "") continue;
    const plain = typeof info === "object" && info !== null && !Array.isArray(info);
    notices.push({
      dataStreamName: s,
      idInLbs: id,
      info: plain ? info as Record<string, unknown> : {},
      ...(r === 1 ? { released: true } : {}),
    });
  }
  return notices;
}

/**
 * Publishes notices on a service's orphan channel. Notices announced within
 * one tick go out together, so releasing thousands of streams at once (done())
 * costs a few messages rather than one per stream.
 */
export class OrphanAnnouncer {
  readonly #redis: RedisClient;
  readonly #channel: string;
  #pending: OrphanNotice[] = [];
  #flush: Promise<void> | undefined;

  constructor(redis: RedisClient, service: string) {
    this.#redis = redis;
    this.#channel = orphanChannel(service);
  }

  /** Resolves once what was announced so far is published (or failed). */
  idle(): Promise<void> {
    return this.#flush?.catch(() => {}) ?? Promise.resolve();
  }

  /** Resolves once the notices are published. */
  announce(notices: readonly OrphanNotice[]): Promise<void> {
    if (notices.length === 0) return Promise.resolve();
    this.#pending.push(...notices);
    this.#flush ??= new Promise((resolve) => setTimeout(resolve, 0)).then(() => {
      const batch = this.#pending;
      this.#pending = [];
      this.#flush = undefined;
      return Promise.all(
        encodeOrphanNotices(batch).map((message) => this.#redis.publish(this.#channel, message)),
      ).then(() => {});
    });
    return this.#flush;
  }
}

/** Publishes notices on the service's orphan channel. */
export function announceOrphans(
  runtime: ClientRuntime,
  notices: readonly OrphanNotice[],
): Promise<void> {
  return runtime.orphans.announce(notices);
}

/**
 * The notices for lock keys found gone: each key's LBS entry is read for its
 * Info, and keys whose entry is no longer in the LBS (the stream was finished)
 * or names another stream are left out.
 */
export async function noticesForLockKeys(
  runtime: ClientRuntime,
  keys: readonly string[],
): Promise<OrphanNotice[]> {
  const parsed = keys.map(parseLockKey).filter((p) => p !== undefined);
  const entries = await readLbsEntries(runtime, parsed.map((p) => p.idInLbs));
  const notices: OrphanNotice[] = [];
  const gone: DroppedStream[] = [];
  parsed.forEach((p, i) => {
    const entry = entries[i]!;
    if (entry === "missing") gone.push({ lockKey: lockKey(p.dataStreamName, p.idInLbs), ...p });
    if (typeof entry === "string" || entry.dataStreamName !== p.dataStreamName) return;
    notices.push({ ...p, info: entry.info });
  });
  if (gone.length > 0) await dropGoneStreams(runtime, gone);
  return notices;
}

/**
 * A lock gone whose entry is gone too (finished by a Go peer, deleted by
 * hand): its fence is deleted unless someone holds the lock again.
 */
async function dropGoneStreams(runtime: ClientRuntime, gone: DroppedStream[]): Promise<void> {
  for (const { idInLbs } of gone) runtime.streamNames.forget(idInLbs);
  const where = { lbsStream: runtime.lbsStream, heldSetKey: runtime.locks.heldSetKey };
  await dropAcquisitions(runtime.redis, where, gone).catch((error) =>
    runtime.options.logger.warn("could not delete the fences of finished streams", {
      streams: gone.length,
      error: String(error),
    })
  );
}

/** The lock key a notice is about. */
export function noticeLockKey(notice: LbsInfo): string {
  return lockKey(notice.dataStreamName, notice.idInLbs);
}
