import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import {
  addStream,
  createGroupConsumer,
  createStreamClient,
  NotificationType,
  publish,
  silentLogger,
} from "../../mod.ts";
import type { RedisClient } from "../../src/redis/client.ts";
import { freePort, RedisServer, uniqueName } from "../fixture/redis_server.ts";
import { makeTestCertificates, type TestCertificates, tlsServerArgs } from "../fixture/tls.ts";
import { waitUntil } from "../fixture/wait.ts";
import { NotificationLog } from "../helpers/notifications.ts";

const USER = "app";
const PASSWORD = "s3cret-pass";

describe("TLS and AUTH", () => {
  let certs: TestCertificates;
  let server: RedisServer;
  let admin: RedisClient;
  let tlsUrl: string;
  const opened: RedisClient[] = [];

  before(async () => {
    certs = await makeTestCertificates();
    const tlsPort = await freePort();
    server = await RedisServer.start({ args: tlsServerArgs(certs, tlsPort) });
    admin = await server.connect();
    await admin.sendCommand(["ACL", "SETUSER", USER, "on", `>${PASSWORD}`, "~*", "&*", "+@all"]);
    tlsUrl = `rediss://${USER}:${PASSWORD}@127.0.0.1:${tlsPort}`;
  });
  after(async () => {
    for (const redis of opened) if (redis.isOpen) redis.destroy();
    admin?.destroy();
    await server?.stop();
    await certs?.remove();
  });

  async function connectTls(): Promise<RedisClient> {
    const redis = createClient({
      url: tlsUrl,
      socket: { ca: certs.ca, reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 500) },
    }) as unknown as RedisClient;
    redis.on("error", () => {});
    await redis.connect();
    opened.push(redis);
    return redis;
  }

  it("connects only over TLS as the user it authenticated as", async () => {
    const redis = await connectTls();
    assert.equal(await redis.sendCommand(["ACL", "WHOAMI"]), USER);
    const info = String(await redis.sendCommand(["CLIENT", "INFO"]));
    assert.match(info, new RegExp(`user=${USER}`));
  });

  it("a stream client's own connections (reader, subscriber) inherit TLS and credentials", async () => {
    const service = uniqueName();
    const options = { heartbeatMs: 500, logger: silentLogger };
    const first = createStreamClient(await connectTls(), service, { ...options, consumerId: "a" });
    const firstLog = new NotificationLog(await first.init());
    const second = createStreamClient(await connectTls(), service, { ...options, consumerId: "b" });
    const secondLog = new NotificationLog(await second.init());

    // Every connection on the server that belongs to the clients is the TLS user's.
    const clients = String(await admin.sendCommand(["CLIENT", "LIST"])).trim().split("\n");
    const ours = clients.filter((line) => !line.includes("user=default"));
    assert.ok(ours.length >= 4, `connections of the TLS user: ${ours.length}`);

    // The blocking LBS reader assigns; the subscriber hears the hand-back; the claim takes it.
    await addStream(admin, service, { dataStreamName: "tls-stream", info: {} });
    const added = await waitUntil(
      () =>
        firstLog.seen.find((n) => n.type === NotificationType.StreamAdded) ??
          secondLog.seen.find((n) => n.type === NotificationType.StreamAdded),
      { message: "the stream assigned over TLS" },
    );
    const owner = firstLog.seen.includes(added!) ? first : second;
    const [survivor, survivorLog] = owner === first ? [second, secondLog] : [first, firstLog];
    await owner.done();
    const expired = await survivorLog.next((n) => n.type === NotificationType.StreamExpired);
    const { fence } = await survivor.claim(expired.payload);
    assert.ok(fence >= 2);
    await survivor.done();
    await Promise.all([firstLog.finished, secondLog.finished]);
  });

  it("the message layer works over TLS with AUTH", async () => {
    const redis = await connectTls();
    const stream = uniqueName("events");
    const seen: string[] = [];
    const consumer = createGroupConsumer(redis, {
      stream,
      group: "g",
      blockMs: 50,
      startId: "0",
      logger: silentLogger,
      handler: (message) => void seen.push(message.payload),
    });
    await consumer.start();
    await publish(redis, stream, { type: "t", payload: "over tls" });
    await waitUntil(() => seen.length === 1, { message: "the message handled" });
    await waitUntil(async () => (await redis.xPending(stream, "g")).pending === 0);
    assert.deepEqual(seen, ["over tls"]);
    await consumer.stop({ timeoutMs: 1000 });
  });
});
