/**
 * Per-stream locks: acquisition and release through redlock-universal's
 * single-instance lock (SET NX PX, compare-and-delete), a fencing token drawn
 * right after each acquisition, and the heartbeat's batched extension.
 *
 * Acquisitions asked for within one turn of the event loop (a takeover, an
 * LBS read) go to Redis together: first as one all-or-nothing batch through
 * the lock library, which is the whole story when nobody competes; if another
 * consumer holds one of the locks, each lock is then tried on its own. Their
 * fencing tokens are drawn together too.
 *
 * Lock values are `<consumerId>~<instance>.<seq>`: unique to one acquisition
 * (fenced writes compare the whole value), while the prefix up to the dot
 * names this client instance, so one script can extend all of its locks and a
 * restarted pod that reuses its consumer id can neither extend nor release its
 * predecessor's locks. Each client also keeps the set of lock keys it holds,
 * which the sweeper reads if the client dies.
 */
import { NodeRedisAdapter } from "redlock-universal";
import { CONSUMER_PREFIX } from "../consumer_id.ts";
import { consumerLocksKey, fenceKey, lockKey } from "../keys.ts";
import type { RedisClient } from "../redis/client.ts";
import { inChunks } from "../redis/in_chunks.ts";
import { runPerKey } from "../redis/lua_script.ts";
import { EXTEND_CODE, extendLocks } from "../scripts/extend_locks.ts";
import { giveUpLocks } from "../scripts/give_up_locks.ts";
import { inspectLocks } from "../scripts/inspect_locks.ts";
import { issueFences } from "../scripts/issue_fences.ts";
import { TickBatch } from "../tick_batch.ts";

/** The outcome of trying to take a lock: ours (still to confirm), or who holds it. */
export type TakeOutcome = { taken: Omit<HeldLock, "fence"> } | { heldBy: string | null };

interface TakeRequest {
  readonly key: string;
  readonly ttlMs: number;
}

/** A lock this consumer holds. */
export interface HeldLock {
  readonly lockKey: string;
  readonly lockValue: string;
  readonly fence: number;
}

/** Result of one extension: still ours, gone (TTL passed) or someone else's. */
export type ExtendOutcome = "held" | "expired" | "taken";

const HOLDER_SEPARATOR = "~";

/** Locks per extension (or inspection) call: bounds how long one call keeps Redis busy (about a millisecond). */
export const EXTEND_CHUNK = 1000;

/**
 * After a give-up, how long to wait before reading the locks (their TTL is
 * 1 ms: a key expires once Redis's clock is past it), and how many reads at most.
 */
const GIVE_UP_WAIT_MS = 3;
const GIVE_UP_READS = 3;

/** Locks per batched acquisition or fencing call, for the same reason. */
const BATCH_CHUNK = 500;

/**
 * The consumer id a lock value names: the part before `~` in this library's
 * values, or the whole value of redis-stream-client-go's, which is the
 * consumer id itself (always prefixed `redis-consumer-`). Undefined otherwise.
 */
export function holderOf(lockValue: string | null | undefined): string | undefined {
  if (!lockValue) return undefined;
  const at = lockValue.lastIndexOf(HOLDER_SEPARATOR);
  if (at > 0) return lockValue.slice(0, at);
  return lockValue.startsWith(CONSUMER_PREFIX) ? lockValue : undefined;
}

/** The lock-value prefix of a client instance: `<consumerId>~<instance>.` */
export function instancePrefix(consumerId: string, instance: string): string {
  return `${consumerId}${HOLDER_SEPARATOR}${instance}.`;
}

