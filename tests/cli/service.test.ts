/** rsc add, owners, consumers-index, pending and dead-lbs against a live consumer. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { lbsDeadLetters, lbsStreamKey, NotificationType } from "../../mod.ts";
import { silentLogger } from "../../src/observability.ts";
import { useRedis } from "../fixture/use_redis.ts";
import { waitUntil } from "../fixture/wait.ts";
import { startOwner } from "../helpers/started_client.ts";
import { rsc, rscJson } from "./run_rsc.ts";

describe("rsc service commands", () => {
  const db = useRedis();

  it("add writes a Go-format LBS entry; owners, consumers-index, pending and dead-lbs show the service", async () => {
    const owner = await startOwner(db.server, { consumerId: "alice", logger: silentLogger }, "s1");
    const url = ["--url", db.server.url];
    try {
      const added = await rscJson<{ service: string; dataStream: string; idInLbs: string }>([
        "add",
        owner.service,
        "s2",
        "--info",
        '{"region":"eu"}',
        ...url,
      ]);
      assert.equal(added.service, owner.service);
      assert.equal(added.dataStream, "s2");
      const [entry] =
        (await db.redis.xRange(lbsStreamKey(owner.service), added.idInLbs, added.idInLbs)) ?? [];
      assert.deepEqual(JSON.parse(entry!.message["lbs-input"]!), {
        DataStreamName: "s2",
        Info: { region: "eu" },
      });
      await owner.log.next((n) =>
        n.type === NotificationType.StreamAdded && n.payload.dataStreamName === "s2"
      );
      await db.redis.xAdd(lbsStreamKey(owner.service), "*", { "lbs-input": "not json" });
      await waitUntil(async () => (await lbsDeadLetters(db.redis, owner.service)).length === 1);

      const [owners, index, pending, dead, table] = await Promise.all([
        rscJson<{ service: string; streams: Record<string, unknown>[] }>([
          "owners",
          owner.service,
          ...url,
        ]),
        rscJson<{ consumers: Record<string, unknown>[] }>([
          "consumers-index",
          owner.service,
          ...url,
        ]),
        rscJson<{ pending: Record<string, unknown>[] }>(["pending", owner.service, ...url]),
        rscJson<{ deadLetters: Record<string, unknown>[] }>(["dead-lbs", owner.service, ...url]),
        rsc(["owners", owner.service], { env: { REDIS_URL: db.server.url } }),
      ]);

      assert.equal(owners.service, owner.service);
      assert.deepEqual(owners.streams.map((s) => s.dataStream), ["s1", "s2"]);
      const s1 = owners.streams[0]!;
      assert.deepEqual(Object.keys(s1).sort(), [
        "dataStream",
        "deliveries",
        "fence",
        "idInLbs",
        "idleMs",
        "lockTtlMs",
        "owner",
        "pendingConsumer",
        "state",
      ]);
      assert.deepEqual(
        { ...s1, idleMs: 0, lockTtlMs: 0 },
        {
          dataStream: "s1",
          idInLbs: owner.id,
          state: "owned",
          owner: "alice",
          fence: 1,
          lockTtlMs: 0,
          pendingConsumer: "alice",
          idleMs: 0,
          deliveries: 1,
        },
      );
      assert.ok((s1.lockTtlMs as number) > 0);

      const [client] = index.consumers;
      assert.deepEqual(Object.keys(client!).sort(), [
        "client",
        "consumer",
        "deadline",
        "locks",
        "msLeft",
        "overdue",
      ]);
      assert.equal(client!.consumer, "alice");
      assert.equal(client!.locks, 2);
      assert.equal(client!.overdue, false);

      assert.deepEqual(pending.pending.map((p) => [p.dataStream, p.consumer, p.deliveries]), [
        ["s1", "alice", 1],
        ["s2", "alice", 1],
      ]);
      assert.deepEqual(Object.keys(pending.pending[0]!).sort(), [
        "consumer",
        "dataStream",
        "deliveries",
        "idInLbs",
        "idleMs",
      ]);

      const [letter] = dead.deadLetters;
      assert.equal(letter!.reason, "not-json");
      assert.equal(letter!.consumer, "alice");
      assert.deepEqual(letter!.fields, { "lbs-input": "not json" });
      assert.deepEqual(Object.keys(letter!).sort(), [
        "consumer",
        "detail",
        "failedAt",
        "fields",
        "id",
        "originalId",
        "reason",
      ]);

      assert.equal(table.code, 0, table.stderr);
      assert.match(
        table.stdout,
        /^STREAM +ID IN LBS +STATE +OWNER +FENCE +LOCK TTL +IDLE +DELIVERIES$/m,
      );
      assert.match(
        table.stdout,
        new RegExp(`^s1 +${owner.id} +owned +alice +1 +\\S+ +\\S+ +1$`, "m"),
      );
      assert.ok(!table.stdout.includes("\u001b["), "no colours when stdout is not a TTY");
      const plainAdd = await rsc(["add", owner.service, "s3", ...url]);
      assert.equal(plainAdd.code, 0);
      assert.match(plainAdd.stdout, /^\d+-\d+\n$/);
    } finally {
      await owner.client.done();
      owner.redis.destroy();
    }
  });

  it("a service nobody has used shows empty lists, not errors", async () => {
    const url = ["--url", db.server.url];
    const [owners, pending, index, dead] = await Promise.all([
      rscJson(["owners", "nobody", ...url]),
      rscJson(["pending", "nobody", ...url]),
      rscJson(["consumers-index", "nobody", ...url]),
      rsc(["dead-lbs", "nobody", ...url]),
    ]);
    assert.deepEqual(owners, { service: "nobody", streams: [] });
    assert.deepEqual(pending, { service: "nobody", pending: [] });
    assert.deepEqual(index, { service: "nobody", consumers: [] });
    assert.equal(dead.code, 0);
    assert.equal(dead.stdout, "(none)\n");
  });
});
