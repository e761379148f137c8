/**
 * Makes takeover a guarantee rather than a hope. Redis announces an expired
 * key only when it notices it (on access, or by random sampling that slows
 * down as more keys carry a TTL), and pub/sub loses what nobody hears. So one
 * consumer at a time, elected by a short lock, does two things:
 *
 * - every sweep interval, and at the moment the next client's deadline passes
 *   if that is sooner: asks the consumer index which clients are overdue
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
 * Cost while nobody dies: one lease call per consumer per sweep interval, and
 * one script call by the elected sweeper per interval or per deadline passing,
 * whichever comes sooner (live clients' deadlines come every TTL / 2 or so, as
 * each beat moves its own on). Reconciliation reads the PEL in pages
 * and checks each pending entry's lock once per reconcile interval.
 */
import { fromPromise, type PromiseActorLogic } from "xstate";
import { consumerLocksKey, lockKey, reconcileLockKey, sweepLockKey } from "../keys.ts";
import { cancellableRuntime, type ClientRuntime } from "../runtime.ts";
import { forgetConsumer, holdLease, overdueConsumers } from "../scripts/consumer_liveness.ts";
import { INSPECT_CODE } from "../scripts/inspect_locks.ts";
import { pause } from "./backoff.ts";
import { cancellable } from "./deadline.ts";
import { announceOrphans, noticesForLockKeys, type OrphanNotice } from "./orphan_notices.ts";

/** Overdue clients handled per sweep. */
const OVERDUE_PAGE = 100;
const PENDING_PAGE = 1000;

/** The soonest the elected sweeper sweeps again, so a deadline a moment away is not a busy loop. */
const MIN_WAKE_MS = 2;

export interface SweepReport {
  readonly elected: boolean;
  /** Streams found orphaned and announced. */
  readonly orphans: number;
  readonly reconciled: boolean;
  /**
   * When to sweep again, at most a sweep interval away: the elected sweeper
   * wakes at the next client's deadline, the others when its lease runs out.
   */
  readonly nextSweepInMs: number;
}

export async function sweep(runtime: ClientRuntime): Promise<SweepReport> {
  const { redis, options } = runtime;
  const interval = options.sweepIntervalMs;
  const started = Date.now();
  // Two intervals: the sweeper renews well before it runs out, so the role does not change hands
  // while it lives; if it dies, another takes over when it runs out.
  const leaseHeldElsewhereMs = Number(
    await holdLease.run(
      redis,
      [sweepLockKey(runtime.service)],
      [runtime.locks.prefix, 2 * interval],
    ),
  );
  if (leaseHeldElsewhereMs > 0) {
    // Try again when the sweeper's lease runs out: at once if it died, else it has renewed.
    const nextSweepInMs = Math.min(interval, leaseHeldElsewhereMs + 1);
    return { elected: false, orphans: 0, reconciled: false, nextSweepInMs };
  }
  let { orphans, nextDueInMs } = await sweepOverdueConsumers(runtime);
  // Held under the client's own name (its lock-value prefix), so done() can give it up.
  const reconcile = await redis.set(reconcileLockKey(runtime.service), runtime.locks.prefix, {
    NX: true,
    PX: options.reconcileIntervalMs,
  });
  if (reconcile === "OK") orphans += await reconcilePending(runtime);
  const dueInMs = nextDueInMs - (Date.now() - started);
  const nextSweepInMs = Math.min(interval, Math.max(MIN_WAKE_MS, dueInMs));
  return { elected: true, orphans, reconciled: reconcile === "OK", nextSweepInMs };
}

