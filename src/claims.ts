/**
 * claim(): taking over expired streams. A takeover claims thousands of streams
 * within a few turns of the event loop, so the claims of one turn are served
 * together: one batched lock acquisition, one fencing call and one XCLAIM, one
 * adoption by the supervisor and one deadline. A chain of async steps and a
 * timer per claim cost more than the claim's share of the Redis work. Each
 * claim still fails alone: a lost race, a finished stream.
 */
import type { Actor } from "xstate";
import type { Acquisition } from "./acquisition.ts";
import { claimLbsEntries } from "./actors/claim_lbs_entries.ts";
import { withDeadline } from "./actors/deadline.ts";
import { handBack } from "./actors/release_stream.ts";
import {
  AlreadyClaimedError,
  ClientClosedError,
  OwnershipLimitError,
  StreamNotPendingError,
} from "./errors.ts";
import { decodeLbsEntry } from "./lbs_entry.ts";
import { type HeldLock, holderOf } from "./lock/stream_locks.ts";
import { keyOfStream, type supervisorMachine } from "./machines/supervisor_machine.ts";
import { dropAcquisitions, type DroppedStream } from "./scripts/drop_acquisitions.ts";
import type { LbsInfo } from "./notifications.ts";
import type { ClientRuntime } from "./runtime.ts";
import { ItemFailure, TickBatch } from "./tick_batch.ts";

/** What a successful claim() returns. */
export interface ClaimResult extends LbsInfo {
  /** Fencing token of this acquisition: larger than any earlier owner's. */
  readonly fence: number;
  /** The producer's Info from the LBS entry. */
  readonly info: Readonly<Record<string, unknown>>;
}

/** A claim's result, or its own failure. */
type ClaimOutcome = ClaimResult | ItemFailure;

interface ClaimBatch {
  /** Its callers were told it failed (the deadline passed): what it won goes back. */
  abandoned: boolean;
  /** Set once the claims are settled and the streams adopted. */
  outcomes: ClaimOutcome[] | undefined;
}

const STOPPED_DURING_CLAIM = "The stream client was stopped during the claim";

export class Claims {
  readonly #runtime: ClientRuntime;
  readonly #supervisor: Actor<typeof supervisorMachine>;
  readonly #batch = new TickBatch((requests: readonly LbsInfo[]) => this.#claimWithinCap(requests));
  /** Claims sent to Redis and not yet settled: they count against maxOwnedStreams. */
  #inFlight = 0;

  constructor(runtime: ClientRuntime, supervisor: Actor<typeof supervisorMachine>) {
    this.#runtime = runtime;
    this.#supervisor = supervisor;
  }

  /** Queues a claim; it goes to Redis with the others of this turn. */
  claim(request: LbsInfo): Promise<ClaimResult> {
    return this.#batch.add(request);
  }

  /**
   * Resolves once no claim is queued or in flight. Claims in flight end within
   * their deadline: handed back if they won, or failed with ClientClosedError.
   */
  idle(): Promise<void> {
    return this.#batch.idle();
  }