export class StreamLocks {
  /** This client's lock-value prefix; also its name in the consumer index. */
  readonly prefix: string;
  /** The set of lock keys this client holds. */
  readonly heldSetKey: string;
  readonly #redis: RedisClient;
  readonly #adapter: NodeRedisAdapter;
  readonly #takes = new TickBatch((requests: readonly TakeRequest[]) => this.#takeAll(requests));
  readonly #confirms = new TickBatch((locks: readonly Omit<HeldLock, "fence">[]) =>
    this.#confirmAll(locks)
  );
  readonly #giveUps = new TickBatch((locks: readonly Pick<HeldLock, "lockKey" | "lockValue">[]) =>
    this.#giveUpAll(locks)
  );
  #sequence = 0;

  /**
   * `timeoutMs` bounds the lock library's own calls. It is a safety net: callers put their own
   * deadlines over whole operations, and a call given up on may still have been applied.
   */
  constructor(redis: RedisClient, service: string, consumerId: string, timeoutMs = 5000) {
    this.#redis = redis;
    // deno-lint-ignore no-explicit-any
    this.#adapter = new NodeRedisAdapter(redis as any, { timeout: timeoutMs });
    this.prefix = instancePrefix(consumerId, randomHex(6));
    this.heldSetKey = consumerLocksKey(service, this.prefix);
  }

  /** Tries to take a stream's lock; returns the holder's value when someone has it. */
  async acquire(
    dataStreamName: string,
    idInLbs: string,
    ttlMs: number,
  ): Promise<{ held: HeldLock } | { heldBy: string | null }> {
    const taken = await this.take(dataStreamName, idInLbs, ttlMs);
    if (!("taken" in taken)) return taken;
    const fence = await this.confirm(taken.taken);
    return fence > 0
      ? { held: { ...taken.taken, fence } }
      : { heldBy: await this.#redis.get(taken.taken.lockKey) };
  }

  /**
   * The first step of an acquisition: SET NX PX through the lock library.
   * `confirm` must follow; callers that have more to do run it alongside.
   */
  take(dataStreamName: string, idInLbs: string, ttlMs: number): Promise<TakeOutcome> {
    return this.#takes.add({ key: lockKey(dataStreamName, idInLbs), ttlMs });
  }

  /**
   * The second step: draws the fencing token (only while the lock is still this
   * acquisition's, so tokens grow in acquisition order) and indexes the lock at
   * once, so a client that dies before its first heartbeat is found too.
   * @returns the token, or 0 when the lock was lost in between.
   */
  confirm(lock: Omit<HeldLock, "fence">): Promise<number> {
    return this.#confirms.add(lock);
  }

  /** One outcome per request; a lock that could not be tried fails alone. */
  async #takeAll(
    requests: readonly TakeRequest[],
  ): Promise<Array<TakeOutcome | Promise<TakeOutcome>>> {
    const values = requests.map(() => this.prefix + (++this.#sequence).toString(36));
    const ttlMs = requests[0]!.ttlMs;
    const keys = requests.map((r) => r.key);
    // A key asked for twice at once is left to the one-by-one path: one of the two must lose.
    const together = requests.length > 1 && requests.every((r) => r.ttlMs === ttlMs) &&
      new Set(keys).size === keys.length;
    if (together) {
      const locks = keys.map((lockKey, i) => ({ lockKey, lockValue: values[i]! }));
      // Each chunk is all or nothing: every lock of it set, or none. A chunk that went
      // unanswered counts as not set; trying its locks one by one then tells whether it was.
      const set = await inChunks(locks, BATCH_CHUNK, (chunk) =>
        this.#adapter.batchSetNX(
          chunk.map((lock) => lock.lockKey),
          chunk.map((lock) => lock.lockValue),
          ttlMs,
        ).then(
          (outcome) => chunk.map(() => outcome.success),
          () => chunk.map(() => false),
        ));
      // Where some lock was held (or a chunk went unanswered), the chunk's locks are tried one
      // by one.
      return locks.map((lock, i) =>
        set[i] ? { taken: lock } : this.#takeOne(lock.lockKey, lock.lockValue, ttlMs)
      );
    }
    return requests.map((r, i) => this.#takeOne(keys[i]!, values[i]!, r.ttlMs));
  }

  async #takeOne(key: string, value: string, ttlMs: number): Promise<TakeOutcome> {
    let set: string | null;
    try {
      set = await this.#adapter.setNX(key, value, ttlMs);
    } catch (error) {
      // A call that timed out or lost its connection may still have set the lock: Redis says.
      const holder = await this.#redis.get(key).catch(() => undefined);
      if (holder === value) return { taken: { lockKey: key, lockValue: value } };
      if (holder === null || holder === undefined) throw error;
      return { heldBy: holder };
    }
    if (set === "OK") return { taken: { lockKey: key, lockValue: value } };
    const holder = await this.#redis.get(key);
    // Set by an earlier call that went unanswered (a batch given up on): ours all the same.
    if (holder === value) return { taken: { lockKey: key, lockValue: value } };
    return { heldBy: holder };
  }

  async #confirmAll(locks: readonly Omit<HeldLock, "fence">[]): Promise<number[]> {
    const keys = locks.map((lock) => lock.lockKey);
    const [fences] = await Promise.all([
      inChunks(locks, BATCH_CHUNK, async (chunk) => {
        const reply = await issueFences.run(
          this.#redis,
          chunk.flatMap((lock) => [lock.lockKey, fenceKey(lock.lockKey)]),
          chunk.map((lock) => lock.lockValue),
        );
        return (reply as number[]).map(Number);
      }),
      this.#redis.sAdd(this.heldSetKey, keys),
    ]);
    const lost = keys.filter((_, i) => fences[i] === 0);
    if (lost.length > 0) await this.#redis.sRem(this.heldSetKey, lost);
    return fences;
  }

  /** Extends one lock if this very acquisition still holds it; tells why not otherwise. */
  async extend(
    lock: Pick<HeldLock, "lockKey" | "lockValue">,
    ttlMs: number,
  ): Promise<ExtendOutcome> {
    if (await this.#adapter.extendIfMatch(lock.lockKey, lock.lockValue, ttlMs)) return "held";
    const current = await this.#redis.get(lock.lockKey);
    return current === null ? "expired" : "taken";
  }

  /**
   * Extends every given lock this client holds: one script per chunk of
   * EXTEND_CHUNK keys, all issued in one tick so they travel as one pipeline.
   * Those not yet sent when `signal` aborts are not sent.
   * @returns one outcome per key, in order.
   */
  async extendAll(
    keys: readonly string[],
    ttlMs: number,
    signal?: AbortSignal,
  ): Promise<ExtendOutcome[]> {
    const codes = await runPerKey(
      extendLocks,
      this.#via(signal),
      keys,
      [this.prefix, ttlMs],
      EXTEND_CHUNK,
    );
    return codes.map((code) =>
      code === EXTEND_CODE.extended ? "held" : code === EXTEND_CODE.gone ? "expired" : "taken"
    );
  }

  /**
   * The state of each given lock, one script per chunk of EXTEND_CHUNK keys:
   * INSPECT_CODE.gone, INSPECT_CODE.foreign (held by other than `holder`, a
   * client's lock-value prefix: this client's unless said), or the TTL left.
   * Reading an expired lock makes Redis expire it and announce it at once.
   */
  inspectAll(
    keys: readonly string[],
    holder = this.prefix,
    signal?: AbortSignal,
  ): Promise<number[]> {
    return runPerKey(inspectLocks, this.#via(signal), keys, [holder], EXTEND_CHUNK);
  }

  /** The connection as a unit of work with `signal` uses it (see cancellableRuntime). */
  #via(signal: AbortSignal | undefined): RedisClient {
    return signal ? this.#redis.withAbortSignal(signal) as RedisClient : this.#redis;
  }

  /** Deletes a lock if it is still this acquisition's, and unindexes it. */
  async release(lock: Pick<HeldLock, "lockKey" | "lockValue">): Promise<boolean> {
    const [released] = await Promise.all([
      this.#adapter.delIfMatch(lock.lockKey, lock.lockValue),
      this.#redis.sRem(this.heldSetKey, lock.lockKey),
    ]);
    return released;
  }

  /**
   * Gives up a lock whose LBS entry stays pending (done(), a hand-back, a lock
   * settled after an outage), so that every peer hears of it: it expires it
   * rather than delete it, which makes Redis publish the `expired` keyspace
   * event that Go peers listen for (a DEL publishes none). Give-ups of one
   * tick go together. Resolves once the lock is gone and the event published.
   * @returns whether the lock was still this acquisition's.
   */
  giveUp(lock: Pick<HeldLock, "lockKey" | "lockValue">): Promise<boolean> {
    return this.#giveUps.add(lock);
  }

  async #giveUpAll(locks: readonly Pick<HeldLock, "lockKey" | "lockValue">[]): Promise<boolean[]> {
    const keys = locks.map((lock) => lock.lockKey);
    const [codes] = await Promise.all([
      inChunks(locks, EXTEND_CHUNK, async (chunk) => {
        const reply = await giveUpLocks.run(
          this.#redis,
          chunk.map((lock) => lock.lockKey),
          chunk.map((lock) => lock.lockValue),
        );
        return (reply as number[]).map(Number);
      }),
      this.#redis.sRem(this.heldSetKey, keys),
    ]);
    let expiring = keys.filter((_, i) => codes[i] === 1);
    // Redis expires a key once its time has passed, and announces it when it notices: on access,
    // or when its sampling finds it, which takes seconds once many keys carry a TTL. So each lock
    // is read once its 1 ms has passed (reading an expired key expires it and publishes the
    // event); one that is not past it yet is read again.
    for (let attempt = 0; expiring.length > 0 && attempt < GIVE_UP_READS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, GIVE_UP_WAIT_MS));
      const states = await this.inspectAll(expiring);
      expiring = expiring.filter((_, i) => states[i]! >= 0);
    }
    return codes.map((code) => code === 1);
  }

  /** Unindexes locks this client no longer holds (lost, or released elsewhere). */
  async forget(keys: readonly string[], signal?: AbortSignal): Promise<void> {
    if (keys.length > 0) await this.#via(signal).sRem(this.heldSetKey, [...keys]);
  }
}

function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
}
