/** claim(): bad payloads are refused up front, and a claim that fails leaves nothing behind. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { createStreamClient, lockKey, NotificationType, StreamNotPendingError } from "../mod.ts";
import { fenceKey, lbsGroupName, lbsStreamKey } from "../src/keys.ts";
import { silentLogger } from "../src/observability.ts";
import type { RedisClient } from "../src/redis/client.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { NotificationLog } from "./helpers/notifications.ts";
import { startOwner } from "./helpers/started_client.ts";

const quiet = { logger: silentLogger, heartbeatMs: 300, lbsIdleMs: 600 };

describe("claim()", () => {
  const db = useRedis();

  /** Every key of a service's per-client lock sets, and the given stream keys that exist. */
  async function leftBehind(service: string, keys: readonly string[]): Promise<string[]> {
    const sets = await db.redis.keys(`{${service}}-locks:*`);
    const present = [];
    for (const key of keys) if (await db.redis.exists(key)) present.push(key);
    return [...sets, ...present];
  }

  it("rejects a malformed payload with a TypeError naming the field, and writes nothing", async () => {
    const { redis, service, client } = await startOwner(db.server, { ...quiet, consumerId: "c" });
    await client.doneStream("s");
    const cases: Array<[unknown, RegExp]> = [
      [{ dataStreamName: "", idInLbs: "1-0" }, /dataStreamName/],
      [{ dataStreamName: 7, idInLbs: "1-0" }, /dataStreamName/],
      [{ dataStreamName: "x", idInLbs: "not-an-id" }, /idInLbs.*"not-an-id"/],
      [{ dataStreamName: "x", idInLbs: "1700000000000" }, /idInLbs/],
      [{ dataStreamName: "x" }, /idInLbs/],
      [null, /dataStreamName/],
    ];
    for (const [payload, field] of cases) {
      await assert.rejects(
        client.claim(payload as { dataStreamName: string; idInLbs: string }),
        (error: Error) => error instanceof TypeError && field.test(error.message),
        `payload ${JSON.stringify(payload)}`,
      );
    }
    const keys = ["not-an-id", "1700000000000", "1-0"].flatMap((id) => [
      lockKey("x", id),
      fenceKey(lockKey("x", id)),
    ]);
    assert.deepEqual(await leftBehind(service, keys), []);
    await client.done();
    redis.destroy();
  });

  it("of a finished stream rejects with StreamNotPendingError and leaves no lock, fence or index entry", async () => {
    const { redis, service, client, id } = await startOwner(db.server, {
      ...quiet,
      consumerId: "c",
    });
    await client.doneStream("s");
    await assert.rejects(client.claim({ dataStreamName: "s", idInLbs: id }), StreamNotPendingError);
    await assert.rejects(
      client.claim({ dataStreamName: "never-added", idInLbs: "1-1" }),
      StreamNotPendingError,
    );
    const keys = [lockKey("s", id), lockKey("never-added", "1-1")];
    assert.deepEqual(await leftBehind(service, [...keys, ...keys.map(fenceKey)]), []);
    await client.done();
    redis.destroy();
  });

  it("whose XCLAIM fails gives its lock back and unindexes it; the pending entry keeps its fence", async () => {
    const owner = await startOwner(db.server, { ...quiet, consumerId: "owner" });
    const name = "s";
    const id = owner.id;
    const lock = lockKey(name, id);
    owner.client.supervisor.stop(); // a crash: the lock runs out, the entry stays pending
    // A claimant whose Redis user may do everything but XCLAIM.
    const user = uniqueName("no-xclaim");
    await db.redis.sendCommand([
      "ACL",
      "SETUSER",
      user,
      "on",
      ">pw",
      "~*",
      "&*",
      "+@all",
      "-xclaim",
    ]);
    const limited = createClient({ url: db.server.url, username: user, password: "pw" });
    limited.on("error", () => {});
    await limited.connect();
    const claimant = createStreamClient(limited as unknown as RedisClient, owner.service, {
      ...quiet,
      consumerId: "claimant",
    });
    const log = new NotificationLog(await claimant.init());
    await log.next((n) => n.type === NotificationType.StreamExpired, { timeoutMs: 5000 });
    await assert.rejects(claimant.claim({ dataStreamName: name, idInLbs: id }), /NOPERM|xclaim/i);
    assert.equal(await db.redis.exists(lock), 0, "the lock is given back");
    const indexed = await db.redis.keys(`{${owner.service}}-locks:claimant~*`);
    assert.deepEqual(indexed, [], "the claimant indexes nothing");
    assert.equal(await db.redis.get(fenceKey(lock)), "2", "the fence stays: the entry is pending");
    const pending = await db.redis.xPendingRange(
      lbsStreamKey(owner.service),
      lbsGroupName(owner.service),
      "-",
      "+",
      10,
    );
    assert.deepEqual(pending.map((p) => p.consumer), ["owner"], "the entry stays where it was");
    // A claimant that can XCLAIM takes it with a larger fence.
    const heir = createStreamClient(db.redis, owner.service, {
      ...quiet,
      lbsIdleMs: 60_000, // so that it does not recover the entry at start-up instead
      consumerId: "heir",
    });
    await heir.init();
    const claimed = await heir.claim({ dataStreamName: name, idInLbs: id });
    assert.equal(claimed.fence, 3);
    await Promise.all([claimant.done(), heir.done()]);
    limited.destroy();
    owner.redis.destroy();
    await db.redis.sendCommand(["ACL", "DELUSER", user]);
  });
});
