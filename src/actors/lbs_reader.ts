/**
 * Reads the LBS through the service's consumer group and turns each entry
 * into an owned stream.
 *
 * Each read takes no more than this consumer's fair share of a burst (see
 * FairShare), its room under maxOwnedStreams, and the room in the
 * notification queue, so a slow reader of the iterator pauses it and unread
 * entries wait in Redis. Blocking reads use their own connection so they
 * never delay heartbeats.
 */
import { type CallbackActorLogic, fromCallback } from "xstate";
import type { Acquisition } from "../acquisition.ts";
import type { RedisClient } from "../redis/client.ts";
import type { ClientRuntime } from "../runtime.ts";
import { assignEntry } from "./assign_entry.ts";
import { handBack } from "./release_stream.ts";
import { backoffDelay, pause } from "./backoff.ts";
import { withDeadline } from "./deadline.ts";
import { streamMessages } from "../redis/stream_reply.ts";
import { ensureGroup } from "./startup.ts";
import { closeConnection } from "../redis/close_connection.ts";
import { FairShare } from "../fair_share.ts";
import { describeError } from "../errors.ts";

export type LbsReaderEvent =
  | { type: "STREAMS_ACQUIRED"; acquisitions: readonly Acquisition[] }
  | { type: "READER_FAILED"; source: string; error: unknown };

export interface LbsReaderInput {
  readonly runtime: ClientRuntime;
  /** How many streams the client owns now. */
  readonly ownedStreams: () => number;
}

export const lbsReaderActor: CallbackActorLogic<{ type: "noop" }, LbsReaderInput> = fromCallback(
  ({ input: { runtime, ownedStreams }, sendBack }) => {
    const stop = new AbortController();
    // Tracked: what it acquired as the client stopped is handed back before done() resolves.
    runtime.inFlight.track(
      readLoop(runtime, ownedStreams, stop.signal, (event: LbsReaderEvent) => sendBack(event)),
    );
    return () => stop.abort();
  },
);

async function readLoop(
  runtime: ClientRuntime,
  ownedStreams: () => number,
  signal: AbortSignal,
  emit: (event: LbsReaderEvent) => void,
): Promise<void> {
  const { options, queue } = runtime;
  const blocking = runtime.redis.duplicate() as RedisClient;
  blocking.on("error", () => {/* reported through the failed read below */});
  let failures = 0;
  // connect() keeps retrying while Redis is down, so it is awaited under a deadline
  // inside the loop: an unreachable Redis spends the retry budget like a failed read.
  const connected = blocking.connect();
  connected.catch(() => {});
  signal.addEventListener("abort", () => closeConnection(blocking, connected), { once: true });
  const fairShare = new FairShare(runtime);
  try {
    while (!signal.aborted) {
      if (!(await queue.waitForRoom(signal))) break;
      try {
        await withDeadline(connected, readDeadlineMs(runtime), "connecting the LBS reader");
        const count = await withDeadline(
          fairShare.allowance(ownedStreams(), Math.min(options.lbsBatchSize, queue.room)),
          readDeadlineMs(runtime),
          "measuring the LBS backlog",
        );
        if (count === 0) {
          // At the cap, or past the fair share: come back as an idle read would.
          await pause(options.lbsBlockMs, signal);
          continue;
        }
        const entries = await readBatch(runtime, blocking, count);
        failures = 0;
        await assignBatch(runtime, entries, signal, emit);
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        const budget = options.retry.maxRetries;
        options.logger.warn("LBS read failed; retrying", {
          attempt: failures,
          error: describeError(error),
        });
        if (budget !== -1 && failures > budget) {
          emit({ type: "READER_FAILED", source: "lbs-reader", error });
          return;
        }
        await pause(backoffDelay(failures - 1, options.retry), signal);
        if (signal.aborted) break;
        // A Redis that restarted without persistence lost the LBS and its group.
        if (String((error as Error)?.message).includes("NOGROUP")) {
          await ensureGroup(runtime).catch(() => {});
        }
      }
    }
  } catch (error) {
    if (!signal.aborted) emit({ type: "READER_FAILED", source: "lbs-reader", error });
  } finally {
    closeConnection(blocking, connected);
  }
}

/**
 * Assigns a batch and hands over its acquisitions as one event. The wait is
 * bounded; what completes after the deadline is still handed over (or, once
 * the client is stopping, handed back), never left held with nobody beating it.
 */
async function assignBatch(
  runtime: ClientRuntime,
  entries: ReadonlyArray<{ id: string; message: Record<string, string> }>,
  signal: AbortSignal,
  emit: (event: LbsReaderEvent) => void,
): Promise<void> {
  const deliver = (acquisitions: readonly (Acquisition | undefined)[]) => {
    const held = acquisitions.filter((a): a is Acquisition => a !== undefined);
    if (held.length === 0) return;
    if (!signal.aborted) emit({ type: "STREAMS_ACQUIRED", acquisitions: held });
    else for (const acquisition of held) runtime.inFlight.track(handBack(runtime, acquisition));
  };
  const assignments = entries.map(({ id, message }) => assignEntry(runtime, id, message, "lbs"));
  try {
    deliver(
      await withDeadline(
        Promise.all(assignments),
        readDeadlineMs(runtime),
        "assigning LBS entries",
      ),
    );
  } catch (error) {
    for (const assignment of assignments) {
      runtime.inFlight.track(assignment.then((acquisition) => deliver([acquisition])));
    }
    throw error;
  }
}

async function readBatch(runtime: ClientRuntime, blocking: RedisClient, count: number) {
  const { options } = runtime;
  const timeoutMs = readDeadlineMs(runtime);
  const reply = await withDeadline(
    blocking.withCommandOptions({ timeout: timeoutMs }).xReadGroup(
      runtime.lbsGroup,
      runtime.consumerId,
      { key: runtime.lbsStream, id: ">" },
      { COUNT: count, BLOCK: options.lbsBlockMs },
    ),
    timeoutMs,
    "XREADGROUP on the LBS",
  );
  return streamMessages(reply);
}

/** How long a blocking read (or the reader's connect) may take before it counts as failed. */
function readDeadlineMs({ options }: ClientRuntime): number {
  return options.lbsBlockMs + Math.max(1000, options.heartbeatMs);
}
