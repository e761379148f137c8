/** Runs every benchmark scenario at a tiny size, so the benchmark code cannot rot. No timings asserted. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runBenchmarks } from "../bench/run.ts";
import { renderReport } from "../bench/report.ts";

describe("benchmarks (smoke)", () => {
  it("every scenario runs at the smoke scale and renders a report", async () => {
    const results = await runBenchmarks("smoke", () => {});
    assert.ok(results.takeover.length > 0);
    assert.ok(results.takeover.every((t) => t.max >= 0));
    assert.equal(results.throughput.length, 2);
    assert.equal(results.cost.length, 2); // without and with the idle refresh
    assert.equal(results.messages.length, 3);
    assert.equal(results.burst.length, 3);
    assert.equal(results.feed.length, 1);
    assert.ok(results.feed[0]!.feedEntries >= results.feed[0]!.transitions, "every transition fed");
    assert.match(renderReport(results), /# Benchmarks/);
  });
});
