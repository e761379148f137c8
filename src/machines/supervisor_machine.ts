/**
 * The client's supervisor: starts up, then runs four things side by side —
 * the LBS reader, the expiry listener, one shared heartbeat for all owned
 * streams and the sweeper — and keeps one stream actor per owned stream.
 * It is also the notification broker: every notification is queued here.
 *
 * Owned streams live in a Map keyed by lock key that actions update in place,
 * so taking one more stream costs O(1) rather than a copy of them all. For the
 * same reason stream actors are started with createActor and report through a
 * callback instead of being spawned children: XState copies a parent's
 * children record on every spawn and stop.
 */
import { type Actor, assign, createActor, enqueueActions, setup } from "xstate";
import type { Acquisition } from "../acquisition.ts";
import { heartbeatActor, type HeartbeatLock, type HeartbeatOutput } from "../actors/heartbeat.ts";
import { type ExpiryEvent, expiryListenerActor } from "../actors/expiry_listener.ts";
import { lbsReaderActor, type LbsReaderEvent } from "../actors/lbs_reader.ts";
import { handBack, releaseStreamActorFor } from "../actors/release_stream.ts";
import { leaveActor, startupActor } from "../actors/startup.ts";
import { sweeperActor } from "../actors/sweeper.ts";
import { lockKey } from "../keys.ts";
import { type Notification, NotificationType, terminatedNotification } from "../notifications.ts";
import type { ClientRuntime } from "../runtime.ts";
import { acquiredStreamSnapshot, streamMachine } from "./stream_machine.ts";
import type { StreamReport } from "./stream_types.ts";
import { describeError } from "../errors.ts";

export type StreamActorRef = Actor<typeof streamMachine>;

export type SupervisorEvent =
  | { type: "START" }
  | { type: "STOP"; reason?: string }
  | { type: "RELEASE_STREAM"; lockKey: string; mode: "finish" | "handover" }
  | LbsReaderEvent
  | ExpiryEvent
  | StreamReport;

export interface SupervisorContext {
  readonly runtime: ClientRuntime;
  /** The stream machine, its release bound to this client's Redis. */
  readonly streamLogic: typeof streamMachine;
  readonly streams: Map<string, StreamActorRef>;
  /** Lock key of each owned stream by name, so doneStream(name) is O(1). */
  readonly keysByName: Map<string, string>;
  /** Locks given up because Redis was unreachable, until a heartbeat settles them in Redis. */
  readonly unsettled: Map<string, HeartbeatLock>;
  /** Heartbeats in a row that Redis did not answer in time. */
  readonly unansweredBeats: number;
  /**
   * Until when (local clock) every lock the last answered beat extended is known to be ours.
   * A stream's own `confirmedUntil` covers the time before its first beat.
   */
  readonly confirmedUntil: number;
  /** When the sweeper looks again: sooner than its interval when a client falls due before. */
  readonly nextSweepInMs: number;
  readonly endReason: string;
  /** The error behind `endReason` when one ended the client (start-up or a reader failed). */
  readonly endCause?: unknown;
}

const OWNING_STATES: ReadonlySet<unknown> = new Set(["assigned", "claimed", "heartbeating"]);

/** Whether a stream actor's lock is currently held (not releasing or lost). */
function isOwning(ref: StreamActorRef): boolean {
  const snapshot = ref.getSnapshot();
  return snapshot.status === "active" && OWNING_STATES.has(snapshot.value);
}

/** Stream actors whose lock is currently held. */
export function owningStreams(streams: Map<string, StreamActorRef>): StreamActorRef[] {
  const owning: StreamActorRef[] = [];
  for (const ref of streams.values()) if (isOwning(ref)) owning.push(ref);
  return owning;
}

function notify(runtime: ClientRuntime, notification: Notification): void {
  runtime.queue.pushUrgent(notification);
}

