/** rsc produce, consume, groups, consumers and group-pending. */
import type { ChildProcess } from "node:child_process";
import { describe, it } from "node:test";
import process from "node:process";
import assert from "node:assert/strict";
import { decodeEnvelope, publish } from "../../mod.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";
import { waitUntil } from "../fixture/wait.ts";
import { rsc, rscJson } from "./run_rsc.ts";

describe("rsc stream commands", () => {
  const db = useRedis();

  it("produce publishes envelopes, many in batches with progress on stderr", async () => {
    const stream = uniqueName("events");
    const url = ["--url", db.server.url];
    const one = await rsc([
      "produce",
      stream,
      "--type",
      "order.paid",
      "--payload",
      '{"n":1}',
      ...url,
    ]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^\d+-\d+\n$/);
    const many = await rscJson<Record<string, unknown>>([
      "produce",
      stream,
      "--type",
      "t",
      "--payload",
      "p",
      "--count",
      "2500",
      ...url,
    ]);
    assert.deepEqual(Object.keys(many).sort(), ["firstId", "lastId", "produced", "stream"]);
    assert.equal(many.produced, 2500);
    assert.equal(await db.redis.xLen(stream), 2501);
    const [first] = (await db.redis.xRange(stream, "-", "+", { COUNT: 1 })) ?? [];
    assert.equal(decodeEnvelope(first!.message).payload, '{"n":1}');
    const progress = await rsc([
      "produce",
      stream,
      "--type",
      "t",
      "--payload",
      "p",
      "--count",
      "3",
      ...url,
    ]);
    assert.match(progress.stderr, /^produce: 3\/3$/m);
    assert.match(progress.stdout, /^produced 3 messages to /);
  });

  it("consume prints and acks messages, stops at --count or --timeout; groups, consumers and group-pending show the group", async () => {
    const stream = uniqueName("events");
    const url = ["--url", db.server.url];
    for (let i = 0; i < 5; i++) await publish(db.redis, stream, { type: "t", payload: `m${i}` });

    const consumed = await rsc([
      "consume",
      stream,
      "--group",
      "billing",
      "--from",
      "0",
      "--consumer",
      "cli",
      "--count",
      "3",
      "--json",
      ...url,
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    const lines = consumed.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(lines.map((m) => m.payload), ["m0", "m1", "m2"]);
    assert.deepEqual(Object.keys(lines[0]).sort(), [
      "id",
      "payload",
      "producedAt",
      "type",
      "version",
    ]);
    assert.match(consumed.stderr, /consumed 3 messages/);

    // Leave one entry pending with another consumer, so group-pending has something to show.
    await db.redis.xReadGroup("billing", "other", { key: stream, id: ">" }, { COUNT: 1 });
    const [groups, consumers, pending] = await Promise.all([
      rscJson<{ stream: string; groups: Record<string, unknown>[] }>(["groups", stream, ...url]),
      rscJson<{ consumers: Record<string, unknown>[] }>(["consumers", stream, "billing", ...url]),
      rscJson<{ pending: Record<string, unknown>[] }>(["group-pending", stream, "billing", ...url]),
    ]);
    assert.deepEqual(groups.groups, [
      {
        name: "billing",
        consumers: 2,
        pending: 1,
        lag: 1,
        lastDeliveredId: (await db.redis.xRange(stream, "-", "+", { COUNT: 4 }))!.at(-1)!.id,
      },
    ]);
    assert.deepEqual(
      consumers.consumers.map((c) => [c.name, c.pending]).sort(),
      [["cli", 0], ["other", 1]],
    );
    assert.deepEqual(pending.pending.map((p) => [p.consumer, p.deliveries]), [["other", 1]]);
    assert.deepEqual(Object.keys(pending.pending[0]!).sort(), [
      "consumer",
      "deliveries",
      "id",
      "idleMs",
    ]);

    // The last message, then nothing more: --timeout ends the run.
    const rest = await rsc(["consume", stream, "--group", "billing", "--timeout", "1500", ...url]);
    assert.equal(rest.code, 0, rest.stderr);
    assert.match(rest.stdout, /^\d+-\d+ {2}t {2}m4\n$/);
    const after = await rscJson<{ groups: Array<{ pending: number; lag: number }> }>([
      "groups",
      stream,
      ...url,
    ]);
    assert.deepEqual([after.groups[0]!.pending, after.groups[0]!.lag], [1, 0]);
    const table = await rsc(["groups", stream, ...url]);
    assert.match(table.stdout, /^GROUP +CONSUMERS +PENDING +LAG +LAST DELIVERED$/m);
  });

  it("consume stops on SIGINT and acks what it printed", async () => {
    const stream = uniqueName("events");
    let child: ChildProcess | undefined;
    const run = rsc(["consume", stream, "--group", "g", "--url", db.server.url], {
      started: (c) => (child = c),
    });
    await waitUntil(async () => (await db.redis.exists(stream)) === 1, {
      message: "group created",
    });
    await publish(db.redis, stream, { type: "t", payload: "hello" });
    await waitUntil(async () => {
      const [group] = await db.redis.xInfoGroups(stream);
      return group && Number(group["entries-read"] ?? 0) === 1 && Number(group.pending) === 0;
    }, { message: "the message acked" });
    process.kill(child!.pid!, "SIGINT"); // not child.kill: Deno then reports no exit code
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, / {2}t {2}hello\n$/);
    assert.match(result.stderr, /consumed 1 message from/);
  });
});
