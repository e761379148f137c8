import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createStreamClient } from "../mod.ts";
import { mergeFlags } from "../src/actors/keyspace_config.ts";
import { silentLogger } from "../src/observability.ts";
import { type RedisServer, uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";

async function flagsAfterInit(server: RedisServer, mode: "merge" | "force" | "skip") {
  const redis = await server.connect();
  const client = createStreamClient(redis, uniqueName(), {
    logger: silentLogger,
    keyspaceConfig: mode,
  });
  await client.init();
  const flags = (await redis.configGet("notify-keyspace-events"))["notify-keyspace-events"];
  await client.done();
  redis.destroy();
  return flags;
}

describe("keyspace event configuration", () => {
  const db = useRedis({ notifyKeyspaceEvents: "Kg" });

  it("mergeFlags adds only what is missing and never drops a flag", () => {
    assert.equal(mergeFlags("", "Ex"), "Ex");
    assert.equal(mergeFlags("Kg", "Ex"), "KgEx");
    assert.equal(mergeFlags("AE", "Ex"), "AE");
    assert.equal(mergeFlags("xE", "Ex"), "xE");
  });

  it('"skip" leaves the db.server configuration alone', async () => {
    assert.equal(await flagsAfterInit(db.server, "skip"), "gK");
  });

  it('"merge" keeps the user\'s flags and adds E and x', async () => {
    const flags = await flagsAfterInit(db.server, "merge");
    for (const flag of "KgEx") assert.ok(flags?.includes(flag), `${flags} has ${flag}`);
  });

  it('"force" sets exactly the flags the client needs', async () => {
    assert.equal(await flagsAfterInit(db.server, "force"), "xE");
  });
});
