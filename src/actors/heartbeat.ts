/**
 * One shared heartbeat for every owned stream. Each beat is one pipeline:
 * the extension script for the owned locks (one call per chunk of a thousand)
 * and the client's mark in the consumer index, which the sweeper watches.
 * Beats also refresh the idle time of the LBS entries held, a share of them
 * each, so no start-up recovery takes an entry whose stream is owned.
 *
 * A lock found gone while its owner lives (evicted, or the owner was late) is
 * announced at once, so a peer claims it without waiting for anything else.
 * Locks given up because Redis could not be reached are settled by the first
 * beat that gets through: released if still ours, announced if gone.
 */
import { fromPromise, type PromiseActorLogic } from "xstate";
import type { ExtendOutcome } from "../lock/stream_locks.ts";
import type { LossReason } from "../machines/stream_types.ts";
import { cancellableRuntime, type ClientRuntime } from "../runtime.ts";
import { INSPECT_CODE } from "../scripts/inspect_locks.ts";
import { cancellable } from "./deadline.ts";
import { refreshLbsIdle } from "./lbs_idle_refresh.ts";
import { markClientAlive } from "./mark_alive.ts";
import { announceOrphans, type OrphanNotice } from "./orphan_notices.ts";
import { describeError } from "../errors.ts";

export interface HeartbeatLock extends OrphanNotice {
  readonly lockKey: string;
  readonly lockValue: string;
  /** Until when (local clock) the lock is known to be ours. */
  readonly confirmedUntil: number;
}

export type HeartbeatOutcome =
  | { readonly lockKey: string; readonly outcome: "held"; readonly until: number }
  | { readonly lockKey: string; readonly outcome: "lost"; readonly reason: LossReason }
  /** Redis did not answer, but the lock's TTL has not run out yet: try again next beat. */
  | { readonly lockKey: string; readonly outcome: "unknown" };

export interface HeartbeatInput {
  readonly runtime: ClientRuntime;
  readonly locks: readonly HeartbeatLock[];
  /** Locks given up as unreachable, still to be settled in Redis. */
  readonly unsettled?: readonly HeartbeatLock[];
}

export interface HeartbeatOutput {
  /** Whether Redis answered this beat in time. */
  readonly answered: boolean;
  /** Until when (local clock) the locks this beat extended are known to be ours. */
  readonly until: number;
  readonly outcomes: HeartbeatOutcome[];
  /** Lock keys of `unsettled` that this beat settled. */
  readonly settled: string[];
}

/**
 * One beat. `signal` aborts when the beat is abandoned (the client stops):
 * it then sends nothing more.
 */
