/**
 * Per-stream locks: a thin adapter over redlock-universal's single-instance
 * lock (SET NX PX, compare-and-extend, compare-and-delete), plus a fencing
 * token drawn right after each acquisition.
 *
 * Lock values are `<consumerId>~<random>`: unique to one acquisition, so a
 * restarted pod that reuses its name can neither extend nor release its
 * predecessor's locks, yet a peer can still tell who holds a stream.
 */
import { NodeRedisAdapter } from "redlock-universal";
import { fenceKey, lockKey } from "../keys.ts";
import type { RedisClient } from "../redis/client.ts";
import { issueFence } from "../scripts/issue_fence.ts";

/** A lock this consumer holds. */
export interface HeldLock {
  readonly lockKey: string;
  readonly lockValue: string;
  readonly fence: number;
}

/** Result of one extension: still ours, gone (TTL passed) or someone else's. */
export type ExtendOutcome = "held" | "expired" | "taken";

const HOLDER_SEPARATOR = "~";

/** The consumer id inside a lock value written by this library (undefined for others). */
export function holderOf(lockValue: string | null | undefined): string | undefined {
  if (!lockValue) return undefined;
  const at = lockValue.lastIndexOf(HOLDER_SEPARATOR);
  return at > 0 ? lockValue.slice(0, at) : undefined;
}

export class StreamLocks {
  readonly #redis: RedisClient;
  readonly #adapter: NodeRedisAdapter;
  readonly #consumerId: string;

  readonly #leaseIndex: string;

  /**
   * `leaseIndex` is the sorted set of lock deadlines the sweeper reads; every
   * acquisition is recorded there at once, so a consumer that dies before its
   * first heartbeat is found too. `timeoutMs` bounds the lock library's own
   * calls; the heartbeat puts one deadline over each beat.
   */
  constructor(redis: RedisClient, consumerId: string, leaseIndex: string, timeoutMs = 5000) {
    this.#leaseIndex = leaseIndex;
    this.#redis = redis;
    // deno-lint-ignore no-explicit-any
    this.#adapter = new NodeRedisAdapter(redis as any, { timeout: timeoutMs });
    this.#consumerId = consumerId;
  }

  /** Tries to take a stream's lock; returns the holder's value when someone has it. */
  async acquire(
    dataStreamName: string,
    idInLbs: string,
    ttlMs: number,
  ): Promise<{ held: HeldLock } | { heldBy: string | null }> {
    const key = lockKey(dataStreamName, idInLbs);
    const value = `${this.#consumerId}${HOLDER_SEPARATOR}${crypto.randomUUID()}`;
    const set = await this.#adapter.setNX(key, value, ttlMs);
    if (set !== "OK") return { heldBy: await this.#redis.get(key) };
    const [fence] = await Promise.all([
      issueFence.run(this.#redis, [key, fenceKey(key)], [value]).then(Number),
      this.#redis.zAdd(this.#leaseIndex, { score: Date.now() + ttlMs, value: key }),
    ]);
    if (fence === 0) return { heldBy: await this.#redis.get(key) };
    return { held: { lockKey: key, lockValue: value, fence } };
  }

  /** Extends a lock if it is still ours; tells why not otherwise. */
  async extend(
    lock: Pick<HeldLock, "lockKey" | "lockValue">,
    ttlMs: number,
  ): Promise<ExtendOutcome> {
    if (await this.#adapter.extendIfMatch(lock.lockKey, lock.lockValue, ttlMs)) return "held";
    const current = await this.#redis.get(lock.lockKey);
    return current === null ? "expired" : "taken";
  }

  /** Deletes a lock if it is still ours. */
  async release(lock: Pick<HeldLock, "lockKey" | "lockValue">): Promise<boolean> {
    return await this.#adapter.delIfMatch(lock.lockKey, lock.lockValue);
  }
}
