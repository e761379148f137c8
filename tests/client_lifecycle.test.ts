import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream, ClientClosedError, createStreamClient, NotificationType } from "../mod.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { withDeadline } from "./fixture/wait.ts";
import { NotificationLog } from "./helpers/notifications.ts";
import { silentLogger } from "../src/observability.ts";

const quiet = { logger: silentLogger, heartbeatMs: 400, lbsIdleMs: 800 };

describe("StreamClient lifecycle", () => {
  const db = useRedis();

  it("done() before init() resolves at once, and init() then rejects with ClientClosedError", async () => {
    const client = createStreamClient(db.redis, uniqueName(), quiet);
    await withDeadline(client.done(), 1000, "done() before init()");
    await assert.rejects(client.init(), ClientClosedError);
    await withDeadline(client.done(), 1000, "a second done()");
  });

  it("a second loop over init()'s iterable gets a TypeError while the first keeps its notifications", async () => {
    const service = uniqueName();
    const client = createStreamClient(db.redis, service, quiet);
    const notifications = await client.init();
    const log = new NotificationLog(notifications);
    await assert.rejects(async () => {
      for await (const _ of notifications) break;
    }, TypeError);
    await addStream(db.redis, service, { dataStreamName: "a", info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded, {
      message: "StreamAdded in the first loop",
    });
    await client.done();
    await withDeadline(log.finished, 5000, "the first loop to end");
    assert.equal(log.ofType(NotificationType.StreamTerminated).length, 1);
  });
});
