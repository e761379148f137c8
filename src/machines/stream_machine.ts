/**
 * The life of one owned stream.
 *
 * A stream is `assigned` (from the LBS or start-up recovery) or `claimed`
 * (taken over with claim()), then `heartbeating` once its lock has been
 * extended. It ends `released` (doneStream / done), `expired` (its lock's
 * TTL passed: the owner stalled) or `disowned` (another acquisition holds the
 * lock). Timers and Redis I/O live outside: the supervisor's shared heartbeat
 * sends HEARTBEAT_OK / LOCK_LOST, and release runs in an invoked actor.
 */
import { assign, setup } from "xstate";
import { releaseStreamActor } from "../actors/release_stream.ts";
import { OwnershipEnd } from "../ownership_end.ts";
import type { StreamContext, StreamEvent, StreamInput } from "./stream_types.ts";

const streamSetup = setup({
  types: {
    input: {} as StreamInput,
    context: {} as StreamContext,
    events: {} as StreamEvent,
  },
  actors: { releaseStream: releaseStreamActor },
  guards: {
    wasClaimed: ({ context }) => context.acquisition.origin === "claim",
    lostToExpiry: ({ context }) => context.lossReason !== "taken",
  },
  actions: {
    confirm: assign({
      confirmedUntil: ({ event }) => (event.type === "HEARTBEAT_OK" ? event.until : 0),
    }),
    recordLoss: assign({
      lossReason: ({ event }) => (event.type === "LOCK_LOST" ? event.reason : undefined),
    }),
    recordReleaseMode: assign({
      releaseMode: ({ event }) => (event.type === "RELEASE" ? event.mode : undefined),
    }),
    endOwnership: ({ context }) => context.ownershipEnded.end(),
    reportReleased: ({ context }) =>
      context.report({
        type: "STREAM_RELEASED",
        lockKey: context.acquisition.lockKey,
        dataStreamName: context.acquisition.dataStreamName,
        error: context.releaseError,
      }),
    reportLoss: ({ context }) =>
      context.report({
        type: "STREAM_LOST",
        lockKey: context.acquisition.lockKey,
        dataStreamName: context.acquisition.dataStreamName,
        idInLbs: context.acquisition.idInLbs,
        reason: context.lossReason ?? "expired",
      }),
  },
});

/**
 * The machine, starting in `initial`. Exported as `streamMachine`, it starts in
 * `acquired` and moves at once to `assigned` or `claimed` by the acquisition's
 * origin; the supervisor starts its actors in the state they would reach, as
 * resolving the transient state costs a third of creating an actor, and it
 * creates thousands at a time.
 */
function streamMachineStartingAt(initial: "acquired" | "assigned" | "claimed") {
  return streamSetup.createMachine({
    id: "stream",
    context: ({ input }) => ({
      acquisition: input.acquisition,
      runtime: input.runtime,
      report: input.report,
      ownershipEnded: new OwnershipEnd(),
      confirmedUntil: Date.now() + input.runtime.options.heartbeatMs,
    }),
    initial,
    states: {
      acquired: {
        always: [{ guard: "wasClaimed", target: "claimed" }, { target: "assigned" }],
      },
      assigned: {
        on: {
          HEARTBEAT_OK: { target: "heartbeating", actions: "confirm" },
          LOCK_LOST: { target: "lost", actions: "recordLoss" },
          RELEASE: { target: "releasing", actions: "recordReleaseMode" },
        },
      },
      claimed: {
        on: {
          HEARTBEAT_OK: { target: "heartbeating", actions: "confirm" },
          LOCK_LOST: { target: "lost", actions: "recordLoss" },
          RELEASE: { target: "releasing", actions: "recordReleaseMode" },
        },
      },
      heartbeating: {
        on: {
          HEARTBEAT_OK: { actions: "confirm" },
          LOCK_LOST: { target: "lost", actions: "recordLoss" },
          RELEASE: { target: "releasing", actions: "recordReleaseMode" },
        },
      },
      lost: {
        entry: ["endOwnership", "reportLoss"],
        always: [{ guard: "lostToExpiry", target: "expired" }, { target: "disowned" }],
      },
      expired: { type: "final" },
      disowned: { type: "final" },
      releasing: {
        entry: "endOwnership",
        invoke: {
          id: "release",
          src: "releaseStream",
          input: ({ context }) => ({
            runtime: context.runtime,
            dataStreamName: context.acquisition.dataStreamName,
            idInLbs: context.acquisition.idInLbs,
            lockKey: context.acquisition.lockKey,
            lockValue: context.acquisition.lockValue,
            fence: context.acquisition.fence,
            info: context.acquisition.info,
            mode: context.releaseMode ?? "finish",
          }),
          onDone: { target: "released", actions: "reportReleased" },
          onError: {
            target: "released",
            actions: [assign({ releaseError: ({ event }) => event.error }), "reportReleased"],
          },
        },
      },
      released: { type: "final" },
    },
  });
}

export const streamMachine = streamMachineStartingAt("acquired");

/** The machine as the supervisor starts it for an acquisition of the given origin. */
export const streamMachineFor = {
  lbs: streamMachineStartingAt("assigned"),
  recovery: streamMachineStartingAt("assigned"),
  claim: streamMachineStartingAt("claimed"),
} as const;
