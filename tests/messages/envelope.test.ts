import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeEnvelope, encodeEnvelope, MalformedEnvelopeError } from "../../mod.ts";

describe("message envelope", () => {
  it("writes thinrsmq's version 1 field names", () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    assert.deepEqual(
      encodeEnvelope({ type: "order.created", payload: "{}", traceId: "t1", producer: "svc" }, at),
      {
        v: "1",
        type: "order.created",
        payload: "{}",
        produced_at: "2026-01-02T03:04:05.678Z",
        trace_id: "t1",
        producer: "svc",
      },
    );
  });

  it("round-trips every message", () => {
    fc.assert(fc.property(
      fc.string({ minLength: 1 }),
      fc.string(),
      fc.option(fc.string(), { nil: undefined }),
      fc.option(fc.string(), { nil: undefined }),
      (type, payload, traceId, producer) => {
        const decoded = decodeEnvelope(encodeEnvelope({ type, payload, traceId, producer }));
        assert.equal(decoded.type, type);
        assert.equal(decoded.payload, payload);
        assert.equal(decoded.traceId, traceId);
        assert.equal(decoded.producer, producer);
      },
    ));
  });

  it("throws only MalformedEnvelopeError, with a reason, on arbitrary fields", () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.string()), (fields) => {
      try {
        decodeEnvelope(fields);
      } catch (error) {
        assert.ok(error instanceof MalformedEnvelopeError, String(error));
        assert.ok(error.reason.length > 0);
      }
    }));
  });

  it("names what is wrong", () => {
    const reason = (fields: Record<string, string>) => {
      try {
        decodeEnvelope(fields);
        return "ok";
      } catch (error) {
        return (error as MalformedEnvelopeError).reason;
      }
    };
    const good = encodeEnvelope({ type: "t", payload: "p" });
    assert.equal(reason(good), "ok");
    assert.equal(reason({ ...good, v: "2" }), 'unsupported version "2"');
    assert.equal(reason({ type: "t" }), 'missing field "v"');
    assert.equal(
      reason({ ...good, produced_at: "yesterday" }),
      'missing or invalid field "produced_at"',
    );
  });
});
