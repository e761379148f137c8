/**
 * The machines as the package exports them. Their full XState types are too
 * large for JSR's fast type checking, so they are published as
 * `AnyStateMachine`; the event and context types are exported beside them.
 */
import type { AnyStateMachine } from "xstate";
import { streamMachine as typedStreamMachine } from "./stream_machine.ts";
import { supervisorMachine as typedSupervisorMachine } from "./supervisor_machine.ts";

/**
 * The life of one owned stream: assigned | claimed → heartbeating → expired |
 * disowned | released. Inspect it, visualise it, or test against it with
 * `streamMachine.provide({ actors: { releaseStream } })`.
 */
export const streamMachine: AnyStateMachine = typedStreamMachine;

/** The client's supervisor: start-up, LBS reader, expiry listener, heartbeat and sweeper. */
export const supervisorMachine: AnyStateMachine = typedSupervisorMachine;
