/**
 * The public client: one consumer of a service's load-balancer stream.
 *
 * It is a thin shell around the supervisor actor: methods turn into events,
 * and the iterator is the supervisor's notification queue.
 */
import { type Actor, type AnyActorRef, createActor, waitFor } from "xstate";
import { type ClaimResult, Claims } from "./claims.ts";
import { withDeadline } from "./actors/deadline.ts";
import { processEnv, resolveConsumerId } from "./consumer_id.ts";
import {
  asLibraryError,
  ClientClosedError,
  describeError,
  OwnershipLostError,
  RedisCommandError,
  StreamNotOwnedError,
} from "./errors.ts";
import { fenceKey, isStreamId, stateFeedKey } from "./keys.ts";
import { keyOfStream, owningStreams, supervisorMachine } from "./machines/supervisor_machine.ts";
import type { LbsInfo, Notification } from "./notifications.ts";
import { NotificationQueue } from "./notification_queue.ts";
import { resolveOptions, type StreamClientOptions } from "./options.ts";
import type { StreamOwnership } from "./ownership.ts";
import { endAfterSupervisorFailure } from "./supervisor_failure.ts";
import { type AnyRedisClient, asRedisClient, type RedisClient } from "./redis/client.ts";
import { type ClientRuntime, createRuntime } from "./runtime.ts";
import { fencedSet } from "./scripts/fenced_set.ts";
import { systemInspector } from "./inspection.ts";
import { StateFeedPublisher } from "./state_feed/publisher.ts";

