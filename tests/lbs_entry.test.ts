import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeLbsEntry, encodeLbsEntry, MalformedLbsEntryError } from "../mod.ts";
import { LBS_FIELD, lockKey, parseLockKey } from "../src/keys.ts";

const json = fc.jsonValue();
const info = fc.dictionary(fc.string(), json);

describe("LBS entry codec", () => {
  it("writes the Go library's format", () => {
    const fields = encodeLbsEntry({ dataStreamName: "s", info: { a: 1 } });
    assert.deepEqual(fields, { [LBS_FIELD]: '{"DataStreamName":"s","Info":{"a":1}}' });
  });

  it("round-trips every assignment", () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), info, (name, extra) => {
      const decoded = decodeLbsEntry(encodeLbsEntry({ dataStreamName: name, info: extra }), 1e9);
      assert.equal(decoded.dataStreamName, name);
      assert.deepEqual(decoded.info, JSON.parse(JSON.stringify(extra)));
    }));
  });

  it("throws only MalformedLbsEntryError on arbitrary field maps", () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.string()), (fields) => {
      try {
        decodeLbsEntry(fields, 4096);
      } catch (error) {
        assert.ok(error instanceof MalformedLbsEntryError, String(error));
      }
    }));
  });

  it("throws only MalformedLbsEntryError on arbitrary JSON in the lbs-input field", () => {
    fc.assert(fc.property(json, (value) => {
      try {
        decodeLbsEntry({ [LBS_FIELD]: JSON.stringify(value) }, 1e9);
      } catch (error) {
        assert.ok(error instanceof MalformedLbsEntryError, String(error));
      }
    }));
  });

  it("names the problem of each kind of bad entry", () => {
    const problem = (fields: Record<string, string>, max = 1000) => {
      try {
        decodeLbsEntry(fields, max);
        return "none";
      } catch (error) {
        return (error as MalformedLbsEntryError).problem;
      }
    };
    assert.equal(problem({ other: "x" }), "missing-field");
    assert.equal(problem({ [LBS_FIELD]: "{" }), "not-json");
    assert.equal(problem({ [LBS_FIELD]: "[1]" }), "not-an-object");
    assert.equal(problem({ [LBS_FIELD]: '{"DataStreamName":""}' }), "missing-stream-name");
    assert.equal(problem({ [LBS_FIELD]: '{"DataStreamName":"s","Info":3}' }), "invalid-info");
    assert.equal(problem({ [LBS_FIELD]: '{"DataStreamName":"s"}' }, 10), "oversized");
    assert.equal(problem({ [LBS_FIELD]: '{"DataStreamName":"s","Info":null}' }), "none");
  });

  it("encodeLbsEntry rejects a bad assignment with a TypeError", () => {
    assert.throws(() => encodeLbsEntry({ dataStreamName: "", info: {} }), TypeError);
    assert.throws(
      () => encodeLbsEntry({ dataStreamName: "s", info: [] as unknown as Record<string, never> }),
      TypeError,
    );
  });
});

describe("lock keys", () => {
  it("are the keys redis-stream-client-go locks: <name><MUTEX_KEY_SEP><idInLbs>", () => {
    // notifs/lbsmsg.go FormMutexKey joins with configs.MutexKeySep = "<MUTEX_KEY_SEP>".
    assert.equal(
      lockKey("orders:eu", "1700000000000-0"),
      "orders:eu<MUTEX_KEY_SEP>1700000000000-0",
    );
    assert.deepEqual(parseLockKey("orders:eu<MUTEX_KEY_SEP>1700000000000-0"), {
      dataStreamName: "orders:eu",
      idInLbs: "1700000000000-0",
    });
  });

  it("parse back into stream name and LBS id, even when the name has colons", () => {
    fc.assert(fc.property(
      fc.string({ minLength: 1 }),
      fc.nat(),
      fc.nat(),
      (name, ms, seq) => {
        const id = `${ms}-${seq}`;
        assert.deepEqual(parseLockKey(lockKey(name, id)), { dataStreamName: name, idInLbs: id });
      },
    ));
  });

  it("are not confused with keys that are not locks", () => {
    assert.equal(parseLockKey("session:abc"), undefined);
    assert.equal(parseLockKey("session:1-0"), undefined);
    assert.equal(parseLockKey("<MUTEX_KEY_SEP>1-0"), undefined);
  });
});
