/**
 * Model-based test: xstate/graph walks every simple path of the stream
 * machine, and each step is made to happen for real against Redis (a lock
 * extended, expired, taken or released) before the event is sent.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createActor } from "xstate";
import { getSimplePaths } from "xstate/graph";
import { addStream, lockKey, streamMachine } from "../mod.ts";
import type { Acquisition, AcquisitionOrigin } from "../src/acquisition.ts";
import { heartbeat } from "../src/actors/heartbeat.ts";
import { releaseStreamActorFor } from "../src/actors/release_stream.ts";
import { ensureGroup } from "../src/actors/startup.ts";
import type { RedisClient } from "../src/redis/client.ts";
import type { StreamEvent, StreamReport } from "../src/machines/stream_types.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { testRuntime } from "./helpers/test_runtime.ts";
import { waitUntil } from "./fixture/wait.ts";

const modelEvents: StreamEvent[] = [
  { type: "HEARTBEAT_OK", until: 0 },
  { type: "LOCK_LOST", reason: "expired" },
  { type: "LOCK_LOST", reason: "taken" },
  { type: "RELEASE", mode: "finish" },
  { type: "RELEASE", mode: "handover" },
];

/** Every simple path of the machine from an acquisition of the given origin. */
function pathsFor(origin: AcquisitionOrigin) {
  const acquisition = { origin } as Acquisition;
  // The walk is pure: reports to a parent and the abort of ownership happen in the real run.
  const model = streamMachine.provide({
    actions: { reportLoss: () => {}, reportReleased: () => {}, endOwnership: () => {} },
  });
  return getSimplePaths(model, {
    input: { acquisition, heartbeatMs: 1000, report: () => {} },
    events: [...modelEvents, { type: "xstate.done.actor.release" } as unknown as StreamEvent],
    serializeState: (snapshot) =>
      JSON.stringify([snapshot.value, snapshot.context.lossReason, snapshot.context.releaseMode]),
  });
}

describe("stream machine, model-based against real Redis", () => {
  const db = useRedis();

  for (const origin of ["lbs", "claim"] as const) {
    it(`every simple path from an acquisition via ${origin} behaves as modelled`, async () => {
      const paths = pathsFor(origin);
      assert.ok(paths.length >= 6, `expected several paths, got ${paths.length}`);
      const visited = new Set<string>();
      for (const path of paths) {
        const world = await freshWorld(db.redis, origin);
        for (const step of path.steps) {
          const execute = world.events[step.event.type as keyof typeof world.events];
          if (execute) await execute({ event: step.event as StreamEvent });
          const state = String(step.state.value);
          visited.add(state);
          const check = world.states[state as keyof typeof world.states];
          assert.ok(check, `no check for state ${state}`);
          assert.equal(
            String(world.stream().getSnapshot().value),
            state,
            "actor follows the model",
          );
          await check();
        }
        world.actor.stop();
      }
      for (const state of ["heartbeating", "expired", "disowned", "releasing", "released"]) {
        assert.ok(visited.has(state), `the walk reached ${state}`);
      }
      assert.ok(visited.has(origin === "claim" ? "claimed" : "assigned"));
    });
  }
});

async function freshWorld(redis: RedisClient, origin: AcquisitionOrigin) {
  const service = uniqueName();
  const runtime = testRuntime(redis, service, { heartbeatMs: 1000 }, "model");
  const { options } = runtime;
  await ensureGroup(runtime);
  const idInLbs = await addStream(redis, service, { dataStreamName: "s", info: {} });
  await redis.xReadGroup(runtime.lbsGroup, "model", { key: runtime.lbsStream, id: ">" });
  const result = await runtime.locks.acquire("s", idInLbs, options.heartbeatMs);
  assert.ok("held" in result);
  const acquisition: Acquisition = {
    ...result.held,
    dataStreamName: "s",
    idInLbs,
    info: {},
    origin,
  };
  const reports: StreamReport[] = [];
  const machine = streamMachine.provide({
    actors: { releaseStream: releaseStreamActorFor(runtime) },
  });
  const actor = createActor(machine, {
    input: {
      acquisition,
      heartbeatMs: options.heartbeatMs,
      report: (r: StreamReport) => void reports.push(r),
    },
  }).start();
  const stream = () => actor;
  const key = lockKey("s", idInLbs);
  let releaseMode: "finish" | "handover" = "finish";

  const beat = async () => {
    const { confirmedUntil } = stream().getSnapshot().context;
    const { outcomes: [outcome] } = await heartbeat({
      runtime,
      locks: [{ ...acquisition, confirmedUntil }],
    });
    return outcome!;
  };
  const lostReport = () => reports.find((r) => r.type === "STREAM_LOST");
  const ownershipEnded = () => stream().getSnapshot().context.ownershipEnded.ended;
  const lockIsOurs = async () => assert.equal(await redis.get(key), acquisition.lockValue);

  const states = {
    assigned: lockIsOurs,
    claimed: lockIsOurs,
    heartbeating: async () => {
      await lockIsOurs();
      assert.ok((await redis.pTTL(key)) > 0);
    },
    expired: async () => {
      assert.equal(await redis.exists(key), 0);
      assert.ok(ownershipEnded());
      assert.equal(lostReport()?.type === "STREAM_LOST" && lostReport()?.reason, "expired");
    },
    disowned: async () => {
      assert.notEqual(await redis.get(key), acquisition.lockValue);
      assert.ok(ownershipEnded());
      assert.equal(lostReport()?.type === "STREAM_LOST" && lostReport()?.reason, "taken");
    },
    releasing: () => assert.ok(ownershipEnded()),
    released: async () => {
      assert.equal(await redis.exists(key), 0);
      const entry = await redis.xRange(runtime.lbsStream, idInLbs, idInLbs);
      assert.equal(entry?.length ?? 0, releaseMode === "finish" ? 0 : 1);
    },
  };
  const events = {
    HEARTBEAT_OK: async () => {
      const outcome = await beat();
      assert.equal(outcome.outcome, "held");
      if (outcome.outcome === "held") stream().send({ type: "HEARTBEAT_OK", until: outcome.until });
    },
    LOCK_LOST: async ({ event }: { event: StreamEvent }) => {
      if (event.type !== "LOCK_LOST") return;
      if (event.reason === "taken") await redis.set(key, "intruder~1");
      else {
        await redis.pExpire(key, 1);
        await waitUntil(async () => (await redis.exists(key)) === 0);
      }
      const outcome = await beat();
      assert.deepEqual(outcome, { lockKey: key, outcome: "lost", reason: event.reason });
      stream().send({ type: "LOCK_LOST", reason: event.reason });
    },
    RELEASE: ({ event }: { event: StreamEvent }) => {
      if (event.type !== "RELEASE") return;
      releaseMode = event.mode;
      // Hold the release until the model steps into "released", so "releasing" can be checked.
      stream().send(event);
    },
    "xstate.done.actor.release": async () => {
      await waitUntil(() => stream().getSnapshot().status === "done", { message: "release" });
    },
  };
  return { actor, stream, states, events };
}