/** @returns streams announced, and how long until the next client falls due (ms). */
async function sweepOverdueConsumers(runtime: ClientRuntime) {
  const reply = await overdueConsumers.run(
    runtime.redis,
    [runtime.consumerIndex],
    [OVERDUE_PAGE],
  ) as Array<number | string>;
  const now = Number(reply[0]);
  const nextDeadline = Number(reply[1]);
  const overdue = reply.slice(2).map(String);
  const swept = await Promise.all(overdue.map((client) => sweepConsumer(runtime, client, now)));
  // A deadline lands 1 ms after it passes; a client looked at again later counts too.
  let nextDueInMs = nextDeadline < 0 ? Infinity : nextDeadline - now + 1;
  if (overdue.length === OVERDUE_PAGE) nextDueInMs = 0; // more are overdue already
  let orphans = 0;
  for (const { announced, recheckInMs } of swept) {
    orphans += announced;
    nextDueInMs = Math.min(nextDueInMs, recheckInMs);
  }
  return { orphans, nextDueInMs };
}

/**
 * Inspects an overdue client's locks and announces the gone ones; forgets the
 * client once it holds nothing. @returns how many streams were announced, and
 * when the client is due to be looked at again (Infinity once forgotten).
 */
async function sweepConsumer(
  runtime: ClientRuntime,
  client: string,
  now: number,
): Promise<{ announced: number; recheckInMs: number }> {
  const { redis, options } = runtime;
  const heldSet = consumerLocksKey(runtime.service, client);
  let keys = await redis.sMembers(heldSet);
  let announced = 0;
  let waited = 0;
  for (;;) {
    const { gone, foreign, alive, nextDueMs } = await inspect(runtime, client, keys);
    const notices = await noticesForLockKeys(runtime, gone);
    const unheld = [...gone, ...foreign];
    runtime.signal?.throwIfAborted();
    await Promise.all([
      announceOrphans(runtime, notices),
      unheld.length > 0 ? redis.sRem(heldSet, unheld) : undefined,
    ]);
    announced += notices.length;
    if (alive.length === 0) {
      await forgetConsumer.run(redis, [runtime.consumerIndex, heldSet], [client, now]);
      return { announced, recheckInMs: Infinity };
    }
    // The client's last beat extended these a moment after it marked itself alive: when they
    // are about to run out, wait for them here rather than a sweep interval later.
    const soon = options.sweepIntervalMs / 2;
    if (waited + nextDueMs <= soon) {
      await pause(nextDueMs + 1, runtime.signal ?? NEVER);
      runtime.signal?.throwIfAborted();
      waited += nextDueMs + 1;
      keys = alive;
      continue;
    }
    // Alive after all (late), or it took a stream after its last beat: look again when due.
    const score = now + waited + nextDueMs;
    await redis.zAdd(runtime.consumerIndex, { score, value: client }, { GT: true });
    return { announced, recheckInMs: nextDueMs + 1 };
  }
}

/** Sorts a client's lock keys into gone, held by another client, and still alive. */
async function inspect(runtime: ClientRuntime, client: string, keys: readonly string[]) {
  const states = await runtime.locks.inspectAll(keys, client, runtime.signal);
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
    const names = await runtime.streamNames.namesOf(runtime, page.map((entry) => entry.id));
    const keys = page.flatMap((entry, i) => names[i] ? [lockKey(names[i], entry.id)] : []);
    const states = await runtime.locks.inspectAll(keys, runtime.locks.prefix, runtime.signal);
    const notices: OrphanNotice[] = await noticesForLockKeys(
      runtime,
      keys.filter((_, i) => states[i] === INSPECT_CODE.gone),
    );
    runtime.signal?.throwIfAborted();
    await announceOrphans(runtime, notices);
    announced += notices.length;
    if (page.length < PENDING_PAGE) break;
    start = `(${page[page.length - 1]!.id}`;
  }
  return announced;
}

/**
 * A sweep that outlives its reconcile interval is abandoned, and so is one
 * running when the client stops: it sends nothing more, and the next one starts over.
 */
export const sweeperActor: PromiseActorLogic<SweepReport, ClientRuntime> = fromPromise((
  { input, signal },
) =>
  cancellable(
    (unit) => sweep(cancellableRuntime(input, unit)),
    Math.max(1000, input.options.reconcileIntervalMs),
    "sweep",
    signal,
  )
);

const NEVER = new AbortController().signal;
