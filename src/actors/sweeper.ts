/**
 * Makes takeover a guarantee rather than a hope. Redis announces an expired
 * key only when it notices it (on access, or by random sampling that slows
 * down as more keys carry a TTL), and pub/sub loses what nobody hears. So one
 * consumer at a time, elected by a short lock, does two things:
 *
 * - every sweep interval: asks the consumer index which clients are overdue
 *   (no beat for a whole TTL: crashed or stalled) and inspects the locks each
 *   one holds. Reading an expired lock makes Redis expire it and publish its
 *   event at once; the sweeper also announces the orphans on the service's
 *   orphan channel, which needs no CONFIG. A client whose locks are all gone
 *   is forgotten; one with live locks (late, or it took one after its last
 *   beat) is looked at again when the first of them is due.
 * - every reconcile interval: walks the LBS pending list and announces each
 *   entry that has no live lock (a lost announcement, every consumer
 *   restarted, a lock of a Go peer that keeps no index).
 *
 * Cost while nobody dies: one SET NX per consumer per sweep interval, and one
 * script call for the elected sweeper. Reconciliation reads the PEL in pages
 * and checks each pending entry's lock once per reconcile interval.
 */
import { fromPromise, type PromiseActorLogic } from "xstate";
import { consumerLocksKey, lockKey, reconcileLockKey, sweepLockKey } from "../keys.ts";
import { EXTEND_CHUNK } from "../lock/stream_locks.ts";
import type { ClientRuntime } from "../runtime.ts";
import { forgetConsumer, overdueConsumers } from "../scripts/consumer_liveness.ts";
import { INSPECT_CODE, inspectLocks } from "../scripts/inspect_locks.ts";
import { runPerKey } from "../redis/lua_script.ts";
import { withDeadline } from "./deadline.ts";
import { announceOrphans, noticesForLockKeys, type OrphanNotice } from "./orphan_notices.ts";
import { readLbsEntry } from "./read_lbs_entry.ts";

/** Overdue clients handled per sweep. */
const OVERDUE_PAGE = 100;
const PENDING_PAGE = 1000;

export interface SweepReport {
  readonly elected: boolean;
  /** Streams found orphaned and announced. */
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
  let orphans = await sweepOverdueConsumers(runtime);
  const reconcile = await redis.set(reconcileLockKey(runtime.service), runtime.consumerId, {
    NX: true,
    PX: options.reconcileIntervalMs,
  });
  if (reconcile === "OK") orphans += await reconcilePending(runtime);
  return { elected: true, orphans, reconciled: reconcile === "OK" };
}

async function sweepOverdueConsumers(runtime: ClientRuntime): Promise<number> {
  const reply = await overdueConsumers.run(
    runtime.redis,
    [runtime.consumerIndex],
    [OVERDUE_PAGE],
  ) as Array<number | string>;
  const now = Number(reply[0]);
  const overdue = reply.slice(1).map(String);
  const counts = await Promise.all(overdue.map((client) => sweepConsumer(runtime, client, now)));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Inspects an overdue client's locks and announces the gone ones; forgets the
 * client once it holds nothing. @returns how many streams were announced.
 */
async function sweepConsumer(runtime: ClientRuntime, client: string, now: number) {
  const { redis, options } = runtime;
  const heldSet = consumerLocksKey(runtime.service, client);
  let keys = await redis.sMembers(heldSet);
  let announced = 0;
  let waited = 0;
  for (;;) {
    const { gone, foreign, alive, nextDueMs } = await inspect(runtime, client, keys);
    const notices = await noticesForLockKeys(runtime, gone);
    const unheld = [...gone, ...foreign];
    await Promise.all([
      announceOrphans(runtime, notices),
      unheld.length > 0 ? redis.sRem(heldSet, unheld) : undefined,
    ]);
    announced += notices.length;
    if (alive.length === 0) {
      await forgetConsumer.run(redis, [runtime.consumerIndex, heldSet], [client, now]);
      return announced;
    }
    // The client's last beat extended these a moment after it marked itself alive: when they
    // are about to run out, wait for them here rather than a sweep interval later.
    const soon = options.sweepIntervalMs / 2;
    if (waited + nextDueMs <= soon) {
      await new Promise((resolve) => setTimeout(resolve, nextDueMs + 1));
      waited += nextDueMs + 1;
      keys = alive;
      continue;
    }
    // Alive after all (late), or it took a stream after its last beat: look again when due.
    const score = now + waited + nextDueMs;
    await redis.zAdd(runtime.consumerIndex, { score, value: client }, { GT: true });
    return announced;
  }
}

/** Sorts a client's lock keys into gone, held by another client, and still alive. */
async function inspect(runtime: ClientRuntime, client: string, keys: readonly string[]) {
  const states = await runPerKey(inspectLocks, runtime.redis, keys, [client], EXTEND_CHUNK);
  const gone: string[] = [];
  const foreign: string[] = [];
  const alive: string[] = [];
  let nextDueMs = Infinity;
  keys.forEach((key, i) => {
    const state = states[i]!;
    if (state === INSPECT_CODE.gone) gone.push(key);
    else if (state === INSPECT_CODE.foreign) foreign.push(key);
    else {
      alive.push(key);
      // PTTL is 0 in the last millisecond, and -1 for a key without a TTL (not ours to expire).
      nextDueMs = Math.min(nextDueMs, state >= 0 ? state : runtime.options.heartbeatMs);
    }
  });
  return { gone, foreign, alive, nextDueMs };
}

/** Stream names of LBS ids, so reconciliation reads each entry once. */
const namesById = new Map<string, string | null>();
const NAME_CACHE_LIMIT = 100_000;

async function reconcilePending(runtime: ClientRuntime): Promise<number> {
  const { redis, options } = runtime;
  let announced = 0;
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
    const candidates = page.flatMap((entry, i) =>
      names[i] ? [{ dataStreamName: names[i] as string, idInLbs: entry.id }] : []
    );
    const exists = await Promise.all(
      candidates.map((c) => redis.exists(lockKey(c.dataStreamName, c.idInLbs))),
    );
    const orphaned = candidates.filter((_, i) => Number(exists[i]) === 0);
    const notices: OrphanNotice[] = await noticesForLockKeys(
      runtime,
      orphaned.map((c) => lockKey(c.dataStreamName, c.idInLbs)),
    );
    await announceOrphans(runtime, notices);
    announced += notices.length;
    if (page.length < PENDING_PAGE) break;
    start = `(${page[page.length - 1]!.id}`;
  }
  return announced;
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
