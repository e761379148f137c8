import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream } from "../mod.ts";
import { readLbsEntries } from "../src/actors/read_lbs_entries.ts";
import { LBS_FIELD, lbsStreamKey } from "../src/keys.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { testRuntime } from "./helpers/test_runtime.ts";

describe("readLbsEntries", () => {
  const db = useRedis();

  it("reads entries by id in one call, each one's fate its own", async () => {
    const service = uniqueName();
    const runtime = testRuntime(db.redis, service);
    const good = await addStream(db.redis, service, { dataStreamName: "s", info: { k: 1 } });
    const malformed = await db.redis.xAdd(lbsStreamKey(service), "*", { [LBS_FIELD]: "{oops" });
    const ids = [good, "1-1", malformed, "99999999999999999999999-0", "not-an-id", good];
    const entries = await readLbsEntries(runtime, ids);
    assert.deepEqual(entries, [
      { dataStreamName: "s", info: { k: 1 } },
      "missing",
      "malformed",
      "missing", // an id Redis refuses does not fail the others
      "missing",
      { dataStreamName: "s", info: { k: 1 } },
    ]);
  });

  it("reads thousands of entries, a script call per thousand", async () => {
    const service = uniqueName();
    const runtime = testRuntime(db.redis, service);
    const ids = await Promise.all(
      Array.from(
        { length: 2500 },
        (_, i) => addStream(db.redis, service, { dataStreamName: `s${i}` }),
      ),
    );
    const entries = await readLbsEntries(runtime, ids);
    assert.deepEqual(
      entries.map((e) => typeof e === "string" ? e : e.dataStreamName),
      ids.map((_, i) => `s${i}`),
    );
  });
});