export const supervisorMachine = setup({
  types: {
    input: {} as ClientRuntime,
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
  },
  actors: {
    startup: startupActor,
    leave: leaveActor,
    lbsReader: lbsReaderActor,
    expiryListener: expiryListenerActor,
    heartbeat: heartbeatActor,
    sweeper: sweeperActor,
  },
  delays: {
    heartbeatPeriod: ({ context }) => Math.floor(context.runtime.options.heartbeatMs / 2),
    sweepPeriod: ({ context }) => context.nextSweepInMs,
    releaseGrace: ({ context }) => Math.max(5000, context.runtime.options.heartbeatMs * 2),
  },
  guards: {
    noStreamsLeft: ({ context }) => context.streams.size === 0,
  },
  actions: {
    /**
     * Adopts acquisitions up to maxOwnedStreams; the rest (a claim and a read that
     * completed together can overshoot the cap) are left for `handBackUnadopted`.
     */
    adopt: assign({
      streams: ({ context, self }, acquisitions: readonly Acquisition[]) => {
        const { runtime, streams, streamLogic } = context;
        const { heartbeatMs, maxOwnedStreams } = runtime.options;
        const report = (event: StreamReport) => self.send(event);
        const room = Math.max(0, maxOwnedStreams - streams.size);
        for (const acquisition of acquisitions.slice(0, room)) {
          const key = acquisition.lockKey;
          const input = { acquisition, heartbeatMs, report };
          // Started from the state it would reach (see acquiredStreamSnapshot); `input` is then
          // unused. `parent` puts the actor in the supervisor's actor system instead of a new
          // system of its own: about 1.9 KB less per owned stream.
          const snapshot = acquiredStreamSnapshot(input);
          const options = { id: key, input, snapshot, parent: self };
          streams.set(key, createActor(streamLogic, options).start());
          context.unsettled.delete(key);
          context.keysByName.set(acquisition.dataStreamName, key);
          runtime.options.metrics.recordStreamProcessingStart?.(
            acquisition.dataStreamName,
            Date.now(),
          );
          runtime.options.metrics.recordStreamAcquired?.(
            acquisition.dataStreamName,
            acquisition.origin,
            acquisition.fence,
          );
          if (acquisition.origin === "claim") continue;
          notify(runtime, {
            type: NotificationType.StreamAdded,
            payload: { dataStreamName: acquisition.dataStreamName, idInLbs: acquisition.idInLbs },
            additionalInfo: acquisition.info,
            fence: acquisition.fence,
          });
        }
        runtime.options.metrics.recordOwnedStreams?.(streams.size);
        return streams;
      },
    }),
    rememberUnsettled: (
      { context },
      params: { report: StreamReport & { type: "STREAM_LOST" } },
    ) => {
      if (params.report.reason !== "unreachable") return;
      const ref = context.streams.get(params.report.lockKey);
      if (ref) {
        context.unsettled.set(params.report.lockKey, heartbeatLockOf(ref.getSnapshot().context));
      }
    },
    forget: assign({
      streams: ({ context }, params: { dataStreamName: string; key: string }) => {
        if (context.keysByName.get(params.dataStreamName) === params.key) {
          context.keysByName.delete(params.dataStreamName);
        }
        if (context.streams.delete(params.key)) {
          context.runtime.options.metrics.recordStreamProcessingEnd?.(
            params.dataStreamName,
            Date.now(),
          );
          context.runtime.options.metrics.recordOwnedStreams?.(context.streams.size);
        }
        return context.streams;
      },
    }),
    reportLoss: ({ context }, params: { report: StreamReport & { type: "STREAM_LOST" } }) => {
      const { dataStreamName, idInLbs, reason } = params.report;
      context.runtime.options.metrics.recordStreamDisowned?.(dataStreamName, reason);
      notify(context.runtime, {
        type: NotificationType.StreamDisowned,
        payload: { dataStreamName, idInLbs },
        additionalInfo: { reason },
      });
    },
    announceExpiry: ({ context, event }) => {
      if (event.type !== "LOCKS_GONE") return;
      const { queue, options } = context.runtime;
      // At its cap this client could not claim them: they are left to its peers (and announced
      // again by reconciliation while nobody claims them).
      if (context.streams.size >= options.maxOwnedStreams) return;
      for (const { dataStreamName, idInLbs, info } of event.notices) {
        const key = lockKey(dataStreamName, idInLbs);
        // An announcement says the lock was gone at some moment, which may precede our own
        // (re)acquisition of it: a sweeper's late orphan notice must not disown a fresh claim.
        // Whether we still hold a lock is the heartbeat's to say, within half a TTL.
        if (context.streams.has(key)) continue;
        context.runtime.takeoverClock?.heard(key);
        const outcome = queue.pushCoalesced(key, {
          type: NotificationType.StreamExpired,
          payload: { dataStreamName, idInLbs },
          additionalInfo: info,
        });
        // Not lost: it waits for room (one per stream). Counted under the Go library's
        // "dropped" metric, which is what a full buffer meant there.
        if (outcome === "coalesced") options.metrics.recordKspNotificationDropped?.();
      }
    },
    deliverHeartbeat: enqueueActions(
      ({ context, enqueue }, params: { output: HeartbeatOutput }) => {
        for (const key of params.output.settled) context.unsettled.delete(key);
        for (const outcome of params.output.outcomes) {
          const ref = context.streams.get(outcome.lockKey);
          if (!ref) continue;
          if (outcome.outcome === "held") {
            // Only a first confirmation changes a stream's state; later ones are kept once,
            // for all streams, in `confirmedUntil`: no event per stream per beat.
            if (!ref.getSnapshot().matches("heartbeating")) {
              enqueue.sendTo(ref, { type: "HEARTBEAT_OK", until: outcome.until });
            }
          } else if (outcome.outcome === "lost") {
            enqueue.sendTo(ref, { type: "LOCK_LOST", reason: outcome.reason });
          }
        }
      },
    ),
    noteBeat: assign({
      confirmedUntil: ({ context }, params: { output: HeartbeatOutput }) =>
        params.output.answered ? params.output.until : context.confirmedUntil,
      unansweredBeats: ({ context }, params: { output: HeartbeatOutput }) => {
        if (!params.output.answered) return context.unansweredBeats + 1;
        if (context.unansweredBeats > 0) {
          context.runtime.options.logger.info("Redis answers again; every lock re-verified", {
            unansweredBeats: context.unansweredBeats,
            held: owningStreams(context.streams).length,
            lostMeanwhile: params.output.settled.length,
          });
        }
        return 0;
      },
    }),
    releaseAll: enqueueActions(({ context, enqueue }) => {
      for (const ref of owningStreams(context.streams)) {
        enqueue.sendTo(ref, { type: "RELEASE", mode: "handover" });
      }
    }),
    /** Stops the stream actors still held at the end (releases that outlived the grace period). */
    endOwnerships: enqueueActions(({ context, enqueue }) => {
      for (const ref of context.streams.values()) {
        ref.getSnapshot().context.ownershipEnded.end();
        enqueue.stopChild(ref); // they are in the supervisor's system: stopped through it
      }
    }),
    /**
     * Acquisitions that complete while the client stops (a claim or a read in flight when done()
     * was called), or beyond maxOwnedStreams, are not adopted: their locks are released and the
     * streams announced, so a peer takes them at once.
     */
    handBack: ({ context }, acquisitions: readonly Acquisition[]) => {
      for (const acquisition of acquisitions) {
        context.runtime.inFlight.track(
          handBack(context.runtime, acquisition).catch(
            (error) =>
              context.runtime.options.logger.warn("could not hand back a stream", {
                dataStreamName: acquisition.dataStreamName,
                error: describeError(error),
              }),
          ),
        );
      }
    },
    closeQueue: ({ context }) => {
      notify(context.runtime, terminatedNotification(context.endReason));
      context.runtime.queue.close();
    },
  },
}).createMachine({
  id: "supervisor",
  context: ({ input }) => ({
    runtime: input,
    streamLogic: streamMachine.provide({ actors: { releaseStream: releaseStreamActorFor(input) } }),
    streams: new Map(),
    keysByName: new Map(),
    unsettled: new Map(),
    unansweredBeats: 0,
    confirmedUntil: 0,
    nextSweepInMs: 0, // at once: a consumer that starts finds what went stale while none ran
    endReason: "",
  }),
  initial: "idle",
  on: {
    STREAM_LOST: {
      actions: [
        { type: "rememberUnsettled", params: ({ event }) => ({ report: event }) },
        {
          type: "forget",
          params: ({ event }) => ({ dataStreamName: event.dataStreamName, key: event.lockKey }),
        },
        { type: "reportLoss", params: ({ event }) => ({ report: event }) },
      ],
    },
    STREAM_RELEASED: {
      actions: {
        type: "forget",
        params: ({ event }) => ({ dataStreamName: event.dataStreamName, key: event.lockKey }),
      },
    },
    RELEASE_STREAM: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const ref = context.streams.get(event.lockKey);
        if (ref) enqueue.sendTo(ref, { type: "RELEASE", mode: event.mode });
      }),
    },
  },
  states: {
    idle: {
      on: {
        START: "starting",
        STOP: { target: "stopped", actions: assign({ endReason: "client done before start" }) },
      },
    },
    starting: {
      invoke: {
        src: "startup",
        input: ({ context }) => context.runtime,
        onDone: {
          target: "running",
          actions: [
            { type: "adopt", params: ({ event }) => event.output },
            { type: "handBack", params: ({ context, event }) => unadopted(context, event.output) },
          ],
        },
        onError: {
          target: "terminated",
          actions: assign({
            endReason: ({ event }) => `start-up failed: ${describeError(event.error)}`,
            endCause: ({ event }) => event.error,
          }),
        },
      },
      on: {
        STOP: {
          target: "stopped",
          actions: assign({ endReason: ({ event }) => event.reason ?? "client done" }),
        },
      },
    },
    running: {
      type: "parallel",
      invoke: [
        {
          src: "lbsReader",
          // The streams map is updated in place, so this reads the current count.
          input: ({ context }) => ({
            runtime: context.runtime,
            ownedStreams: () => context.streams.size,
          }),
        },
        { src: "expiryListener", input: ({ context }) => context.runtime },
      ],
      on: {
        STREAMS_ACQUIRED: {
          actions: [
            { type: "adopt", params: ({ event }) => event.acquisitions },
            {
              type: "handBack",
              params: ({ context, event }) => unadopted(context, event.acquisitions),
            },
          ],
        },
        LOCKS_GONE: { actions: "announceExpiry" },
        READER_FAILED: {
          target: "terminated",
          actions: assign({
            endReason: ({ event }) => `${event.source} gave up: ${describeError(event.error)}`,
            endCause: ({ event }) => event.error,
          }),
        },
        STOP: {
          target: "stopping",
          actions: assign({ endReason: ({ event }) => event.reason ?? "client done" }),
        },
      },
      states: {
        heartbeat: {
          initial: "waiting",
          states: {
            waiting: { after: { heartbeatPeriod: "beating" } },
            beating: {
              invoke: {
                src: "heartbeat",
                input: ({ context }) => ({
                  runtime: context.runtime,
                  locks: owningStreams(context.streams).map((ref) =>
                    heartbeatLockOf(ref.getSnapshot().context, context.confirmedUntil)
                  ),
                  unsettled: [...context.unsettled.values()],
                }),
                onDone: {
                  target: "waiting",
                  actions: [
                    {
                      type: "deliverHeartbeat",
                      params: ({ event }) => ({ output: event.output }),
                    },
                    {
                      type: "noteBeat",
                      params: ({ event }) => ({ output: event.output }),
                    },
                  ],
                },
                onError: "waiting",
              },
            },
          },
        },
        sweep: {
          initial: "waiting",
          states: {
            waiting: { after: { sweepPeriod: "sweeping" } },
            sweeping: {
              invoke: {
                src: "sweeper",
                input: ({ context }) => context.runtime,
                onDone: {
                  target: "waiting",
                  actions: assign({ nextSweepInMs: ({ event }) => event.output.nextSweepInMs }),
                },
                onError: {
                  target: "waiting",
                  actions: assign({
                    nextSweepInMs: ({ context }) => context.runtime.options.sweepIntervalMs,
                  }),
                },
              },
            },
          },
        },
      },
    },
    stopping: {
      entry: "releaseAll",
      on: {
        STREAMS_ACQUIRED: {
          actions: { type: "handBack", params: ({ event }) => event.acquisitions },
        },
      },
      always: { guard: "noStreamsLeft", target: "leaving" },
      after: { releaseGrace: "leaving" },
    },
    leaving: {
      on: {
        STREAMS_ACQUIRED: {
          actions: { type: "handBack", params: ({ event }) => event.acquisitions },
        },
      },
      invoke: {
        src: "leave",
        input: ({ context }) => context.runtime,
        onDone: "stopped",
        onError: "stopped",
      },
    },
    stopped: { type: "final", entry: ["endOwnerships", "closeQueue"] },
    terminated: { type: "final", entry: ["endOwnerships", "closeQueue"] },
  },
});

