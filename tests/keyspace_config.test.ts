import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createStreamClient } from "../mod.ts";
import { mergeFlags } from "../src/actors/keyspace_config.ts";
import { silentLogger } from "../src/observability.ts";
import { RedisServer, uniqueName } from "./fixture/redis_server.ts";

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
  let server: RedisServer;
  before(async () => {
    server = await RedisServer.start({ notifyKeyspaceEvents: "Kg" });
  });
  after(async () => {
    await server.stop();
  });

  it("mergeFlags adds only what is missing and never drops a flag", () => {
    assert.equal(mergeFlags("", "Ex"), "Ex");
    assert.equal(mergeFlags("Kg", "Ex"), "KgEx");
    assert.equal(mergeFlags("AE", "Ex"), "AE");
    assert.equal(mergeFlags("xE", "Ex"), "xE");
  });

  it('"skip" leaves the server configuration alone', async () => {
    assert.equal(await flagsAfterInit(server, "skip"), "gK");
  });

  it('"merge" keeps the user\'s flags and adds E and x', async () => {
    const flags = await flagsAfterInit(server, "merge");
    for (const flag of "KgEx") assert.ok(flags?.includes(flag), `${flags} has ${flag}`);
  });

  it('"force" sets exactly the flags the client needs', async () => {
    assert.equal(await flagsAfterInit(server, "force"), "xE");
  });
});