  #running(): boolean {
    const snapshot = this.#supervisor.getSnapshot();
    return snapshot.status === "active" && snapshot.matches("running");
  }

  /**
   * Refuses, without a word to Redis, the claims that would take the client past
   * maxOwnedStreams, counting the streams it owns and the claims in flight.
   */
  async #claimWithinCap(requests: readonly LbsInfo[]): Promise<ClaimOutcome[]> {
    // Queued as the client began to stop: they never reach Redis.
    if (!this.#running()) {
      throw new ClientClosedError("The stream client was stopped before the claim was sent");
    }
    const limit = this.#runtime.options.maxOwnedStreams;
    const owned = this.#supervisor.getSnapshot().context.streams.size;
    const room = Math.max(0, limit - owned - this.#inFlight);
    const sent = requests.slice(0, room);
    const refused = requests.slice(sent.length).map((request) =>
      new ItemFailure(new OwnershipLimitError(request.dataStreamName, limit))
    );
    if (sent.length === 0) return refused;
    this.#inFlight += sent.length;
    try {
      return [...await this.#claimTogether(sent), ...refused];
    } catch (error) {
      if (refused.length === 0) throw error;
      return [...sent.map(() => new ItemFailure(error)), ...refused];
    } finally {
      this.#inFlight -= sent.length;
    }
  }

  async #claimTogether(requests: readonly LbsInfo[]): Promise<ClaimOutcome[]> {
    const batch: ClaimBatch = { abandoned: false, outcomes: undefined };
    try {
      return await withDeadline(
        this.#claimAll(requests, batch),
        Math.max(5000, 2 * this.#runtime.options.heartbeatMs),
        requests.length === 1
          ? `claim of stream "${requests[0]!.dataStreamName}"`
          : `claim of ${requests.length} streams`,
      );
    } catch (error) {
      if (batch.outcomes) return batch.outcomes; // won just as the deadline passed
      batch.abandoned = true;
      // Whatever failed (a connection closed under it, say), the claim ended with the client.
      if (
        this.#supervisor.getSnapshot().status === "done" && !(error instanceof ClientClosedError)
      ) {
        throw new ClientClosedError(STOPPED_DURING_CLAIM, { cause: error });
      }
      throw error;
    }
  }

  async #claimAll(requests: readonly LbsInfo[], batch: ClaimBatch): Promise<ClaimOutcome[]> {
    const { locks, options } = this.#runtime;
    const started = Date.now();
    const takes = await Promise.allSettled(
      requests.map((r) => locks.take(r.dataStreamName, r.idInLbs, options.heartbeatMs)),
    );
    const tookMs = Date.now() - started;
    const outcomes: ClaimOutcome[] = new Array(requests.length);
    const won: Array<{ at: number; lock: Omit<HeldLock, "fence"> }> = [];
    takes.forEach((take, at) => {
      const { dataStreamName } = requests[at]!;
      if (take.status === "rejected") {
        outcomes[at] = new ItemFailure(take.reason);
        return;
      }
      const outcome = take.value;
      const taken = "taken" in outcome;
      options.metrics.recordClaimAttempt?.(dataStreamName, taken, tookMs);
      options.metrics.recordLockAcquisitionAttempt?.(dataStreamName, taken, tookMs);
      if ("taken" in outcome) won.push({ at, lock: outcome.taken });
      else {
        const holder = holderOf(outcome.heldBy);
        outcomes[at] = new ItemFailure(new AlreadyClaimedError(dataStreamName, holder));
      }
    });
    if (won.length === 0) return outcomes;
    // The entries move to us in the same round trip as the fences are drawn: the locks are ours,
    // so no other claimer moves them. XCLAIM's reply carries each entry, so Info needs no read.
    const [fences, claimed] = await Promise.all([
      Promise.allSettled(won.map(({ lock }) => locks.confirm(lock))),
      claimLbsEntries(
        this.#runtime,
        this.#runtime.consumerId,
        won.map(({ at }) => requests[at]!.idInLbs),
      ).then((entries) => ({ entries }), (error: unknown) => ({ error })),
    ]);
    const acquisitions: Acquisition[] = [];
    // Claims that failed after taking their lock: nothing they wrote may stay behind.
    const dropped: DroppedStream[] = [];
    won.forEach(({ at, lock }, i) => {
      const { dataStreamName, idInLbs } = requests[at]!;
      const fence = fences[i]!;
      const entry = "entries" in claimed ? claimed.entries[i] : undefined;
      const fail = (error: unknown) => {
        outcomes[at] = new ItemFailure(error);
        dropped.push({ ...lock, idInLbs });
      };
      // Where the entry stays pending without a lock (moved to us, or XCLAIM failed), it is
      // announced again by reconciliation, as the lock is gone.
      if (fence.status === "rejected") fail(fence.reason);
      // Lost within milliseconds of taking it: as good as losing the race.
      else if (fence.value === 0) fail(new AlreadyClaimedError(dataStreamName));
      else if ("error" in claimed) fail(claimed.error);
      else if (!entry) {
        fail(new StreamNotPendingError(dataStreamName, idInLbs));
        this.#runtime.streamNames.forget(idInLbs);
      } else {
        const info = infoOf(entry.message, options.maxLbsEntryBytes);
        const fenced = { ...lock, fence: fence.value };
        acquisitions.push({ ...fenced, dataStreamName, idInLbs, info, origin: "claim" });
        const delayMs = this.#runtime.takeoverClock?.taken(lock.lockKey);
        if (delayMs !== undefined) options.metrics.recordTakeover?.(dataStreamName, delayMs);
        outcomes[at] = { dataStreamName, idInLbs, fence: fence.value, info };
      }
    });
    await dropAcquisitions(this.#runtime.redis, {
      lbsStream: this.#runtime.lbsStream,
      heldSetKey: locks.heldSetKey,
    }, dropped).catch((error) =>
      // Its locks run out on their own; the claims it was for have failed already.
      options.logger.warn("could not clean up after failed claims", {
        streams: dropped.length,
        error: String(error),
      })
    );
    if (acquisitions.length === 0) return outcomes;
    const stopped = !this.#running();
    if (batch.abandoned || stopped) {
      // The callers were told these claims failed, or the client began to stop while they ran:
      // hand the streams to the others at once rather than leave their entries in our PEL
      // without a lock until reconciliation.
      await Promise.all(acquisitions.map((acquisition) => handBack(this.#runtime, acquisition)));
      return outcomes.map((outcome) =>
        outcome instanceof ItemFailure ? outcome : new ItemFailure(
          stopped
            ? new ClientClosedError(STOPPED_DURING_CLAIM)
            : new StreamNotPendingError(outcome.dataStreamName, outcome.idInLbs),
        )
      );
    }
    this.#supervisor.send({ type: "STREAMS_ACQUIRED", acquisitions });
    // Handed back instead if the client began to stop before the supervisor took them, or if a
    // read filled the client up to maxOwnedStreams meanwhile.
    const snapshot = this.#supervisor.getSnapshot();
    const notAdopted = (name: string) =>
      snapshot.matches("running")
        ? new OwnershipLimitError(name, options.maxOwnedStreams)
        : new ClientClosedError(STOPPED_DURING_CLAIM);
    batch.outcomes = outcomes.map((outcome) =>
      outcome instanceof ItemFailure ||
        keyOfStream(snapshot.context, outcome.dataStreamName) !== undefined
        ? outcome
        : new ItemFailure(notAdopted(outcome.dataStreamName))
    );
    return batch.outcomes;
  }
}

/** The producer's Info in an LBS entry ({} when the entry cannot be decoded). */
function infoOf(
  fields: Record<string, string>,
  maxBytes: number,
): Readonly<Record<string, unknown>> {
  try {
    return decodeLbsEntry(fields, maxBytes).info;
  } catch {
    return {};
  }
}
