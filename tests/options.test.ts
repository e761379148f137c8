import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createStreamClient, DEFAULTS } from "../mod.ts";
import { resolveOptions } from "../src/options.ts";
import { CONSUMER_PREFIX, resolveConsumerId } from "../src/consumer_id.ts";
import { silentLogger } from "../src/observability.ts";

describe("options", () => {
  it("applies the Go library's defaults", () => {
    const resolved = resolveOptions({});
    assert.equal(resolved.heartbeatMs, 2000);
    assert.equal(resolved.lbsIdleMs, 40_000);
    assert.equal(resolved.lbsRecoveryCount, 1000);
    assert.equal(resolved.bufferSize, 500);
    assert.deepEqual(resolved.retry, { maxRetries: 5, initialDelayMs: 100, maxDelayMs: 30_000 });
    assert.equal(resolved.keyspaceConfig, "merge");
    assert.equal(DEFAULTS.heartbeatMs, 2000);
  });

  it("rejects lbsIdleMs below twice the heartbeat with a RangeError naming both", () => {
    assert.throws(
      () => resolveOptions({ heartbeatMs: 2000, lbsIdleMs: 3999 }),
      (e: unknown) => e instanceof RangeError && /lbsIdleMs must be at least 4000/.test(e.message),
    );
  });

  it("rejects non-integers with a TypeError naming the option", () => {
    assert.throws(() => resolveOptions({ heartbeatMs: 1.5 }), /heartbeatMs must be an integer/);
    assert.throws(
      () => resolveOptions({ bufferSize: "10" as unknown as number }),
      TypeError,
    );
    assert.throws(() => resolveOptions({ retry: { maxRetries: -2 } }), RangeError);
    assert.throws(
      () => resolveOptions({ retry: { initialDelayMs: 500, maxDelayMs: 100 } }),
      /retry.maxDelayMs must be at least 500/,
    );
  });

  it("accepts maxRetries -1 for unlimited retries", () => {
    assert.equal(resolveOptions({ retry: { maxRetries: -1 } }).retry.maxRetries, -1);
  });

  it("rejects an unknown keyspaceConfig mode", () => {
    assert.throws(
      () => resolveOptions({ keyspaceConfig: "always" as "merge" }),
      /keyspaceConfig must be one of merge, force, skip/,
    );
  });

  it("createStreamClient rejects a missing client or service", () => {
    assert.throws(() => createStreamClient(undefined as never, "svc"), TypeError);
    assert.throws(() => createStreamClient({ duplicate() {} } as never, ""), TypeError);
  });
});

describe("consumer id", () => {
  it("maxOwnedStreams defaults to unlimited and takes a positive integer or Infinity", () => {
    assert.equal(resolveOptions({}).maxOwnedStreams, Infinity);
    assert.equal(resolveOptions({ maxOwnedStreams: 50 }).maxOwnedStreams, 50);
    assert.equal(resolveOptions({ maxOwnedStreams: Infinity }).maxOwnedStreams, Infinity);
    assert.throws(
      () => resolveOptions({ maxOwnedStreams: 0 }),
      (e: unknown) =>
        e instanceof RangeError && /maxOwnedStreams must be at least 1/.test(e.message),
    );
    assert.throws(() => resolveOptions({ maxOwnedStreams: 2.5 }), TypeError);
  });

  it("prefers consumerId, then POD_NAME, then POD_IP", () => {
    const env = { POD_NAME: "web-1", POD_IP: "10.0.0.1" };
    assert.equal(resolveConsumerId("mine", env, silentLogger), "mine");
    assert.equal(resolveConsumerId(undefined, env, silentLogger), `${CONSUMER_PREFIX}web-1`);
    assert.equal(
      resolveConsumerId(undefined, { POD_IP: "10.0.0.1" }, silentLogger),
      "redis-consumer-10.0.0.1",
    );
  });

  it("generates and logs a unique id when nothing is set", () => {
    const logged: unknown[] = [];
    const logger = { ...silentLogger, info: (_m: string, f?: unknown) => void logged.push(f) };
    const a = resolveConsumerId(undefined, {}, logger);
    const b = resolveConsumerId(undefined, {}, logger);
    assert.notEqual(a, b);
    assert.ok(a.startsWith(CONSUMER_PREFIX));
    assert.deepEqual(logged[0], { consumerId: a });
  });

  it("rejects an empty consumerId", () => {
    assert.throws(() => resolveConsumerId("  ", {}, silentLogger), TypeError);
  });
});
