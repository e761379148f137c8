/**
 * toMermaid / toDot draw a machine from its definition: states, nesting,
 * parallel regions, initial and final states, events and guards on edges.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { type AnyStateMachine, setup } from "xstate";
import { streamMachine, supervisorMachine, toDot, toMermaid } from "../mod.ts";

/** A machine with every feature a diagram must show. */
const sample = setup({
  types: { events: {} as { type: "GO" } | { type: "STOP" } | { type: "PING" } },
  guards: { ready: () => true },
  actors: {},
  delays: { soon: 10 },
}).createMachine({
  id: "sample",
  initial: "idle",
  on: { PING: { actions: () => {} } },
  states: {
    idle: { on: { GO: { target: "busy", guard: "ready" } } },
    busy: {
      type: "parallel",
      on: { STOP: "done" },
      states: {
        left: {
          initial: "a",
          states: { a: { after: { soon: "b" } }, b: { on: { PING: "a" } } },
        },
        right: { initial: "a", states: { a: {} } },
      },
    },
    done: { type: "final" },
  },
});

describe("toMermaid", () => {
  it("draws the stream machine's states, initial and final states and events", () => {
    const text = toMermaid(streamMachine);
    const lines = text.split("\n").map((line) => line.trim());
    assert.equal(lines[0], "stateDiagram-v2");
    for (
      const line of [
        "[*] --> acquired",
        "acquired --> claimed : [wasClaimed]",
        "acquired --> assigned",
        "assigned --> heartbeating : HEARTBEAT_OK",
        "heartbeating --> heartbeating : HEARTBEAT_OK",
        "heartbeating --> lost : LOCK_LOST",
        "lost --> expired : [lostToExpiry]",
        "releasing : invoke releaseStream",
        "releasing --> released : releaseStream done",
        "releasing --> released : releaseStream error",
        "released --> [*]",
        "expired --> [*]",
        "disowned --> [*]",
      ]
    ) assert.ok(lines.includes(line), `missing "${line}" in\n${text}`);
  });

  it("draws nested and parallel states as composites with regions split by --", () => {
    const text = toMermaid(sample);
    const lines = text.split("\n").map((line) => line.trim());
    for (
      const line of [
        "[*] --> idle",
        "idle --> busy : GO [ready]",
        "state busy {",
        "state busy_left {",
        "[*] --> busy_left_a",
        'state "a" as busy_left_a',
        "busy_left_a --> busy_left_b : after soon",
        "busy_left_b --> busy_left_a : PING",
        "--",
        "state busy_right {",
        "busy --> done : STOP",
        "done --> [*]",
        "in every state: PING",
      ]
    ) assert.ok(lines.includes(line), `missing "${line}" in\n${text}`);
  });

  it("draws the supervisor with both parallel regions of running", () => {
    const text = toMermaid(supervisorMachine);
    assert.match(
      text,
      /state running \{[\s\S]*state running_heartbeat \{[\s\S]*--[\s\S]*state running_sweep \{/,
    );
    assert.match(
      text,
      /running_heartbeat_waiting --> running_heartbeat_beating : after heartbeatPeriod/,
    );
    assert.match(text, /running --> stopping : STOP/);
    // Mermaid draws one of several self-loops on a composite: they are one edge.
    assert.match(text, /running --> running : STREAMS_ACQUIRED, LOCKS_GONE\n/);
  });

  it("throws a TypeError for something that is not a machine", () => {
    assert.throws(() => toMermaid({} as AnyStateMachine), TypeError);
    assert.throws(() => toDot(null as unknown as AnyStateMachine), TypeError);
  });
});

describe("toDot", () => {
  it("draws clusters for compound states, points for initial states, double circles for final", () => {
    const text = toDot(sample);
    assert.match(text, /^digraph "sample" \{/);
    assert.match(
      text,
      /subgraph "cluster_busy" \{\n\s+label="busy \(parallel\)";\n\s+style=dashed;/,
    );
    assert.match(text, /"busy_left__initial" -> "busy_left_a";/);
    assert.match(text, /"done" \[label="done", shape=doublecircle/);
    assert.match(text, /"idle" -> "busy__anchor" \[label="GO \[ready\]", lhead="cluster_busy"\];/);
    assert.match(text, /"busy__anchor" -> "done" \[label="STOP", ltail="cluster_busy"\];/);
    assert.match(text, /"busy_left_a" -> "busy_left_b" \[label="after soon"\];/);
  });

  const graphviz = !spawnSync("dot", ["-V"]).error;
  const skip = graphviz ? false : "Graphviz's dot is not installed";
  it("is accepted by Graphviz without a warning", { skip }, () => {
    for (const machine of [streamMachine, supervisorMachine, sample]) {
      const run = spawnSync("dot", ["-Tsvg"], { input: toDot(machine), encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr, "", `Graphviz warned:\n${run.stderr}`);
      assert.match(run.stdout, /<svg/);
    }
  });
});
