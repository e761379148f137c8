/** rsc diagram draws the machines from their definitions, offline. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { streamMachine, toDot, toMermaid } from "../../mod.ts";
import { rsc } from "./run_rsc.ts";

describe("rsc diagram", () => {
  it("prints the stream machine as Mermaid and the supervisor as DOT, needing no Redis", async () => {
    const [mermaid, dot] = await Promise.all([
      rsc(["diagram", "stream"], { env: { REDIS_URL: "redis://127.0.0.1:1" } }),
      rsc(["diagram", "supervisor", "--format", "dot"]),
    ]);
    assert.equal(mermaid.code, 0, mermaid.stderr);
    assert.equal(mermaid.stdout, toMermaid(streamMachine).trimEnd() + "\n");
    assert.match(mermaid.stdout, /^stateDiagram-v2\n/);
    assert.equal(dot.code, 0, dot.stderr);
    assert.match(dot.stdout, /^digraph "supervisor" \{/);
    assert.notEqual(dot.stdout, toDot(streamMachine).trimEnd() + "\n");
  });
});
