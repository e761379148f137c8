import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addStream,
  createStreamClient,
  lbsGroupName,
  lbsStreamKey,
  lockKey,
  type Logger,
  type MetricsRecorder,
  NotificationType,
} from "../mod.ts";
import { silentLogger } from "../src/observability.ts";
import { uniqueName } from "./fixture/redis_server.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { waitUntil, withDeadline } from "./fixture/wait.ts";
import { keepingLogger } from "./helpers/keeping_logger.ts";
import { NotificationLog } from "./helpers/notifications.ts";

const TTL = 400;
const timing = { heartbeatMs: TTL, lbsIdleMs: 2 * TTL };

const throwingLogger: Logger = {
  debug: () => {
    throw new Error("debug broke");
  },
  info: () => {
    throw new Error("info broke");
  },
  warn: () => {
    throw new Error("warn broke");
  },
  error: () => {
    throw new Error("error broke");
  },
};

/** Every hook throws (whatever its name), and recordHeartbeat returns a promise that rejects. */
function throwingMetrics(): MetricsRecorder {
  return new Proxy({}, {
    get: (_, hook) =>
      hook === "recordHeartbeat"
        ? () => Promise.reject(new Error("recordHeartbeat rejected"))
        : () => {
          throw new Error(`${String(hook)} broke`);
        },
  }) as MetricsRecorder;
}

/** Asserts the lock stays held by `value` for `ms`, checking every 50 ms. */
async function assertHeldFor(
  redis: { get(key: string): Promise<string | null> },
  key: string,
  value: string,
  ms: number,
) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    assert.equal(await redis.get(key), value, `lock ${key} still held`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("user hooks that throw", () => {
  const db = useRedis();
  let consoleLines: unknown[][] = [];
  const realConsoleError = console.error;
  beforeEach(() => {
    consoleLines = [];
    console.error = (...args: unknown[]) => void consoleLines.push(args);
  });
  afterEach(() => {
    console.error = realConsoleError;
  });

  it("a logger and a recorder that throw everywhere do not stop the client: it assigns, heartbeats and takes over", async () => {
    const service = uniqueName();
    const peer = createStreamClient(db.redis, service, { ...timing, logger: silentLogger });
    const peerLog = new NotificationLog(await peer.init());
    const peerId = await addStream(db.redis, service, { dataStreamName: "p", info: {} });
    await peerLog.next((n) => n.type === NotificationType.StreamAdded);

    const client = createStreamClient(db.redis, service, {
      ...timing,
      logger: throwingLogger,
      metrics: throwingMetrics(),
    });
    const log = new NotificationLog(await client.init());
    await peer.done(); // hands "p" over: the client is told and takes it over
    const expired = await log.next((n) =>
      n.type === NotificationType.StreamExpired && n.payload.dataStreamName === "p"
    );
    const claimed = await client.claim(expired.payload);
    assert.equal(claimed.idInLbs, peerId);

    const id = await addStream(db.redis, service, { dataStreamName: "c", info: {} });
    await log.next((n) =>
      n.type === NotificationType.StreamAdded && n.payload.dataStreamName === "c"
    );
    const claimedValue = client.ownership("p")!.lockValue;
    const assignedValue = client.ownership("c")!.lockValue;
    await Promise.all([
      assertHeldFor(db.redis, lockKey("p", peerId), claimedValue, 4 * TTL),
      assertHeldFor(db.redis, lockKey("c", id), assignedValue, 4 * TTL),
    ]);
    assert.equal(client.supervisor.getSnapshot().status, "active");

    // Told once per hook: through console.error, as the logger itself throws.
    const told = consoleLines.map((args) => String(args[0]));
    for (
      const hook of [
        "metrics.recordStreamAcquired",
        "metrics.recordClaimAttempt",
        "metrics.recordHeartbeat",
        "logger.info",
      ]
    ) {
      assert.equal(
        told.filter((line) => line.includes(`${hook} threw`)).length,
        1,
        `${hook} reported once; got ${told.join(" | ")}`,
      );
    }
    assert.equal(new Set(told).size, told.length, "no hook reported twice");
    await withDeadline(client.done(), 5000, "done()");
    await withDeadline(log.finished, 5000, "the iterator to end");
  });

  it("a recorder whose hooks throw or reject is reported once per hook through the user's logger", async () => {
    const service = uniqueName();
    const { logger, lines } = keepingLogger();
    const client = createStreamClient(db.redis, service, {
      ...timing,
      logger,
      metrics: throwingMetrics(),
    });
    const log = new NotificationLog(await client.init());
    await addStream(db.redis, service, { dataStreamName: "s", info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    const reports = () => lines.filter((l) => l.level === "error" && l.message.includes("threw"));
    // Several beats later the heartbeat hook (a rejecting promise) is still reported only once.
    await waitUntil(() => reports().some((l) => l.fields?.hook === "metrics.recordHeartbeat"), {
      message: "recordHeartbeat reported",
    });
    await assertHeldFor(
      db.redis,
      lockKey("s", client.ownedStreams()[0]!.idInLbs),
      client.ownership("s")!.lockValue,
      3 * TTL,
    );
    const hooks = reports().map((l) => l.fields?.hook);
    assert.equal(new Set(hooks).size, hooks.length, `each hook once; got ${hooks.join(", ")}`);
    const heartbeat = reports().find((l) => l.fields?.hook === "metrics.recordHeartbeat")!;
    assert.match(String(heartbeat.fields?.error), /recordHeartbeat rejected/);
    assert.deepEqual(consoleLines, [], "the working logger was used, not the console");
    await client.done();
    await log.finished;
  });
});

describe("a failure of the supervisor itself", () => {
  const db = useRedis();

  it("ends the iterator with StreamTerminated carrying the error and hands back the locks it holds", async () => {
    const service = uniqueName();
    const { logger, lines } = keepingLogger();
    const redis = await db.server.connect();
    const connections = async () => (await db.redis.clientList()).length;
    const before = await connections();
    const client = createStreamClient(redis, service, { ...timing, logger });
    const log = new NotificationLog(await client.init());
    const id = await addStream(redis, service, { dataStreamName: "s", info: {} });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    const key = lockKey("s", id);
    await waitUntil(async () => (await redis.get(key)) !== null, { message: "the lock" });

    // An event the supervisor cannot handle makes one of its actions throw.
    client.supervisor.send({ type: "LOCKS_GONE", notices: [null] } as never);

    const terminated = await log.next((n) => n.type === NotificationType.StreamTerminated);
    const info = String(terminated.additionalInfo.info);
    assert.match(info, /^supervisor failed: TypeError: /, info);
    await withDeadline(log.finished, 5000, "the iterator to end");
    await withDeadline(client.done(), 5000, "done() after the failure");
    assert.equal(await redis.get(key), null, "the lock it held was released");
    const pending = await redis.xPending(lbsStreamKey(service), lbsGroupName(service));
    assert.equal(pending.pending, 1, "the entry stays pending for a peer to claim");
    assert.ok(lines.some((l) => l.level === "error" && /supervisor failed/.test(l.message)));
    await waitUntil(async () => (await connections()) === before, {
      message: "the client's own connections to close",
    });
    redis.destroy();
  });
});
