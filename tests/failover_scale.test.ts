import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream, createStreamClient, NotificationType } from "../mod.ts";
import { silentLogger } from "../src/observability.ts";
import { RedisServer, uniqueName } from "./fixture/redis_server.ts";
import { NotificationLog } from "./helpers/notifications.ts";

const HEARTBEAT_MS = 500;

describe("takeover in a database full of keys with a TTL", () => {
  let server: RedisServer;
  before(async () => {
    server = await RedisServer.start({ notifyKeyspaceEvents: "Ex" });
    const redis = await server.connect();
    // 100,000 unrelated keys with a 1 h TTL: Redis's expiry sampling then
    // announces a 500 ms lock's expiry late or never (see PEERS.md).
    await redis.eval(
      "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'noise:' .. i, 'x', 'EX', 3600) end",
      { arguments: ["100000"] },
    );
    assert.equal(await redis.dbSize(), 100_000);
    redis.destroy();
  });
  after(async () => {
    await server.stop();
  });

  it("a peer learns of a crashed owner's expired lock and claims the stream", async () => {
    const redis = await server.connect();
    const service = uniqueName();
    const options = {
      logger: silentLogger,
      heartbeatMs: HEARTBEAT_MS,
      lbsIdleMs: 4 * HEARTBEAT_MS,
    };
    const owner = createStreamClient(redis, service, { ...options, consumerId: "owner" });
    const ownerLog = new NotificationLog(await owner.init());
    await addStream(redis, service, { dataStreamName: "s", info: {} });
    await ownerLog.next((n) => n.type === NotificationType.StreamAdded);
    const peer = createStreamClient(redis, service, { ...options, consumerId: "peer" });
    const log = new NotificationLog(await peer.init());

    owner.supervisor.stop(); // crash: no release, the lock is left to expire
    const expired = await log.next((n) => n.type === NotificationType.StreamExpired, {
      timeoutMs: 5000,
      message: "StreamExpired despite 100,000 TTL keys",
    });
    const claim = await peer.claim(expired.payload);
    assert.equal(claim.fence, 2);
    assert.deepEqual(peer.ownedStreams().map((s) => s.dataStreamName), ["s"]);
    await peer.done();
    redis.destroy();
  });
});
