import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NotificationQueue } from "../src/notification_queue.ts";

describe("NotificationQueue", () => {
  it("push waits for room and resumes when the reader takes an item", async () => {
    const queue = new NotificationQueue<number>(2);
    assert.equal(await queue.push(1), true);
    assert.equal(await queue.push(2), true);
    let third = false;
    const pushed = queue.push(3).then(() => (third = true));
    await Promise.resolve();
    assert.equal(third, false, "the third push waits");
    assert.deepEqual(await queue.next(), { value: 1, done: false });
    await pushed;
    assert.equal(queue.size, 2);
  });

  it("a reader of thousands of queued items lets timers (the heartbeat) run in between", async () => {
    const queue = new NotificationQueue<number>(10);
    for (let i = 0; i < 2000; i++) queue.pushUrgent(i);
    queue.close();
    let timerRanAt: number | undefined;
    let read = 0;
    setTimeout(() => (timerRanAt = read), 0);
    for await (const _ of queue) read++;
    assert.equal(read, 2000);
    assert.ok(timerRanAt !== undefined && timerRanAt < 2000, `the timer ran at item ${timerRanAt}`);
  });

  it("pushUrgent is accepted beyond capacity", () => {
    const queue = new NotificationQueue<number>(1);
    assert.equal(queue.pushUrgent(1), true);
    assert.equal(queue.room, 0);
    assert.equal(queue.pushUrgent(3), true);
    assert.equal(queue.size, 2);
  });

  it("pushCoalesced parks items when full, one per key, and delivers them as room frees", async () => {
    const queue = new NotificationQueue<string>(1);
    assert.equal(queue.pushCoalesced("a", "a1"), "queued");
    assert.equal(queue.pushCoalesced("b", "b1"), "coalesced");
    assert.equal(queue.pushCoalesced("c", "c1"), "coalesced");
    assert.equal(queue.pushCoalesced("b", "b2"), "coalesced", "a repeat replaces the parked one");
    assert.equal(queue.overflowSize, 2);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push((await queue.next()).value as string);
    assert.deepEqual(seen, ["a1", "c1", "b2"]);
    assert.equal(queue.overflowSize, 0);
  });

  it("close ends iteration after the queued items", async () => {
    const queue = new NotificationQueue<number>(5);
    queue.pushUrgent(1);
    queue.pushUrgent(2);
    queue.close();
    const seen: number[] = [];
    for await (const n of queue) seen.push(n);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(queue.pushUrgent(3), false, "a closed queue takes nothing");
  });

  it("breaking out of for-await calls onReturn", async () => {
    let returned = 0;
    const queue = new NotificationQueue<number>(5, () => returned++);
    queue.pushUrgent(1);
    for await (const _ of queue) break;
    assert.equal(returned, 1);
    assert.equal(queue.closed, true);
  });

  it("waitForRoom gives up when its signal aborts", async () => {
    const queue = new NotificationQueue<number>(1);
    queue.pushUrgent(1);
    const abort = new AbortController();
    const waiting = queue.waitForRoom(abort.signal);
    abort.abort();
    assert.equal(await waiting, false);
  });

  it("a second iteration while the first is live throws a TypeError and leaves the first intact", async () => {
    const queue = new NotificationQueue<number>(5);
    const first = queue[Symbol.asyncIterator]();
    const waiting = first.next();
    assert.throws(() => queue[Symbol.asyncIterator](), TypeError);
    await assert.rejects(queue.next(), TypeError, "a second waiting next() is refused too");
    queue.pushUrgent(7);
    assert.deepEqual(await waiting, { value: 7, done: false }, "the first reader still gets it");
    queue.close();
    assert.deepEqual(await first.next(), { value: undefined, done: true });
  });

  it("a new iteration may start once the previous one ended", async () => {
    const queue = new NotificationQueue<number>(5);
    queue.pushUrgent(1);
    queue.pushUrgent(2);
    for await (const item of { [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator]() }) {
      assert.equal(item, 1);
      break;
    }
    const again = queue[Symbol.asyncIterator]();
    assert.deepEqual(await again.next(), { value: 2, done: false });
  });
});
