import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createClient } from "redis";
import {
  addStream,
  consumerAclRules,
  consumerIndex,
  consumersInfo,
  createGroupConsumer,
  createStreamClient,
  groupsInfo,
  lbsDeadLetters,
  lbsPending,
  lbsStreamKey,
  type Logger,
  NotificationType,
  operatorAclRules,
  pendingEntries,
  producerAclRules,
  publish,
  readStateFeed,
  silentLogger,
  streamInfo,
  streamOwners,
} from "../../mod.ts";
import type { RedisClient } from "../../src/redis/client.ts";
import { RedisServer, uniqueName } from "../fixture/redis_server.ts";
import { ConsumerProcess } from "../fixture/consumer_process.ts";
import { waitUntil } from "../fixture/wait.ts";
import { NotificationLog } from "../helpers/notifications.ts";

const PASSWORD = "pw-for-tests";

/** A logger that keeps warnings and errors, to show what a user is told. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string, fields?: Record<string, unknown>) =>
    void lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return { ...silentLogger, warn: keep, error: keep, lines };
}

describe("least-privilege ACL", () => {
  let server: RedisServer;
  let admin: RedisClient;
  const opened: RedisClient[] = [];
  /** Stops whatever a failed test left running, so the file still ends. */
  const cleanups: Array<() => Promise<unknown>> = [];
  const service = uniqueName("orders");
  const dataKeys = ["orders:*"];

  before(async () => {
    // Expired-key events off, as on a managed Redis that refuses CONFIG.
    server = await RedisServer.start({ notifyKeyspaceEvents: "" });
    admin = await server.connect();
  });
  after(async () => {
    await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
    for (const redis of opened) if (redis.isOpen) redis.destroy();
    admin?.destroy();
    await server?.stop();
  });

  async function user(name: string, rules: readonly string[]): Promise<string> {
    await admin.sendCommand(["ACL", "SETUSER", name, "reset", "on", `>${PASSWORD}`, ...rules]);
    return `redis://${name}:${PASSWORD}@127.0.0.1:${server.port}`;
  }

  async function connectAs(url: string): Promise<RedisClient> {
    const redis = createClient({
      url,
      socket: { reconnectStrategy: false },
    }) as unknown as RedisClient;
    redis.on("error", () => {});
    await redis.connect();
    opened.push(redis);
    return redis;
  }

  it("a consumer, a producer and an operator each do their work with exactly their rules", async () => {
    const producer = await connectAs(
      await user("producer", producerAclRules({ service, dataKeys })),
    );
    const consumerRedis = await connectAs(
      await user("consumer", consumerAclRules({ service, dataKeys })),
    );
    const operator = await connectAs(
      await user("operator", operatorAclRules({ service, dataKeys })),
    );
    const logger = recordingLogger();

    // Consumer: the stream client (CONFIG allowed: it turns expired events on).
    const client = createStreamClient(consumerRedis, service, {
      heartbeatMs: 500,
      logger,
      stateFeed: true,
    });
    cleanups.push(() => client.done());
    const log = new NotificationLog(await client.init());
    await addStream(producer, service, { dataStreamName: "orders:eu-1", info: { region: "eu" } });
    await log.next((n) => n.type === NotificationType.StreamAdded);
    await client.fencedSet("orders:eu-1", "orders:eu-1:checkpoint", "0-1");

    // Consumer: the message layer on a data stream.
    const handled: string[] = [];
    const group = createGroupConsumer(consumerRedis, {
      stream: "orders:events",
      group: "billing",
      startId: "0",
      blockMs: 50,
      logger,
      handler: (message) => void handled.push(message.payload),
    });
    await group.start();
    cleanups.push(() => group.stop({ timeoutMs: 100 }));
    await publish(producer, "orders:events", { type: "paid", payload: "42" });
    await waitUntil(() => handled.length === 1, { message: "the message handled" });

    // Operator: every read view, and nothing it may write.
    const lbs = lbsStreamKey(service);
    const [groups, pending, info, consumers] = await Promise.all([
      groupsInfo(operator, lbs),
      pendingEntries(operator, lbs, `${service}-group`),
      streamInfo(operator, "orders:events"),
      consumersInfo(operator, "orders:events", "billing"),
    ]);
    assert.equal(groups[0]?.pending, 1);
    assert.equal(pending.length, 1);
    assert.ok(info.length >= 1);
    assert.equal(consumers.length, 1);
    // The service views the CLI shows (rsc owners, consumers-index, pending, dead-lbs).
    const [owners, index, lbsEntries, lbsDead] = await Promise.all([
      streamOwners(operator, service),
      consumerIndex(operator, service),
      lbsPending(operator, service),
      lbsDeadLetters(operator, service),
    ]);
    assert.deepEqual(owners.map((s) => [s.dataStream, s.state, s.fence]), [[
      "orders:eu-1",
      "owned",
      1,
    ]]);
    assert.equal(index[0]?.locks, 1);
    assert.equal(lbsEntries[0]?.dataStream, "orders:eu-1");
    assert.deepEqual(lbsDead, []);
    await assert.rejects(operator.xAdd(lbs, "*", { x: "1" }), /NOPERM/);
    const feed = await readStateFeed(operator, service);
    assert.ok(feed.some((entry) => entry.stream === "orders:eu-1"), "the operator reads the feed");

    await client.doneStream("orders:eu-1");
    await group.stop({ timeoutMs: 1000 });
    await client.done();
    await log.finished;
    assert.deepEqual(logger.lines.filter((line) => line.includes("NOPERM")), []);
    assert.equal(
      String(
        await admin.configGet("notify-keyspace-events").then((r) => r["notify-keyspace-events"]),
      ).includes("x"),
      true,
    );
  });

  it("a consumer without CONFIG (keyspaceConfig: skip) takes over a killed peer's streams through the sweeper", async () => {
    await admin.configSet("notify-keyspace-events", "");
    const svc = uniqueName("orders");
    const rules = consumerAclRules({ service: svc, dataKeys, configureKeyspaceEvents: false });
    const url = await user("consumer-noconfig", rules);
    const producer = await connectAs(
      await user("producer2", producerAclRules({ service: svc, dataKeys })),
    );
    const victim = new ConsumerProcess({
      REDIS_URL: url,
      SERVICE: svc,
      CONSUMER_ID: "victim",
      HEARTBEAT_MS: "500",
      KEYSPACE_CONFIG: "skip",
    });
    cleanups.push(() => victim.kill());
    await victim.ready();
    for (let i = 0; i < 3; i++) {
      await addStream(producer, svc, { dataStreamName: `orders:s${i}`, info: {} });
    }
    await waitUntil(() => victim.acquired().length === 3, { message: "the victim owns all three" });

    const logger = recordingLogger();
    const survivor = createStreamClient(await connectAs(url), svc, {
      heartbeatMs: 500,
      keyspaceConfig: "skip",
      logger,
    });
    cleanups.push(() => survivor.done());
    const log = new NotificationLog(await survivor.init());
    await victim.kill();
    const claimed = new Set<string>();
    await waitUntil(async () => {
      for (const n of log.ofType(NotificationType.StreamExpired)) {
        if (claimed.has(n.payload.dataStreamName)) continue;
        claimed.add(n.payload.dataStreamName);
        await survivor.claim(n.payload);
      }
      return claimed.size === 3;
    }, { message: "all three claimed after the sweeper announced them" });
    assert.equal(survivor.ownedStreams().length, 3);
    await survivor.done();
    await log.finished;
    assert.deepEqual(logger.lines.filter((line) => line.includes("NOPERM")), []);
  });

  it("a user with less is told which permission is missing", async () => {
    // A producer without XADD.
    const weak = await connectAs(
      await user(
        "weak-producer",
        producerAclRules({ service, dataKeys }).filter((r) => r !== "+xadd"),
      ),
    );
    await assert.rejects(
      addStream(weak, service, { dataStreamName: "orders:x", info: {} }),
      (error: Error) =>
        /NOPERM/.test(error.message + String(error.cause)) &&
        /xadd/i.test(error.message + String(error.cause)),
    );

    // A consumer that may not set CONFIG: the client still starts (the sweeper covers takeover)
    // and the user is told why expired events stay off.
    await admin.configSet("notify-keyspace-events", "");
    const svc = uniqueName("orders");
    const noConfigSet = consumerAclRules({ service: svc, dataKeys }).filter((r) =>
      r !== "+config|set"
    );
    const logger = recordingLogger();
    const client = createStreamClient(
      await connectAs(await user("consumer-no-config-set", noConfigSet)),
      svc,
      { logger },
    );
    cleanups.push(() => client.done());
    const log = new NotificationLog(await client.init());
    assert.ok(
      logger.lines.some((line) => line.includes("NOPERM") && line.includes("config|set")),
      logger.lines.join("\n"),
    );
    await client.done();
    await log.finished;
  });
});

describe("README's ACL lines", () => {
  it("are what the rule functions return for the service orders", async () => {
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    const block = readme.split("<!-- acl:begin -->")[1]?.split("<!-- acl:end -->")[0] ?? "";
    const options = { service: "orders", dataKeys: ["orders:*"] };
    for (
      const [name, rules] of [
        ["orders-consumer", consumerAclRules(options)],
        ["orders-producer", producerAclRules(options)],
        ["orders-operator", operatorAclRules(options)],
      ] as const
    ) {
      const line = `ACL SETUSER ${name} on >PASSWORD ${rules.join(" ")}`;
      assert.ok(block.includes(`${line}\n`), `README's ACL line for ${name} should be:\n${line}`);
    }
  });
});
