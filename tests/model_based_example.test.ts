/**
 * The README's model-based testing example runs: every shortest and simple
 * path of the exported stream machine is replayed against a user's worker,
 * and a worker that mishandles a lost stream is caught.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Actor } from "xstate";
import type { StreamMachine } from "../mod.ts";
import { checkHandlingOnEveryPath, CheckpointingWorker } from "../examples/model_based_test.ts";

describe("model-based testing example", () => {
  it("replays every path of the stream machine against the worker and reaches every state", async () => {
    const { paths, states } = await checkHandlingOnEveryPath();
    assert.ok(paths >= 20, `only ${paths} paths`);
    assert.deepEqual(states, [
      "assigned",
      "claimed",
      "disowned",
      "expired",
      "heartbeating",
      "released",
      "releasing",
    ]);
  });

  it("fails for a worker that commits a stream it lost", async () => {
    /** Flushes its checkpoint whenever the stream ends, lost or not: a stale owner's write. */
    class CommitsWhenLost extends CheckpointingWorker {
      constructor(actor: Actor<StreamMachine>) {
        super(actor);
        actor.subscribe((snapshot) => {
          if (snapshot.status === "done") this.committed = this.processed;
        });
      }
    }
    await assert.rejects(
      checkHandlingOnEveryPath(CommitsWhenLost),
      /a lost stream is never committed/,
    );
  });
});
