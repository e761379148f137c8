import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createGroupConsumer,
  createStreamClient,
  DeadLetters,
  publish,
  readOwnedStream,
  replayRange,
  type StreamOwnership,
} from "../mod.ts";
import { useRedis } from "./fixture/use_redis.ts";

const handler = () => {};
const ownership: StreamOwnership = {
  dataStreamName: "s",
  idInLbs: "1-0",
  lockKey: "k",
  lockValue: "v",
  fence: 1,
  signal: new AbortController().signal,
};

/** Asserts `fn` throws a `type` whose message matches `pattern`. */
function refuses(fn: () => unknown, type: typeof TypeError | typeof RangeError, pattern: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `a ${type.name}, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("options a careless user gets wrong", () => {
  const db = useRedis();
  const client = (options: object) => () =>
    createStreamClient(db.redis, "svc", options as Parameters<typeof createStreamClient>[2]);

  it("an unknown option is refused naming the closest valid one", () => {
    refuses(
      client({ heartbeat: 2000 }),
      TypeError,
      /Unknown option "heartbeat"; did you mean "heartbeatMs"\?/,
    );
    refuses(client({ bufferSise: 10 }), TypeError, /did you mean "bufferSize"/);
    refuses(
      client({ retry: { maxRetry: 3 } }),
      TypeError,
      /Unknown retry option "maxRetry"; did you mean "maxRetries"/,
    );
    refuses(
      client({ somethingElse: 1 }),
      TypeError,
      /Unknown option "somethingElse"\. Known: consumerId, heartbeatMs/,
    );
  });

  it("a numeric string is told it must be a number", () => {
    refuses(
      client({ heartbeatMs: "2000" }),
      TypeError,
      /^heartbeatMs must be a number; got string "2000"$/,
    );
    refuses(client({ retry: { maxRetries: "3" } }), TypeError, /retry.maxRetries must be a number/);
    refuses(client({ heartbeatMs: 1.5 }), TypeError, /heartbeatMs must be an integer; got 1.5/);
  });

  it("a logger lacking a method is refused at creation, naming the method", () => {
    const logger = { debug() {}, info() {}, error() {} };
    refuses(client({ logger }), TypeError, /logger lacks the method warn\(\)/);
    refuses(
      client({ metrics: { recordClaimAttempt: 5 } }),
      TypeError,
      /metrics.recordClaimAttempt must be a function/,
    );
  });

  it("the message layer's options are checked the same way", async () => {
    const group = (extra: object) => () =>
      createGroupConsumer(db.redis, { stream: "s", group: "g", handler, ...extra });
    refuses(
      group({ concurency: 2 }),
      TypeError,
      /Unknown group consumer option "concurency"; did you mean "concurrency"/,
    );
    refuses(group({ batchSize: "10" }), TypeError, /batchSize must be a number/);
    refuses(group({ logger: { info() {} } }), TypeError, /logger lacks the method debug\(\)/);
    refuses(
      group({ reaper: { intervalMS: 5 } }),
      TypeError,
      /Unknown reaper option "intervalMS"; did you mean "intervalMs"/,
    );
    refuses(group({ retry: { maxAttempt: 2 } }), TypeError, /did you mean "maxAttempts"/);
    refuses(
      group({ retry: { baseDelayMs: "5" } }),
      TypeError,
      /retry.baseDelayMs must be a number/,
    );
    refuses(group({ deadLetters: { stram: "x" } }), TypeError, /did you mean "stream"/);
    refuses(
      () => readOwnedStream(db.redis, ownership, { batchsize: 5 } as never),
      TypeError,
      /did you mean "batchSize"/,
    );
    refuses(
      () => new DeadLetters(db.redis, { stream: "s", maxReplay: 1 } as never),
      TypeError,
      /did you mean "maxReplays"/,
    );
    await assert.rejects(
      () =>
        publish(db.redis, "s", { type: "t", payload: "p" }, { retension: { maxLen: 1 } } as never),
      /Unknown publish option "retension"; did you mean "retention"/,
    );
    await assert.rejects(
      () =>
        publish(
          db.redis,
          "s",
          { type: "t", payload: "p" },
          { retention: { maxLen: "9" } } as never,
        ),
      /retention.maxLen must be a number/,
    );
    await assert.rejects(async () => {
      for await (const _ of replayRange(db.redis, "s", { pagesize: 5 } as never)) break;
    }, /did you mean "pageSize"/);
  });
});
