import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ItemFailure, TickBatch } from "../src/tick_batch.ts";

describe("TickBatch", () => {
  it("serves the calls of one turn of the event loop with one run, each its own result", async () => {
    const runs: number[][] = [];
    const batch = new TickBatch((items: readonly number[]) => {
      runs.push([...items]);
      return Promise.resolve(items.map((n) => n * 10));
    });
    // Calls made across awaits of the same turn (as a for-await over buffered items makes them).
    const results: Promise<number>[] = [];
    for (let i = 1; i <= 3; i++) {
      results.push(batch.add(i));
      await Promise.resolve();
    }
    assert.deepEqual(await Promise.all(results), [10, 20, 30]);
    assert.deepEqual(runs, [[1, 2, 3]]);
    assert.equal(await batch.add(4), 40);
    assert.deepEqual(runs, [[1, 2, 3], [4]], "a later turn gets a run of its own");
  });

  it("an item whose own result fails, fails alone", async () => {
    const batch = new TickBatch((items: readonly string[]) =>
      Promise.resolve(
        items.map((item) => item === "bad" ? Promise.reject(new Error("bad item")) : item),
      )
    );
    const [good, bad] = await Promise.allSettled([batch.add("good"), batch.add("bad")]);
    assert.deepEqual(good, { status: "fulfilled", value: "good" });
    assert.equal(bad.status, "rejected");
  });

  it("a run that fails, or throws before it starts, fails every item of its batch", async () => {
    for (
      const run of [
        () => Promise.reject(new Error("no answer")),
        () => {
          throw new Error("thrown");
        },
      ]
    ) {
      const batch = new TickBatch<number, number>(run);
      const settled = await Promise.allSettled([batch.add(1), batch.add(2)]);
      assert.deepEqual(settled.map((s) => s.status), ["rejected", "rejected"]);
    }
  });

  it("an ItemFailure fails its item with the error it carries", async () => {
    const batch = new TickBatch((items: readonly number[]) =>
      Promise.resolve(items.map((n) => n < 0 ? new ItemFailure(new RangeError(`${n}`)) : n))
    );
    const [ok, failed] = await Promise.allSettled([batch.add(1), batch.add(-1)]);
    assert.deepEqual(ok, { status: "fulfilled", value: 1 });
    assert.ok(failed.status === "rejected" && failed.reason instanceof RangeError);
  });

  it("idle() resolves once queued items and running batches are answered", async () => {
    let answer = () => {};
    const batch = new TickBatch((items: readonly number[]) =>
      new Promise<number[]>((resolve) => (answer = () => resolve([...items])))
    );
    await batch.idle(); // nothing queued: at once
    const item = batch.add(1);
    let idle = false;
    const idled = batch.idle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 20)); // the batch runs, unanswered
    assert.equal(idle, false, "not idle while a batch waits for its answer");
    answer();
    await idled;
    assert.equal(await item, 1);
  });
});
