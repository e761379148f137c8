/**
 * Model-based testing of your own handling of a stream's ownership, against
 * the library's stream machine. `xstate/graph` walks the machine's paths
 * (`getShortestPaths` and `getSimplePaths`: assigned | claimed → heartbeating
 * → expired | disowned | released); each path is replayed on a real stream
 * actor, your handler subscribed to it, and at every state the handler is
 * checked against what that state demands. (`createTestModel` would replay
 * them for you, but refuses machines that invoke actors, and the stream
 * machine invokes its release.)
 *
 * Here the handler is a worker that processes a stream and keeps a
 * checkpoint: it may process only while the stream is owned, commits its
 * checkpoint when the stream is released, and must never commit once the
 * lock was lost (a successor owns the stream then).
 *
 *   npx tsx examples/model_based_test.ts
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Actor, createActor, fromPromise, type SnapshotFrom } from "xstate";
import { getShortestPaths, getSimplePaths } from "xstate/graph";
import {
  type Acquisition,
  type AcquisitionOrigin,
  type ReleaseInput,
  type StreamEvent,
  type StreamInput,
  type StreamMachine,
  streamMachine,
} from "../mod.ts";

type StreamSnapshot = SnapshotFrom<StreamMachine>;

const OWNING = ["assigned", "claimed", "heartbeating"] as const;

/** The handler under test: your code that reacts to ownership. */
export class CheckpointingWorker {
  processed = 0;
  committed: number | undefined = undefined;
  abandoned = false;
  #owning = false;

  constructor(actor: Actor<StreamMachine>) {
    this.#observe(actor.getSnapshot());
    actor.subscribe((snapshot) => this.#observe(snapshot));
  }

  /** Processes one message if the stream is still ours; false when it is not. */
  process(): boolean {
    if (!this.#owning) return false;
    this.processed++;
    return true;
  }

  #observe(snapshot: StreamSnapshot): void {
    this.#owning = OWNING.some((state) => snapshot.matches(state));
    if (snapshot.matches("released")) this.committed = this.processed;
    if (snapshot.matches("expired") || snapshot.matches("disowned")) this.abandoned = true;
  }
}

/** The events the walk may send, with the payloads that tell its branches apart. */
const events: StreamEvent[] = [
  { type: "HEARTBEAT_OK", until: 0 },
  { type: "LOCK_LOST", reason: "expired" },
  { type: "LOCK_LOST", reason: "taken" },
  { type: "RELEASE", mode: "finish" },
  { type: "RELEASE", mode: "handover" },
];

function inputFor(origin: AcquisitionOrigin): StreamInput {
  const acquisition: Acquisition = {
    dataStreamName: "orders",
    idInLbs: "1-0",
    lockKey: "orders<MUTEX_KEY_SEP>1-0",
    lockValue: "example~1",
    fence: 1,
    info: {},
    origin,
  };
  return { acquisition, heartbeatMs: 2000, report: () => {} };
}

function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/**
 * Replays every shortest and every simple path of the stream machine, from an
 * LBS assignment and from a claim, against a fresh actor and worker each.
 * @throws {Error} naming the state whose demand the worker did not meet.
 * @returns how many paths were checked, and the states they reached.
 */
export async function checkHandlingOnEveryPath(
  Worker: new (actor: Actor<StreamMachine>) => CheckpointingWorker = CheckpointingWorker,
): Promise<{ paths: number; states: string[] }> {
  // The walk itself is pure: it never starts the release actor.
  const machine = streamMachine;
  const reached = new Set<string>();
  let checked = 0;
  for (const origin of ["lbs", "claim"] as const) {
    const input = inputFor(origin);
    const traversal = {
      input,
      events: [...events, { type: "xstate.done.actor.release" } as unknown as StreamEvent],
      // A state is its value and what decides its branches; the rest of the context is the same.
      serializeState: (snapshot: StreamSnapshot) =>
        JSON.stringify([snapshot.value, snapshot.context.lossReason, snapshot.context.releaseMode]),
    };
    const paths = [...getShortestPaths(machine, traversal), ...getSimplePaths(machine, traversal)];
    for (const path of paths) {
      // The release actor does the Redis work in the client; here it succeeds when the path says.
      let finishRelease = () => {};
      const released = new Promise<void>((resolve) => (finishRelease = resolve));
      const releaseStream = fromPromise<void, ReleaseInput>(() => released);
      const actor = createActor(machine.provide({ actors: { releaseStream } }), { input }).start();
      const worker = new Worker(actor);
      for (const step of path.steps) {
        await perform(actor, step.event as StreamEvent | { type: string }, finishRelease);
        const state = String(step.state.value);
        assert(actor.getSnapshot().matches(state as never), `the actor is in ${state}`);
        checkWorker(worker, state);
        reached.add(state);
      }
      actor.stop();
      checked++;
    }
  }
  return { paths: checked, states: [...reached].sort() };
}

/** Makes a step's event happen to the actor. */
async function perform(
  actor: Actor<StreamMachine>,
  event: StreamEvent | { type: string },
  finishRelease: () => void,
): Promise<void> {
  if (event.type === "xstate.init") return; // the path's first step: the actor started there
  if (event.type === "xstate.done.actor.release") {
    // Not sent: the release actor's own end is that event.
    finishRelease();
    await new Promise<void>((resolve) => {
      if (actor.getSnapshot().status === "done") return resolve();
      actor.subscribe({ complete: resolve });
    });
    return;
  }
  actor.send(event as StreamEvent);
}

/** What each state demands of the worker. */
function checkWorker(worker: CheckpointingWorker, state: string): void {
  switch (state) {
    case "assigned":
    case "claimed":
    case "heartbeating":
      assert(worker.process(), `${state}: the worker may process`);
      assert(worker.committed === undefined && !worker.abandoned, `${state}: nothing ended yet`);
      return;
    case "releasing":
      assert(!worker.process(), "releasing: the worker stops processing");
      return;
    case "released":
      assert(worker.committed === worker.processed, "released: the checkpoint is committed");
      assert(!worker.abandoned, "released: not abandoned");
      return;
    case "expired":
    case "disowned":
      assert(!worker.process(), `${state}: the worker must stop processing`);
      assert(worker.abandoned, `${state}: the worker abandoned the stream`);
      assert(worker.committed === undefined, `${state}: a lost stream is never committed`);
      return;
    default:
      throw new Error(`no check for state ${state}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { paths, states } = await checkHandlingOnEveryPath();
  console.log(`${paths} paths passed, reaching ${states.join(", ")}`);
}
