/**
 * The supervisor starts stream actors from `acquiredStreamSnapshot` instead of
 * from `acquired`: both must be the same actor from then on.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AnyActorRef, createActor } from "xstate";
import type { Acquisition, AcquisitionOrigin } from "../src/acquisition.ts";
import { acquiredStreamSnapshot, streamMachine } from "../src/machines/stream_machine.ts";
import type { StreamInput } from "../src/machines/stream_types.ts";

function inputFor(origin: AcquisitionOrigin): StreamInput {
  const acquisition: Acquisition = {
    lockKey: "lock:s:1-0",
    lockValue: "c~a.1",
    fence: 7,
    dataStreamName: "s",
    idInLbs: "1-0",
    info: { region: "eu", nested: { depth: [1, 2] } },
    origin,
  };
  return { acquisition, heartbeatMs: 1000, report: () => {} };
}

/** What a caller can observe of a stream actor's snapshot. */
function observable(actor: AnyActorRef) {
  const { status, value, context, children } = actor.getSnapshot();
  return {
    status,
    value,
    acquisition: context.acquisition,
    ownershipEnded: context.ownershipEnded.ended,
    children: Object.keys(children),
    keys: Object.keys(context).sort(),
  };
}

describe("stream actor started from its acquired snapshot", () => {
  for (const origin of ["lbs", "recovery", "claim"] as const) {
    it(`matches an actor that resolved 'acquired' itself (origin ${origin})`, () => {
      const input = inputFor(origin);
      const resolved = createActor(streamMachine, { input }).start();
      const restored = createActor(streamMachine, {
        input,
        snapshot: acquiredStreamSnapshot(input),
      }).start();
      assert.deepEqual(observable(restored), observable(resolved));
      assert.equal(restored.getSnapshot().value, origin === "claim" ? "claimed" : "assigned");
      assert.ok(
        Math.abs(
          restored.getSnapshot().context.confirmedUntil -
            resolved.getSnapshot().context.confirmedUntil,
        ) < 50,
        "its lock is known to be ours for one TTL from now",
      );
      // And it moves on the same events to the same states.
      for (
        const event of [{ type: "HEARTBEAT_OK", until: 5 }, { type: "LOCK_LOST", reason: "taken" }]
      ) {
        resolved.send(event as never);
        restored.send(event as never);
        assert.deepEqual(observable(restored), observable(resolved));
      }
      assert.equal(restored.getSnapshot().value, "disowned");
      assert.equal(restored.getSnapshot().context.ownershipEnded.ended, true);
    });
  }

  it("an unprovided release fails the release with an explanation instead of a crash", async () => {
    const input = inputFor("lbs");
    const actor = createActor(streamMachine, { input, snapshot: acquiredStreamSnapshot(input) });
    actor.start();
    actor.send({ type: "RELEASE", mode: "finish" });
    const error = await new Promise<unknown>((resolve) =>
      actor.subscribe((s) => {
        if (s.status === "done") resolve(s.context.releaseError);
      })
    );
    assert.match(String(error), /provide\(\{ actors: \{ releaseStream \} \}\)/);
  });
});