export async function heartbeat(
  { runtime, locks, unsettled = [] }: HeartbeatInput,
  signal?: AbortSignal,
): Promise<HeartbeatOutput> {
  const { options } = runtime;
  const ttl = options.heartbeatMs;
  const until = Date.now() + ttl;
  // What has not answered by half the TTL counts as unanswered this time.
  const deadlineMs = Math.max(50, Math.floor(ttl / 2));
  const extended = await cancellable(
    async (beat) => {
      // The locks' answer stands on its own: a Redis refusing writes (OOM) still runs the
      // extension script (PEXPIRE is allowed) but refuses the index's ZADD. The locks are then
      // ours for another TTL; peers may take this client for dead, find its locks held, and wait.
      const [outcomes, mark] = await Promise.allSettled([
        runtime.locks.extendAll(locks.map((lock) => lock.lockKey), ttl, beat),
        markClientAlive(cancellableRuntime(runtime, beat)),
      ]);
      if (outcomes.status === "rejected") throw outcomes.reason;
      if (mark.status === "rejected" && !signal?.aborted) {
        options.logger.warn("heartbeat failed to mark this client alive; its locks were extended", {
          error: describeError(mark.reason),
          locks: locks.length,
        });
      }
      return outcomes.value;
    },
    deadlineMs,
    "heartbeat",
    signal,
  ).catch((error) => {
    // Once per beat, with Redis's reason (an OOM refusal, a deadline passed); not once stopped.
    if (!signal?.aborted) {
      options.logger.warn("heartbeat failed: locks not confirmed this beat", {
        error: describeError(error),
        locks: locks.length,
      });
    }
    return undefined;
  });
  const answered = extended !== undefined;
  options.metrics.recordHeartbeat?.(Date.now() - (until - ttl), locks.length, answered);

  const expired: HeartbeatLock[] = [];
  const lost: string[] = [];
  const outcomes = locks.map((lock, i): HeartbeatOutcome => {
    const { dataStreamName, lockKey } = lock;
    const outcome = extended?.[i];
    options.metrics.recordLockExtensionAttempt?.(dataStreamName, outcome === "held");
    if (outcome === "held") return { lockKey, outcome: "held", until };
    if (outcome === "expired" || outcome === "taken") {
      lost.push(lockKey);
      if (outcome === "expired") expired.push(lock);
      return { lockKey, outcome: "lost", reason: outcome };
    }
    if (Date.now() >= lock.confirmedUntil) {
      return { lockKey, outcome: "lost", reason: "unreachable" };
    }
    return { lockKey, outcome: "unknown" };
  });
  // Bounded like the beat: a Redis that stalls now must not stop the heartbeat for good.
  const going = extended !== undefined && !signal?.aborted;
  const [settled] = await Promise.all([
    going && unsettled.length > 0
      ? cancellable((s) => settle(runtime, unsettled, s), deadlineMs, "settling", signal)
        .catch(() => [])
      : [],
    going ? refreshDueEntries(runtime, locks, extended, deadlineMs, signal) : undefined,
  ]);
  if (lost.length > 0 && !signal?.aborted) {
    // Side effects of news already decided: they must not hold up the next beat.
    runtime.inFlight.track(
      Promise.all([runtime.locks.forget(lost), announceOrphans(runtime, expired)]).catch(
        (error) =>
          options.logger.warn("could not announce lost locks", { error: describeError(error) }),
      ),
    );
  }
  return { answered: extended !== undefined, until, outcomes, settled };
}

/**
 * Refreshes the idle time of the LBS entries due this beat, of those whose
 * lock the beat has just extended (see LbsIdleRefresh). A failure is logged:
 * the entries are due again next cycle, well before they count as idle.
 */
async function refreshDueEntries(
  runtime: ClientRuntime,
  locks: readonly HeartbeatLock[],
  extended: readonly ExtendOutcome[],
  deadlineMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const held = locks.filter((_, i) => extended[i] === "held").map((lock) => lock.idInLbs);
  const due = runtime.lbsIdleRefresh.due(held);
  if (due.length === 0) return;
  const refresh = (s: AbortSignal) => refreshLbsIdle(cancellableRuntime(runtime, s), due);
  await cancellable(refresh, deadlineMs, "refreshing LBS idle times", signal)
    .catch((error) =>
      runtime.options.logger.warn("could not refresh the idle time of held LBS entries", {
        entries: due.length,
        error: describeError(error),
      })
    );
}

/** Settles locks given up while Redis was unreachable; returns the keys settled. */
async function settle(
  runtime: ClientRuntime,
  locks: readonly HeartbeatLock[],
  signal: AbortSignal,
): Promise<string[]> {
  try {
    const keys = locks.map((lock) => lock.lockKey);
    const states = await runtime.locks.inspectAll(keys, runtime.locks.prefix, signal);
    signal.throwIfAborted();
    const orphans: HeartbeatLock[] = [];
    await Promise.all(locks.map(async (lock, i) => {
      const state = states[i]!;
      if (state === INSPECT_CODE.foreign) return;
      if (state === INSPECT_CODE.gone) return void orphans.push(lock);
      // Still ours in Redis, though the user was told it was lost: give it up properly.
      // Expired rather than deleted, so that Go peers hear of it too (see StreamLocks.giveUp).
      if (await runtime.locks.giveUp(lock)) orphans.push({ ...lock, released: true });
    }));
    signal.throwIfAborted();
    await Promise.all([runtime.locks.forget(keys, signal), announceOrphans(runtime, orphans)]);
    return keys;
  } catch (error) {
    runtime.options.logger.warn("could not settle locks lost in an outage", {
      error: describeError(error),
    });
    return [];
  }
}

export const heartbeatActor: PromiseActorLogic<HeartbeatOutput, HeartbeatInput> = fromPromise((
  { input, signal },
) => heartbeat(input, signal));
