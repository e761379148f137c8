/** Gives up one owned stream: drop its lock, and either finish or hand over its LBS entry. */
import { fromPromise, type PromiseActorLogic } from "xstate";
import type { Acquisition } from "../acquisition.ts";
import type { ClientRuntime } from "../runtime.ts";
import { finishStream } from "../scripts/finish_stream.ts";
import { announceOrphans } from "./orphan_notices.ts";

export interface ReleaseInput {
  readonly dataStreamName: string;
  readonly idInLbs: string;
  readonly lockKey: string;
  readonly lockValue: string;
  readonly fence: number;
  /** The producer's Info, passed on when the stream is handed over. */
  readonly info: Readonly<Record<string, unknown>>;
  /**
   * "finish" (doneStream): the stream is processed, so XACK and XDEL its LBS entry.
   * "handover" (done()): keep the entry pending and tell peers at once, so one claims it.
   */
  readonly mode: "finish" | "handover";
}

/**
 * @throws {OwnershipLostError} when finishing a stream this acquisition no
 *   longer owns: a stale owner must not ack the entry its successor is working on.
 */
export async function releaseStream(runtime: ClientRuntime, input: ReleaseInput): Promise<void> {
  const { lockKey, lockValue, idInLbs, dataStreamName } = input;
  const { locks, options } = runtime;
  if (input.mode === "finish") {
    // One script: the ownership check and the ack with nothing in between (see finishStream).
    try {
      await finishStream(runtime.redis, {
        ...input,
        lbsStream: runtime.lbsStream,
        lbsGroup: runtime.lbsGroup,
        heldSetKey: locks.heldSetKey,
        clientPrefix: locks.prefix,
      });
    } catch (error) {
      options.metrics.recordLockReleaseAttempt?.(dataStreamName, false);
      throw error;
    }
    options.metrics.recordLockReleaseAttempt?.(dataStreamName, true);
    runtime.streamNames.forget(idInLbs);
    return;
  }
  // A handed-over lock expires rather than being deleted, so Go peers, which listen for expired
  // keyspace events, hear of it as well as ours. (A finished stream's lock is deleted above.)
  const released = await locks.giveUp({ lockKey, lockValue });
  options.metrics.recordLockReleaseAttempt?.(dataStreamName, released);
  if (released) {
    await announceOrphans(runtime, [{ dataStreamName, idInLbs, info: input.info, released: true }]);
  }
}

/**
 * Gives back a stream acquired but not to be owned (the claim was abandoned,
 * or the client began to stop while it was acquired): releases the lock and
 * announces the stream, so a peer claims it at once.
 */
export function handBack(runtime: ClientRuntime, acquisition: Acquisition): Promise<void> {
  return releaseStream(runtime, { ...acquisition, mode: "handover" });
}

/**
 * XACK and XDEL in one MULTI (same key, so one slot): a crash between the two
 * would otherwise leave an entry in the stream that no group lists as pending,
 * which no claim or reconciliation could ever find again.
 */
export async function ackAndDelete(runtime: ClientRuntime, id: string): Promise<void> {
  await runtime.redis.multi()
    .xAck(runtime.lbsStream, runtime.lbsGroup, id)
    .xDel(runtime.lbsStream, id)
    .exec();
}

/** The stream machine's `releaseStream` actor, for one client's runtime. */
export function releaseStreamActorFor(
  runtime: ClientRuntime,
): PromiseActorLogic<void, ReleaseInput> {
  return fromPromise(({ input }) => {
    const release = releaseStream(runtime, input);
    runtime.inFlight.track(release); // one that outlives done()'s grace period is still awaited
    return release;
  });
}