export type { ClaimResult } from "./claims.ts";

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
  /** "new" until init() or done(); done() before init() closes it for good. */
  #phase: "new" | "started" | "closed" = "new";
  readonly #claims: Claims;
  /** Writes the state feed; undefined when it is off. */
  readonly #feed: StateFeedPublisher | undefined;
  /** Set when the supervisor failed: the cleanup that follows, which done() waits for. */
  #failure: Promise<void> | undefined;

  constructor(redis: RedisClient, service: string, options: StreamClientOptions = {}) {
    const resolved = resolveOptions(options);
    this.id = resolveConsumerId(options.consumerId, options.env ?? processEnv(), resolved.logger);
    this.service = service;
    const queue = new NotificationQueue<Notification>(resolved.bufferSize, () => {
      void this.done();
    });
    this.#runtime = createRuntime(redis, service, this.id, resolved, queue);
    this.#feed = resolved.stateFeed && new StateFeedPublisher({
      redis: this.#runtime.redis,
      key: stateFeedKey(service),
      maxLength: resolved.stateFeed.maxLength,
      consumerId: this.id,
      logger: resolved.logger,
    });
    // Stream actors join the supervisor's system, so one observer sees them all.
    const inspect = systemInspector(resolved.inspect, this.#feed?.observe);
    this.#supervisor = createActor(
      supervisorMachine,
      inspect ? { input: this.#runtime, inspect } : { input: this.#runtime },
    );
    this.#claims = new Claims(this.#runtime, this.#supervisor);
    const supervisor = this.#supervisor;
    supervisor.subscribe({
      error: (error) => {
        const snapshot = supervisor.getSnapshot();
        const children = Object.values(snapshot.children ?? {}) as AnyActorRef[];
        this.#failure = endAfterSupervisorFailure(snapshot.context, children, error);
      },
    });
  }

  /** The supervisor actor, for inspection (`getSnapshot()`, `subscribe()`). */
  get supervisor(): AnyActorRef {
    return this.#supervisor;
  }

  /**
   * Starts consuming: configures keyspace events, joins the LBS group,
   * recovers idle entries, then yields notifications until done() or abort.
   * Breaking out of the loop calls done().
   * The iterable has one reader at a time: a second loop over it while the
   * first runs throws a TypeError.
   * @throws {ClientClosedError} when start-up fails, init() was already called,
   *   or done() was called first.
   */
  async init({ signal }: { signal?: AbortSignal } = {}): Promise<AsyncIterable<Notification>> {
    if (this.#phase === "closed") {
      throw new ClientClosedError("The stream client was closed (done()) before init()");
    }
    if (this.#phase === "started") throw new ClientClosedError("init() was already called");
    this.#phase = "started";
    if (signal?.aborted) throw new ClientClosedError("aborted before init");
    signal?.addEventListener("abort", () => void this.done(), { once: true });
    this.#supervisor.start();
    this.#supervisor.send({ type: "START" });
    const snapshot = await waitFor(
      this.#supervisor,
      (s) => s.matches("running") || s.status === "done",
      { timeout: Infinity },
    ).catch((error) => {
      throw new ClientClosedError(`start-up failed: supervisor failed: ${describeError(error)}`, {
        cause: error,
      });
    });
    if (!snapshot.matches("running")) {
      // What a failed start-up had acquired is handed back first.
      await this.#settleInFlight();
      const { endReason, endCause } = snapshot.context;
      throw new ClientClosedError(endReason, {
        cause: endCause === undefined ? undefined : asLibraryError("start-up", endCause),
      });
    }
    return this.#runtime.queue;
  }

  /**
   * Takes over an expired stream: its lock (with a new fencing token) and its
   * LBS entry. Of several concurrent claimers exactly one wins. Claims made in
   * the same turn of the event loop go to Redis together: call it for each
   * StreamExpired without awaiting one before the next.
   * @throws {AlreadyClaimedError} when another consumer holds the lock.
   * @throws {StreamNotPendingError} when the stream was finished meanwhile.
   * @throws {DeadlineExceededError} when Redis did not answer in time; a claim
   *   that completes after that gives the lock back rather than keeping it unseen.
   * @throws {RedisCommandError} when Redis refused a command (its error is the `cause`).
   */
  claim(payload: LbsInfo): Promise<ClaimResult> {
    try {
      this.#assertRunning();
      const { dataStreamName, idInLbs } = (payload ?? {}) as Partial<LbsInfo>;
      if (typeof dataStreamName !== "string" || dataStreamName === "") {
        throw new TypeError(
          `claim() needs dataStreamName, a non-empty string; got ${describe(dataStreamName)}`,
        );
      }
      if (typeof idInLbs !== "string" || !isStreamId(idInLbs)) {
        throw new TypeError(
          `claim() needs idInLbs, the LBS entry's id ("<ms>-<seq>"); got ${describe(idInLbs)}`,
        );
      }
      return this.#claims.claim({ dataStreamName, idInLbs }).catch((error) => {
        throw asLibraryError(`claim of stream "${dataStreamName}"`, error);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Finishes a stream: in one script, while this acquisition owns it, acks and deletes its LBS
   * entry and deletes its lock, fence and index entry.
   * @throws {StreamNotOwnedError} when this consumer does not own it.
   * @throws {OwnershipLostError} when its lock turned out to be gone or taken:
   *   the entry is then left pending for the stream's current owner.
   * @throws {RedisCommandError} when Redis refused a command (its error is the `cause`).
   */
  async doneStream(dataStreamName: string): Promise<void> {
    const key = keyOfStream(this.#context(), dataStreamName);
    const ref = key === undefined ? undefined : this.#streams().get(key);
    if (!key || !ref) throw new StreamNotOwnedError(dataStreamName);
    if (this.#supervisor.getSnapshot().status !== "active") {
      throw new ClientClosedError(
        "The stream client's supervisor failed; its streams were handed back",
      );
    }
    this.#supervisor.send({ type: "RELEASE_STREAM", lockKey: key, mode: "finish" });
    const final = await waitFor(ref, (s) => s.status === "done", { timeout: Infinity });
    const error = final.context.releaseError;
    if (error instanceof OwnershipLostError) throw error;
    if (error !== undefined) {
      throw asLibraryError(`releasing stream "${dataStreamName}"`, error);
    }
  }

  /**
   * Stops the client: releases every owned stream's lock (their LBS entries
   * stay pending and peers are told at once, so one claims each), closes the
   * connections it opened and ends the iterator with StreamTerminated.
   * Before init() it resolves at once, and init() then rejects.
   */
  async done(): Promise<void> {
    if (this.#phase !== "started") {
      this.#phase = "closed";
      this.#runtime.queue.close();
      return;
    }
    const supervisor = this.#supervisor;
    if (supervisor.getSnapshot().status !== "active") {
      this.#runtime.queue.close();
      await this.#failure;
      await this.#feed?.idle();
      return;
    }
    supervisor.send({ type: "STOP", reason: "client done" });
    await waitFor(supervisor, (s) => s.status === "done", { timeout: Infinity });
    // Once claims in flight have ended, none of them still uses Redis.
    await this.#claims.idle();
    await this.#settleInFlight();
    await this.#feed?.idle(); // the last transitions and consumer.stopped are written
  }

  /**
   * Waits for the work nobody awaits (hand-backs, announcements), bounded like
   * releases: once it ends, the client sends no more commands.
   */
  async #settleInFlight(): Promise<void> {
    const graceMs = Math.max(5000, 2 * this.#runtime.options.heartbeatMs);
    await withDeadline(this.#runtime.inFlight.settled(), graceMs, "work in flight").catch(() => {});
    await this.#runtime.orphans.idle();
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
   * @throws {RedisCommandError} when Redis refused the write (its error is the `cause`).
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
    if (snapshot.status === "active" && snapshot.matches("running")) return;
    throw new ClientClosedError(
      snapshot.matches("idle") || snapshot.matches("starting")
        ? "The stream client is not running yet: await init() first"
        : "The stream client was stopped (done(), an aborted signal, a spent retry budget or a failure)",
    );
  }
}

/**
 * Writes `value` at `key` only while `ownership` is still the stream's
 * current acquisition (lock value and fencing token both match).
 * @throws {OwnershipLostError} otherwise.
 * @throws {RedisCommandError} when Redis refused the write (its error is the `cause`).
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
  ).catch((error) => {
    throw new RedisCommandError(`fenced write of "${key}"`, { cause: error });
  });
  if (Number(written) !== 1) {
    throw new OwnershipLostError(ownership.dataStreamName, ownership.fence);
  }
}

/** A value as an error message shows it. */
function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
