/**
 * One shared heartbeat for every owned stream: each period it extends all
 * locks at once (node-redis pipelines commands issued together, so this is
 * one round trip whatever the number of streams) and records each lock's
 * new deadline in the lease index the sweeper reads.
 */
import { fromPromise, type PromiseActorLogic } from "xstate";
import type { ExtendOutcome } from "../lock/stream_locks.ts";
import type { ClientRuntime } from "../runtime.ts";
import { withDeadline } from "./deadline.ts";
import type { LossReason } from "../machines/stream_types.ts";

export interface HeartbeatLock {
  readonly dataStreamName: string;
  readonly lockKey: string;
  readonly lockValue: string;
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
}

export async function heartbeat(
  { runtime, locks }: HeartbeatInput,
): Promise<HeartbeatOutcome[]> {
  const ttl = runtime.options.heartbeatMs;
  const sentAt = Date.now();
  const until = sentAt + ttl;
  const settled: Array<ExtendOutcome | Error | undefined> = new Array(locks.length);
  const all = Promise.all(locks.map(async (lock, i) => {
    try {
      // Sent together with the extension: a deadline recorded for a lock that turns
      // out lost only makes the sweeper look at it sooner, which is what we want.
      const [outcome] = await Promise.all([
        runtime.locks.extend(lock, ttl),
        runtime.redis.zAdd(runtime.leaseIndex, { score: until, value: lock.lockKey }),
      ]);
      settled[i] = outcome;
    } catch (error) {
      settled[i] = error as Error;
    }
  }));
  // One deadline for the whole beat (not a timer per lock): what has not answered
  // by half the TTL counts as unanswered this time.
  await withDeadline(all, Math.max(50, Math.floor(ttl / 2)), "heartbeat").catch(() => {});
  return locks.map((lock, i): HeartbeatOutcome => {
    const { dataStreamName, lockKey } = lock;
    const outcome = settled[i];
    const held = outcome === "held";
    runtime.options.metrics.recordLockExtensionAttempt?.(dataStreamName, held);
    if (held) return { lockKey, outcome: "held", until };
    if (outcome === "expired" || outcome === "taken") {
      return { lockKey, outcome: "lost", reason: outcome };
    }
    if (Date.now() >= lock.confirmedUntil) {
      return { lockKey, outcome: "lost", reason: "unreachable" };
    }
    return { lockKey, outcome: "unknown" };
  });
}

export const heartbeatActor: PromiseActorLogic<HeartbeatOutcome[], HeartbeatInput> = fromPromise((
  { input },
) => heartbeat(input));
