/** Nothing the library writes for a stream outlives its LBS entry; a stopped client leaves nothing. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  createStreamClient,
  lbsGroupName,
  lbsStreamKey,
  lockKey,
  type Notification,
  NotificationType,
  type StreamClient,
} from "../mod.ts";
import { consumerIndexKey, fenceKey } from "../src/keys.ts";
import { silentLogger } from "../src/observability.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";
import { startOwner } from "./helpers/started_client.ts";

const quiet = { logger: silentLogger, heartbeatMs: 1000, lbsIdleMs: 2000, sweepIntervalMs: 100 };

/** Finishes every stream the client is given. */
async function finishEverything(client: StreamClient): Promise<void> {
  const finishing: Promise<void>[] = [];
  for await (const n of await client.init() as AsyncIterable<Notification>) {
    if (n.type === NotificationType.StreamAdded) {
      finishing.push(client.doneStream(n.payload.dataStreamName));
    }
  }
  await Promise.all(finishing);
}

const isOwner = (member: string) => member.startsWith("owner~");

describe("what stays in Redis", () => {
  const db = useRedis();

  it("after 2000 streams are added, owned, finished and every client is done: only the LBS", async () => {
    const service = uniqueName();
    const clients = ["a", "b"].map((id) =>
      createStreamClient(db.redis, service, { ...quiet, consumerId: id })
    );
    const running = clients.map(finishEverything);
    const count = 2000;
    await Promise.all(
      Array.from(
        { length: count },
        (_, i) => addStream(db.redis, service, { dataStreamName: `s${i}` }),
      ),
    );
    const lbs = lbsStreamKey(service);
    await waitUntil(async () => (await db.redis.xLen(lbs)) === 0, {
      timeoutMs: 120_000,
      message: "every stream finished",
    });
    await Promise.all(clients.map((client) => client.done()));
    await Promise.all(running);
    // The LBS stays, empty, with its group (a Go peer and the next consumer need both).
    assert.deepEqual(await db.redis.keys("*"), [lbs]);
    const [group] = await db.redis.xInfoGroups(lbs);
    assert.equal(group?.name, lbsGroupName(service));
    assert.equal(group?.pending, 0);
  });

  it("a sweeper that finds a dead owner's lock gone and its entry gone deletes the fence", async () => {
    const owner = await startOwner(db.server, {
      ...quiet,
      reconcileIntervalMs: 1000,
      consumerId: "owner",
    });
    const lock = lockKey("s", owner.id);
    assert.equal(await db.redis.get(fenceKey(lock)), "1");
    owner.client.supervisor.stop(); // a crash
    // The entry is finished elsewhere (a Go peer's DoneStream: XACK, XDEL, DEL of its lock).
    await db.redis.xAck(lbsStreamKey(owner.service), lbsGroupName(owner.service), owner.id);
    await db.redis.xDel(lbsStreamKey(owner.service), owner.id);
    const peer = createStreamClient(db.redis, owner.service, { ...quiet, consumerId: "peer" });
    const log = new NotificationLog(await peer.init());
    await waitUntil(async () => (await db.redis.exists(fenceKey(lock))) === 0, {
      message: "the fence deleted",
    });
    const index = consumerIndexKey(owner.service);
    await waitUntil(async () => !(await db.redis.zRange(index, 0, -1)).some(isOwner), {
      message: "the dead owner forgotten",
    });
    assert.equal(log.ofType(NotificationType.StreamExpired).length, 0, "a gone entry is not news");
    await peer.done();
    // Leases the dead owner held (it was the first sweeper) run out on their own.
    await waitUntil(async () => {
      const keys = await db.redis.keys(`*${owner.service}*`);
      return keys.length === 1 && keys[0] === lbsStreamKey(owner.service);
    }, { message: "only the LBS left" });
    owner.redis.destroy();
  });
});
