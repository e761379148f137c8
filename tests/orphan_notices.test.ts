import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeOrphanNotices,
  encodeOrphanNotices,
  type OrphanNotice,
} from "../src/actors/orphan_notices.ts";

const notice: fc.Arbitrary<OrphanNotice> = fc.record({
  dataStreamName: fc.string({ minLength: 1 }),
  idInLbs: fc.string({ minLength: 1 }),
  info: fc.dictionary(fc.string(), fc.jsonValue()),
  released: fc.constant(true), // present or absent, as a release or an expiry
}, { requiredKeys: ["dataStreamName", "idInLbs", "info"] });

describe("orphan notices codec", () => {
  it("round-trips any list of notices, however it is split into messages", () => {
    fc.assert(fc.property(fc.array(notice, { maxLength: 50 }), (notices) => {
      const decoded = encodeOrphanNotices(notices).flatMap(decodeOrphanNotices);
      assert.deepEqual(decoded, JSON.parse(JSON.stringify(notices)));
    }));
  });

  it("splits a large batch into messages of about 64 KB", () => {
    const big = Array.from({ length: 5000 }, (_, i) => ({
      dataStreamName: `orders:stream-${i}`,
      idInLbs: `1700000000000-${i}`,
      info: { region: "eu-west-1", tenant: `tenant-${i % 97}` },
    }));
    const messages = encodeOrphanNotices(big);
    assert.ok(messages.length > 1);
    assert.ok(messages.every((m) => m.length <= 64 * 1024));
    assert.equal(messages.flatMap(decodeOrphanNotices).length, 5000);
  });

  it("never throws on arbitrary messages and keeps only well-formed notices", () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (message) => {
      for (const n of decodeOrphanNotices(message)) {
        assert.equal(typeof n.dataStreamName, "string");
        assert.ok(n.dataStreamName.length > 0 && n.idInLbs.length > 0);
        assert.equal(typeof n.info, "object");
      }
    }));
    assert.deepEqual(decodeOrphanNotices('[{"s":"a","id":"1-0"},{"s":""},7,null]'), [
      { dataStreamName: "a", idInLbs: "1-0", info: {} },
    ]);
  });
});
