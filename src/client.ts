/**
 * The public client: one consumer of a service's load-balancer stream.
 *
 * It is a thin shell around the supervisor actor: methods turn into events,
 * and the iterator is the supervisor's notification queue.
 */
import { type Actor, type AnyActorRef, createActor, waitFor } from "xstate";
import type { Acquisition } from "./acquisition.ts";
import { processEnv, resolveConsumerId } from "./consumer_id.ts";
import {
  AlreadyClaimedError,
  ClientClosedError,
  OwnershipLostError,
  StreamNotOwnedError,
  StreamNotPendingError,
} from "./errors.ts";
import { fenceKey } from "./keys.ts";
import { type HeldLock, holderOf } from "./lock/stream_locks.ts";
import { keyOfStream, owningStreams, supervisorMachine } from "./machines/supervisor_machine.ts";
import type { LbsInfo, Notification } from "./notifications.ts";
import { NotificationQueue } from "./notification_queue.ts";
import { resolveOptions, type StreamClientOptions } from "./options.ts";
import type { StreamOwnership } from "./ownership.ts";
import { type AnyRedisClient, asRedisClient, type RedisClient } from "./redis/client.ts";
import { type ClientRuntime, createRuntime } from "./runtime.ts";
import { fencedSet } from "./scripts/fenced_set.ts";
import { withDeadline } from "./actors/deadline.ts";
import { handBack } from "./actors/release_stream.ts";
import { decodeLbsEntry } from "./lbs_entry.ts";
import { claimLbsEntries } from "./actors/claim_lbs_entries.ts";
import { ItemFailure, TickBatch } from "./tick_batch.ts";

/** What a successful claim() returns. */
export interface ClaimResult extends LbsInfo {
  /** Fencing token of this acquisition: larger than any earlier owner's. */
  readonly fence: number;
  /** The producer's Info from the LBS entry. */
  readonly info: Readonly<Record<string, unknown>>;
}

/** A claim's result, or its own failure: claims served together fail alone. */
type ClaimOutcome = ClaimResult | ItemFailure;

interface ClaimBatch {
  /** Its caller was told it failed (the deadline passed): what it won goes back. */
  abandoned: boolean;
  /** Set once the claims are settled and the streams adopted. */
  outcomes: ClaimOutcome[] | undefined;
}

/**
 * Creates a consumer of `service`'s load-balancer stream.
 *
 * @param redis a connected node-redis client; the library duplicates it for its
 *   blocking reader and its subscriber, and never closes it.
 * @param service the service name: the LBS is `<service>-input`, its group `<service>-group`.
 * @throws {TypeError | RangeError} on a bad argument or option.
 */
export function createStreamClient(
  redis: AnyRedisClient,
  service: string,
  options: StreamClientOptions = {},
): StreamClient {
  const client = asRedisClient(redis);
  if (typeof service !== "string" || service.trim() === "") {
    throw new TypeError("service must be a non-empty string");
  }
  return new StreamClient(client, service, options);
}

export class StreamClient implements AsyncDisposable {
  /** This consumer's id, as the LBS group and lock values know it. */
  readonly id: string;
  readonly service: string;
  readonly #runtime: ClientRuntime;
  readonly #supervisor: Actor<typeof supervisorMachine>;
  #started = false;
  #adoptions: Acquisition[] = [];
  #adopting: Promise<void> | undefined;
  /** Claims made together (a takeover) are served together: see #claimTogether. */
  readonly #claims: TickBatch<LbsInfo, ClaimResult>;

  constructor(redis: RedisClient, service: string, options: StreamClientOptions = {}) {
    const resolved = resolveOptions(options);
    this.id = resolveConsumerId(options.consumerId, options.env ?? processEnv(), resolved.logger);
    this.service = service;
    const queue = new NotificationQueue<Notification>(resolved.bufferSize, () => {
      void this.done();
    });
    this.#runtime = createRuntime(redis, service, this.id, resolved, queue);
    this.#supervisor = createActor(supervisorMachine, { input: this.#runtime });
    this.#claims = new TickBatch((requests) => this.#claimTogether(requests));
  }

  /** The supervisor actor, for inspection (`getSnapshot()`, `subscribe()`). */
  get supervisor(): AnyActorRef {
    return this.#supervisor;
  }

