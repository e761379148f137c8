/**
 * Gets a client ready: keyspace events, the LBS consumer group, and recovery
 * of LBS entries left pending by consumers that are gone.
 */
import { fromPromise, type PromiseActorLogic } from "xstate";
import type { Acquisition } from "../acquisition.ts";
import { cancellableRuntime, type ClientRuntime } from "../runtime.ts";
import { assignEntry } from "./assign_entry.ts";
import { leaveConsumerIndex, releaseLease } from "../scripts/consumer_liveness.ts";
import { reconcileLockKey, sweepLockKey } from "../keys.ts";
import { markClientAlive } from "./mark_alive.ts";
import { cancellable, withDeadline } from "./deadline.ts";
import { handBack } from "./release_stream.ts";
import { ensureKeyspaceEvents } from "./keyspace_config.ts";
import { createLbsGroup } from "../lbs_group.ts";

/**
 * Starts up within `startupTimeoutMs`; `signal` aborts it (the client stops
 * meanwhile). A start-up that fails or is abandoned sends nothing more and
 * hands back what its recovery had acquired (also what it acquires after
 * that, from commands already sent): no lock is left held by nobody.
 * @throws {DeadlineExceededError} when it does not complete in time.
 */
export async function startup(
  runtime: ClientRuntime,
  signal?: AbortSignal,
): Promise<Acquisition[]> {
  const recovered: Acquisition[] = [];
  let work: Promise<unknown> = Promise.resolve();
  try {
    return await cancellable(
      (unit) => (work = startUp(cancellableRuntime(runtime, unit), recovered)),
      runtime.options.startupTimeoutMs,
      "start-up",
      signal,
    );
  } catch (error) {
    runtime.inFlight.track(
      work.catch(() => {}).then(() =>
        Promise.all(recovered.map((acquisition) => handBack(runtime, acquisition)))
      ),
    );
    throw error;
  }
}

async function startUp(runtime: ClientRuntime, recovered: Acquisition[]): Promise<Acquisition[]> {
  await ensureKeyspaceEvents(runtime, runtime.options.keyspaceConfig);
  runtime.signal?.throwIfAborted();
  await ensureGroup(runtime);
  // Indexed before the first acquisition, so the sweeper can find this client's locks if it dies.
  await markClientAlive(runtime);
  return await recoverIdleEntries(runtime, recovered);
}

/**
 * Leaves the consumer index once every stream is released (done()); a client
 * that still holds a lock is left to the sweeper instead. Gives up the
 * sweeper's and the reconciler's leases if it holds them (one call per key:
 * they are in different slots on a cluster).
 */
export async function leave(runtime: ClientRuntime): Promise<void> {
  const { redis, locks, service } = runtime;
  await withDeadline(
    Promise.all([
      leaveConsumerIndex.run(redis, [runtime.consumerIndex, locks.heldSetKey], [locks.prefix]),
      releaseLease.run(redis, [sweepLockKey(service)], [locks.prefix]),
      releaseLease.run(redis, [reconcileLockKey(service)], [locks.prefix]),
    ]),
    Math.max(1000, runtime.options.heartbeatMs),
    "leaving the consumer index",
  );
}

/**
 * Creates the LBS group at `0` with MKSTREAM; an existing group (made by
 * addStream, a peer, or a Go consumer at `$`) is kept as it is. Starting at
 * `0` delivers the entries added before any consumer ran: done entries are
 * deleted, so whatever the stream holds is unfinished work.
 */
export async function ensureGroup(runtime: ClientRuntime): Promise<void> {
  await createLbsGroup(runtime.redis, runtime.lbsStream, runtime.lbsGroup);
}

/**
 * Claims LBS entries idle for lbsIdleMs or more (XAUTOCLAIM, following its
 * cursor to the end, or until maxOwnedStreams are held: the rest stay with
 * their old consumer, for reconciliation to announce to the others) and locks
 * the streams nobody holds.
 */
export async function recoverIdleEntries(
  runtime: ClientRuntime,
  recovered: Acquisition[] = [],
): Promise<Acquisition[]> {
  const { redis, options } = runtime;
  const started = Date.now();
  let seen = 0;
  let success = false;
  try {
    let cursor = "0-0";
    do {
      const reply = await redis.xAutoClaim(
        runtime.lbsStream,
        runtime.lbsGroup,
        runtime.consumerId,
        options.lbsIdleMs,
        cursor,
        { COUNT: Math.min(options.lbsRecoveryCount, options.maxOwnedStreams - recovered.length) },
      );
      cursor = reply.nextId;
      const messages = reply.messages.filter((m): m is NonNullable<typeof m> => m !== null);
      seen += messages.length;
      const acquired = await Promise.all(
        messages.map((m) =>
          assignEntry(runtime, m.id, m.message as Record<string, string>, "recovery")
        ),
      );
      for (const acquisition of acquired) if (acquisition) recovered.push(acquisition);
      runtime.signal?.throwIfAborted();
      if (reply.deletedMessages.length > 0) {
        options.logger.warn("LBS entries were deleted while pending", {
          ids: reply.deletedMessages,
        });
      }
    } while (cursor !== "0-0" && recovered.length < options.maxOwnedStreams);
    success = true;
    return recovered;
  } finally {
    options.metrics.recordStartupRecovery?.(success, seen, Date.now() - started);
  }
}

export const startupActor: PromiseActorLogic<Acquisition[], ClientRuntime> = fromPromise((
  { input, signal },
) => startup(input, signal));

export const leaveActor: PromiseActorLogic<void, ClientRuntime> = fromPromise(({ input }) =>
  leave(input)
);