/**
 * What the heartbeat needs of an owned stream. Its lock is known to be ours
 * until the later of its own confirmation and the last answered beat's.
 */
export function heartbeatLockOf(
  { acquisition, confirmedUntil }: { acquisition: Acquisition; confirmedUntil: number },
  lastBeatUntil = 0,
): HeartbeatLock {
  const { dataStreamName, idInLbs, info, lockKey, lockValue } = acquisition;
  return {
    dataStreamName,
    idInLbs,
    info,
    lockKey,
    lockValue,
    confirmedUntil: Math.max(confirmedUntil, lastBeatUntil),
  };
}

/**
 * The acquisitions `adopt` left out (over maxOwnedStreams). Read after it:
 * action params are resolved in order, each with the context so far.
 */
function unadopted(
  context: SupervisorContext,
  acquisitions: readonly Acquisition[],
): Acquisition[] {
  // Below the cap after adopting: everything fitted.
  if (context.streams.size < context.runtime.options.maxOwnedStreams) return [];
  return acquisitions.filter((acquisition) => !context.streams.has(acquisition.lockKey));
}

/** The lock key of a stream this consumer owns right now, by the stream's name. */
export function keyOfStream(
  context: SupervisorContext,
  dataStreamName: string,
): string | undefined {
  const key = context.keysByName.get(dataStreamName);
  const ref = key === undefined ? undefined : context.streams.get(key);
  if (!ref) return undefined;
  return isOwning(ref) ? key : undefined;
}