  /**
   * Starts consuming: configures keyspace events, joins the LBS group,
   * recovers idle entries, then yields notifications until done() or abort.
   * Breaking out of the loop calls done().
   * @throws {ClientClosedError} when start-up fails or the client was closed.
   */
  async init({ signal }: { signal?: AbortSignal } = {}): Promise<AsyncIterable<Notification>> {
    if (this.#started) throw new ClientClosedError("init() was already called");
    this.#started = true;
    if (signal?.aborted) throw new ClientClosedError("aborted before init");
    signal?.addEventListener("abort", () => void this.done(), { once: true });
    this.#supervisor.start();
    this.#supervisor.send({ type: "START" });
    const snapshot = await waitFor(
      this.#supervisor,
      (s) => s.matches("running") || s.status === "done",
      { timeout: Infinity },
    );
    if (!snapshot.matches("running")) throw new ClientClosedError(snapshot.context.endReason);
    return this.#runtime.queue;
  }

  /**
   * Takes over an expired stream: its lock (with a new fencing token) and its
   * LBS entry. Of several concurrent claimers exactly one wins.
   * @throws {AlreadyClaimedError} when another consumer holds the lock.
   * @throws {StreamNotPendingError} when the stream was finished meanwhile.
   * @throws {DeadlineExceededError} when Redis did not answer in time; a claim
   *   that completes after that gives the lock back rather than keeping it unseen.
   */
  claim(payload: LbsInfo): Promise<ClaimResult> {
    try {
      this.#assertRunning();
      const { dataStreamName, idInLbs } = payload ?? {};
      if (typeof dataStreamName !== "string" || typeof idInLbs !== "string") {
        throw new TypeError("claim() needs { dataStreamName, idInLbs }");
      }
      return this.#claims.add({ dataStreamName, idInLbs });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Serves the claims made in one turn of the event loop together, under one
   * deadline: a takeover makes thousands at once, and a chain of promises and
   * a timer each would cost more than their share of the Redis work.
   */
  async #claimTogether(requests: readonly LbsInfo[]): Promise<ClaimOutcome[]> {
    // Queued as the client began to stop: they never reach Redis.
    if (!this.#supervisor.getSnapshot().matches("running")) {
      throw new ClientClosedError("The stream client was stopped before the claim was sent");
    }
    const batch: ClaimBatch = { abandoned: false, outcomes: undefined };
    const attempt = this.#claimAll(requests, batch);
    try {
      return await withDeadline(
        attempt,
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
        throw new ClientClosedError("The stream client was stopped during the claim", {
          cause: error,
        });
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
      else {outcomes[at] = new ItemFailure(
          new AlreadyClaimedError(dataStreamName, holderOf(outcome.heldBy)),
        );}
    });
    if (won.length === 0) return outcomes;
    // The entries move to us in the same round trip as the fences are drawn: the locks are ours,
    // so no other claimer moves them. XCLAIM's reply carries each entry, so Info needs no read.
    const [fences, entries] = await Promise.all([
      Promise.allSettled(won.map(({ lock }) => locks.confirm(lock))),
      claimLbsEntries(this.#runtime, this.id, won.map(({ at }) => requests[at]!.idInLbs)),
    ]);
    const acquisitions: Acquisition[] = [];
    const releases: Promise<unknown>[] = [];
    won.forEach(({ at, lock }, i) => {
      const { dataStreamName, idInLbs } = requests[at]!;
      const fence = fences[i]!;
      const entry = entries[i];
      if (fence.status === "rejected") {
        outcomes[at] = new ItemFailure(fence.reason);
      } else if (fence.value === 0) {
        // Lost within milliseconds of taking it: as good as losing the race. The entry it moved
        // to us is announced again by reconciliation, as the lock is gone.
        outcomes[at] = new ItemFailure(new AlreadyClaimedError(dataStreamName));
      } else if (!entry) {
        releases.push(locks.release(lock));
        outcomes[at] = new ItemFailure(new StreamNotPendingError(dataStreamName, idInLbs));
      } else {
        const info = infoOf(entry.message, options.maxLbsEntryBytes);
        acquisitions.push({
          ...lock,
          fence: fence.value,
          dataStreamName,
          idInLbs,
          info,
          origin: "claim",
        });
        outcomes[at] = { dataStreamName, idInLbs, fence: fence.value, info };
      }
    });
    await Promise.all(releases);
    if (acquisitions.length === 0) return outcomes;
    const stopped = !this.#supervisor.getSnapshot().matches("running");
    if (batch.abandoned || stopped) {
      // The caller was told these claims failed, or the client began to stop while they ran:
      // hand the streams to the others at once rather than leave their entries in our PEL
      // without a lock until reconciliation.
      await Promise.all(acquisitions.map((acquisition) => handBack(this.#runtime, acquisition)));
      return outcomes.map((outcome) => {
        if (outcome instanceof ItemFailure) return outcome;
        return new ItemFailure(
          stopped
            ? new ClientClosedError("The stream client was stopped during the claim")
            : new StreamNotPendingError(outcome.dataStreamName, outcome.idInLbs),
        );
      });
    }
    await this.#adopt(acquisitions);
    // Handed back instead if the client began to stop before the supervisor took them.
    const context = this.#context();
    batch.outcomes = outcomes.map((outcome) =>
      outcome instanceof ItemFailure || keyOfStream(context, outcome.dataStreamName) !== undefined
        ? outcome
        : new ItemFailure(new ClientClosedError("The stream client was stopped during the claim"))
    );
    return batch.outcomes;
  }

  /**
   * Hands an acquisition to the supervisor. Claims whose replies arrive together
   * (a takeover of many streams) are handed over as one event, not one each.
   */
  #adopt(acquisitions: readonly Acquisition[]): Promise<void> {
    this.#adoptions.push(...acquisitions);
    return this.#adopting ??= Promise.resolve().then(() => {
      const acquisitions = this.#adoptions;
      this.#adoptions = [];
      this.#adopting = undefined;
      this.#supervisor.send({ type: "STREAMS_ACQUIRED", acquisitions });
    });
  }

  /**
   * Finishes a stream: acks and deletes its LBS entry, then releases its lock.
   * @throws {StreamNotOwnedError} when this consumer does not own it.
   * @throws {OwnershipLostError} when its lock turned out to be gone or taken:
   *   the entry is then left pending for the stream's current owner.
   */
  async doneStream(dataStreamName: string): Promise<void> {
    const key = keyOfStream(this.#context(), dataStreamName);
    const ref = key === undefined ? undefined : this.#streams().get(key);
    if (!key || !ref) throw new StreamNotOwnedError(dataStreamName);
    this.#supervisor.send({ type: "RELEASE_STREAM", lockKey: key, mode: "finish" });
    const final = await waitFor(ref, (s) => s.status === "done", { timeout: Infinity });
    const error = final.context.releaseError;
    if (error instanceof OwnershipLostError) throw error;
    if (error !== undefined) {
      throw new Error(`Releasing stream "${dataStreamName}" failed`, { cause: error });
    }
  }

  /**
   * Stops the client: releases every owned stream's lock (their LBS entries
   * stay pending and peers are told at once, so one claims each), closes the
   * connections it opened and ends the iterator with StreamTerminated.
   */
  async done(): Promise<void> {
    const supervisor = this.#supervisor;
    if (supervisor.getSnapshot().status !== "active") {
      this.#runtime.queue.close();
      return;
    }
    supervisor.send({ type: "STOP", reason: "client done" });
    await waitFor(supervisor, (s) => s.status === "done", { timeout: Infinity });
    // Claims in flight end within their deadline: handed back if they won, or failed with
    // ClientClosedError. Once they have, none of them still uses Redis.
    await this.#claims.idle();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.done();
  }

  /** The streams this consumer owns right now. */
  ownedStreams(): LbsInfo[] {
    return owningStreams(this.#streams()).map((ref) => {
      const { dataStreamName, idInLbs } = ref.getSnapshot().context.acquisition;
      return { dataStreamName, idInLbs };
    });
  }

  /** Proof of ownership of a stream (lock, fencing token, end signal); undefined if not owned. */
  ownership(dataStreamName: string): StreamOwnership | undefined {
    const key = keyOfStream(this.#context(), dataStreamName);
    const ref = key === undefined ? undefined : this.#streams().get(key);
    if (!ref) return undefined;
    const { acquisition, ownershipEnded } = ref.getSnapshot().context;
    return {
      dataStreamName: acquisition.dataStreamName,
      idInLbs: acquisition.idInLbs,
      lockKey: acquisition.lockKey,
      lockValue: acquisition.lockValue,
      fence: acquisition.fence,
      signal: ownershipEnded.signal,
    };
  }

  /**
   * Sets `key` to `value` only if this consumer still owns the stream, checked
   * atomically in Redis against the lock and the fencing token. A stalled owner
   * that wakes up after a takeover is refused.
   * @throws {StreamNotOwnedError} when the client no longer tracks the stream.
   * @throws {OwnershipLostError} when Redis says another acquisition owns it.
   */
  async fencedSet(dataStreamName: string, key: string, value: string): Promise<void> {
    const ownership = this.ownership(dataStreamName);
    if (!ownership) throw new StreamNotOwnedError(dataStreamName);
    await fencedWrite(this.#runtime.redis, ownership, key, value);
  }

  #context() {
    return this.#supervisor.getSnapshot().context;
  }

  #streams() {
    return this.#context().streams;
  }

  #assertRunning(): void {
    const snapshot = this.#supervisor.getSnapshot();
    if (snapshot.matches("running")) return;
    throw new ClientClosedError(
      snapshot.matches("idle") || snapshot.matches("starting")
        ? "The stream client is not running yet: await init() first"
        : "The stream client was stopped (done(), an aborted signal, or a spent retry budget)",
    );
  }
}

/**
 * Writes `value` at `key` only while `ownership` is still the stream's
 * current acquisition (lock value and fencing token both match).
 * @throws {OwnershipLostError} otherwise.
 */
export async function fencedWrite(
  redis: AnyRedisClient,
  ownership: Pick<StreamOwnership, "dataStreamName" | "lockKey" | "lockValue" | "fence">,
  key: string,
  value: string,
): Promise<void> {
  const written = await fencedSet.run(
    asRedisClient(redis),
    [ownership.lockKey, fenceKey(ownership.lockKey), key],
    [ownership.lockValue, ownership.fence, value],
  );
  if (Number(written) !== 1) {
    throw new OwnershipLostError(ownership.dataStreamName, ownership.fence);
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
