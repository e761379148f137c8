/**
 * The machines as the package exports them, with declared types (JSR's fast
 * type check reads declared types only; the inferred ones are not written out).
 * The stream machine's type is exact; the supervisor's keeps its context,
 * events and input exact and its invoked actors general.
 */
import type {
  AnyActorRef,
  EventObject,
  MetaObject,
  NonReducibleUnknown,
  ParameterizedObject,
  ProvidedActor,
  StateMachine,
} from "xstate";
import type { ClientRuntime } from "../runtime.ts";
import {
  type SupervisorContext,
  type SupervisorEvent,
  supervisorMachine as typedSupervisorMachine,
} from "./supervisor_machine.ts";

export {
  acquiredStreamSnapshot,
  type ReleaseStreamLogic,
  type StreamMachine,
  streamMachine,
  type StreamStateValue,
} from "./stream_machine.ts";

/** States of the supervisor: `running` runs its heartbeat and sweep regions side by side. */
export type SupervisorStateValue =
  | "idle"
  | "starting"
  | { running: { heartbeat: "waiting" | "beating"; sweep: "waiting" | "sweeping" } }
  | "stopping"
  | "leaving"
  | "stopped"
  | "terminated";

type Leaf = Record<string, never>;

/** The supervisor machine's type: exact context, events, input and states; its actors in general. */
export type SupervisorMachine = StateMachine<
  SupervisorContext,
  SupervisorEvent,
  Record<string, AnyActorRef | undefined>,
  ProvidedActor,
  ParameterizedObject,
  ParameterizedObject,
  "heartbeatPeriod" | "sweepPeriod" | "releaseGrace",
  SupervisorStateValue,
  string,
  ClientRuntime,
  NonReducibleUnknown,
  EventObject,
  MetaObject,
  {
    id: "supervisor";
    states: {
      readonly idle: Leaf;
      readonly starting: Leaf;
      readonly running: {
        states: {
          readonly heartbeat: { states: { readonly waiting: Leaf; readonly beating: Leaf } };
          readonly sweep: { states: { readonly waiting: Leaf; readonly sweeping: Leaf } };
        };
      };
      readonly stopping: Leaf;
      readonly leaving: Leaf;
      readonly stopped: Leaf;
      readonly terminated: Leaf;
    };
  }
>;

/** The client's supervisor: start-up, LBS reader, expiry listener, heartbeat and sweeper. */
export const supervisorMachine: SupervisorMachine = typedSupervisorMachine;
