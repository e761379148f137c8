/**
 * The life of one owned stream.
 *
 * A stream is `assigned` (from the LBS or start-up recovery) or `claimed`
 * (taken over with claim()), then `heartbeating` once its lock has been
 * extended. It ends `released` (doneStream / done), `expired` (its lock's
 * TTL passed: the owner stalled) or `disowned` (another acquisition holds the
 * lock). Timers and Redis I/O live outside: the supervisor's shared heartbeat
 * sends HEARTBEAT_OK / LOCK_LOST, and release runs in an invoked actor,
 * `releaseStream`, which the supervisor provides bound to its client's Redis.
 */
import {
  type ActorRefFromLogic,
  assign,
  type EventObject,
  fromPromise,
  type MetaObject,
  type NonReducibleUnknown,
  type PromiseActorLogic,
  setup,
  type Snapshot,
  type StateMachine,
} from "xstate";
import type { ReleaseInput } from "../actors/release_stream.ts";
import { OwnershipEnd } from "../ownership_end.ts";
import type { StreamContext, StreamEvent, StreamInput } from "./stream_types.ts";

/** The release actor until one is provided: the machine alone has no Redis to release in. */
const unprovidedRelease: PromiseActorLogic<void, ReleaseInput> = fromPromise(() =>
  Promise.reject(
    new Error("streamMachine has no Redis of its own: provide({ actors: { releaseStream } })"),
  )
);

const streamSetup = setup({
  types: {
    input: {} as StreamInput,
    context: {} as StreamContext,
    events: {} as StreamEvent,
  },
  actors: { releaseStream: unprovidedRelease },
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

/** A stream's context right after its acquisition. */
function initialContext(input: StreamInput): StreamContext {
  return {
    acquisition: input.acquisition,
    report: input.report,
    ownershipEnded: new OwnershipEnd(),
    confirmedUntil: Date.now() + input.heartbeatMs,
  };
}

/** The release actor's logic: gives up the lock (and the LBS entry, when finishing). */
export type ReleaseStreamLogic = PromiseActorLogic<void, ReleaseInput>;

/** States of the stream machine. */
export type StreamStateValue =
  | "acquired"
  | "assigned"
  | "claimed"
  | "heartbeating"
  | "lost"
  | "expired"
  | "disowned"
  | "releasing"
  | "released";

/**
 * The stream machine's type, written out rather than inferred (JSR's fast type
 * check reads declared types only): its context, events, input, the
 * `releaseStream` actor, and the actions and guards `provide` can replace.
 */
export type StreamMachine = StateMachine<
  StreamContext,
  StreamEvent,
  { [id: string]: ActorRefFromLogic<ReleaseStreamLogic> | undefined },
  { src: "releaseStream"; logic: ReleaseStreamLogic; id: string | undefined },
  | { type: "confirm"; params: NonReducibleUnknown }
  | { type: "recordLoss"; params: NonReducibleUnknown }
  | { type: "recordReleaseMode"; params: NonReducibleUnknown }
  | { type: "endOwnership"; params: unknown }
  | { type: "reportReleased"; params: unknown }
  | { type: "reportLoss"; params: unknown },
  { type: "wasClaimed"; params: unknown } | { type: "lostToExpiry"; params: unknown },
  never,
  StreamStateValue,
  string,
  StreamInput,
  NonReducibleUnknown,
  EventObject,
  MetaObject,
  {
    id: "stream";
    states: { readonly [state in StreamStateValue]: Record<string, never> };
  }
>;

/**
 * The machine. It starts in `acquired` and moves at once to `assigned` or
 * `claimed` by the acquisition's origin. Its `releaseStream` actor must be
 * provided: the supervisor binds it to its client's Redis.
 */
export const streamMachine: StreamMachine = streamSetup.createMachine({
  id: "stream",
  context: ({ input }) => initialContext(input),
  initial: "acquired",
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

/**
 * The snapshot a stream actor has right after its acquisition: `assigned` or
 * `claimed` by the acquisition's origin, where `acquired` leads at once. The
 * supervisor starts its stream actors from it (`createActor(machine, { snapshot })`)
 * rather than from `acquired`: resolving the initial transitions costs more
 * than half of creating an actor, and a takeover creates thousands at a time.
 * Those states have no entry actions, so nothing is skipped.
 */
export function acquiredStreamSnapshot(input: StreamInput): Snapshot<unknown> {
  const value = input.acquisition.origin === "claim" ? "claimed" : "assigned";
  return {
    status: "active",
    output: undefined,
    error: undefined,
    value,
    context: initialContext(input),
    children: {},
    historyValue: {},
  } as Snapshot<unknown>;
}
