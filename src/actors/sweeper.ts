/**
 * Makes takeover a guarantee rather than a hope. Redis announces an expired
 * key only when it notices it (on access, or by random sampling that slows
 * down as more keys carry a TTL), and pub/sub loses what nobody hears. So one
 * consumer at a time, elected by a short lock, does two things:
 *
 * - every sweep interval: reads the lease index for locks whose deadline has
 *   passed and touches each (PTTL). Touching an expired key makes Redis expire
 *   it and publish the event at once; the sweeper also announces it on the
 *   library's orphan channel, which needs no CONFIG.
 * - every reconcile interval: walks the LBS pending list and announces each
 *   entry that has no live lock (a lost event, every consumer restarted, a
 *   lock written by a peer that keeps no lease index).
 *
 * Cost: one SET NX per consumer per sweep interval; for the elected sweeper one
 * ZRANGEBYSCORE plus one PTTL per due lock; reconciliation reads the PEL in
 * pages and checks each pending entry's lock once per reconcile interval.
 */
import { fromPromise, type PromiseActorLogic } from "xstate";
import { lockKey, orphanChannel, reconcileLockKey, sweepLockKey } from "../keys.ts";
import type { ClientRuntime } from "../runtime.ts";
import { withDeadline } from "./deadline.ts";
import { readLbsEntry } from "./read_lbs_entry.ts";

const DUE_PAGE = 1000;
const PENDING_PAGE = 1000;

export interface SweepReport {
  readonly elected: boolean;
  /** Locks found gone and announced. */
  readonly orphans: number;
  readonly reconciled: boolean;
}

export async function sweep(runtime: ClientRuntime): Promise<SweepReport> {
  const { redis, options } = runtime;
  const elected = await redis.set(sweepLockKey(runtime.service), runtime.consumerId, {
    NX: true,
    PX: options.sweepIntervalMs,
  });
  if (elected !== "OK") return { elected: false, orphans: 0, reconciled: false };
  let orphans = await sweepDueLeases(runtime);
  const reconcile = await redis.set(reconcileLockKey(runtime.service), runtime.consumerId, {
    NX: true,
    PX: options.reconcileIntervalMs,
  });
  if (reconcile === "OK") orphans += await reconcilePending(runtime);
  return { elected: true, orphans, reconciled: reconcile === "OK" };
}

async function sweepDueLeases(runtime: ClientRuntime): Promise<number> {
  const { redis } = runtime;
  const now = Date.now();
  const due = await redis.zRangeByScore(runtime.leaseIndex, "-inf", now, {
    LIMIT: { offset: 0, count: DUE_PAGE },
  });
  const ttls = await Promise.all(due.map((key) => redis.pTTL(key)));
  let orphans = 0;
  await Promise.all(due.map((key, i) => {
    const ttl = Number(ttls[i]);
    if (ttl === -2) {
      orphans += 1;
      return Promise.all([
        redis.zRem(runtime.leaseIndex, key),
        redis.publish(orphanChannel(runtime.service), key),
      ]);
    }
    // Alive: a heartbeat is late or a peer keeps no lease index. Look again when it is due.
    const next = now + (ttl > 0 ? ttl : runtime.options.heartbeatMs);
    return redis.zAdd(runtime.leaseIndex, { score: next, value: key });
  }));
  return orphans;
}

/** Stream names of LBS ids, so reconciliation reads each entry once. */
const namesById = new Map<string, string | null>();
const NAME_CACHE_LIMIT = 100_000;

async function reconcilePending(runtime: ClientRuntime): Promise<number> {
  const { redis, options } = runtime;
  let orphans = 0;
  let start = "-";
  for (;;) {
    const page = await redis.xPendingRange(
      runtime.lbsStream,
      runtime.lbsGroup,
      start,
      "+",
      PENDING_PAGE,
      { IDLE: options.heartbeatMs },
    );
    if (page.length === 0) break;
    const names = await Promise.all(page.map((entry) => streamNameOf(runtime, entry.id)));
    const locks = page.map((entry, i) => names[i] ? lockKey(names[i] as string, entry.id) : null);
    const exists = await Promise.all(locks.map((key) => (key ? redis.exists(key) : 1)));
    for (const [i, key] of locks.entries()) {
      if (key && Number(exists[i]) === 0) {
        orphans += 1;
        await redis.publish(orphanChannel(runtime.service), key);
      }
    }
    if (page.length < PENDING_PAGE) break;
    start = `(${page[page.length - 1]!.id}`;
  }
  return orphans;
}

async function streamNameOf(runtime: ClientRuntime, id: string): Promise<string | null> {
  const cacheKey = `${runtime.lbsStream}\u0000${id}`;
  const cached = namesById.get(cacheKey);
  if (cached !== undefined) return cached;
  const assignment = await readLbsEntry(runtime, id);
  if (assignment === "missing") return null; // not cached: the entry may not be visible yet
  const name = assignment === "malformed" ? null : assignment.dataStreamName;
  if (namesById.size >= NAME_CACHE_LIMIT) namesById.clear();
  namesById.set(cacheKey, name);
  return name;
}

/** A sweep that outlives its reconcile interval is abandoned; the next one starts over. */
export const sweeperActor: PromiseActorLogic<SweepReport, ClientRuntime> = fromPromise((
  { input },
) => withDeadline(sweep(input), Math.max(1000, input.options.reconcileIntervalMs), "sweep"));
