/** rsc dead peek, size, replay, replay-all and purge, with and without --group. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DeadLetters, encodeEnvelope } from "../../mod.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";
import { rsc, rscJson } from "./run_rsc.ts";

describe("rsc dead", () => {
  const db = useRedis();

  async function deadLettersOf(groups: string[]) {
    const stream = uniqueName("events");
    const dead = new DeadLetters(db.redis, { stream });
    const ids = [];
    for (const [i, group] of groups.entries()) {
      ids.push(
        await dead.add({
          originalId: `${i + 1}-0`,
          reason: "failed",
          totalAttempts: 5,
          lastError: "Error: boom",
          consumerGroup: group,
          fields: encodeEnvelope({ type: "order.paid", payload: `p${i}` }),
        }),
      );
    }
    return { stream, ids };
  }

  it("peek and size show the dead letters, of one group with --group", async () => {
    const { stream, ids } = await deadLettersOf(["a", "b", "a"]);
    const url = ["--url", db.server.url];
    const [peek, peekB, size, sizeA, table] = await Promise.all([
      rscJson<{ stream: string; deadLetters: Record<string, unknown>[] }>([
        "dead",
        "peek",
        stream,
        ...url,
      ]),
      rscJson<{ deadLetters: Record<string, unknown>[] }>([
        "dead",
        "peek",
        stream,
        "--group",
        "b",
        ...url,
      ]),
      rsc(["dead", "size", stream, ...url]),
      rscJson(["dead", "size", stream, "--group", "a", ...url]),
      rsc(["dead", "peek", stream, ...url]),
    ]);
    assert.equal(peek.stream, stream);
    assert.deepEqual(peek.deadLetters.map((l) => l.id), ids);
    assert.deepEqual(Object.keys(peek.deadLetters[0]!).sort(), [
      "consumerGroup",
      "failedAt",
      "fields",
      "id",
      "lastError",
      "message",
      "originalId",
      "originalStream",
      "reason",
      "replayCount",
      "totalAttempts",
    ]);
    assert.equal((peek.deadLetters[0]!.message as { payload: string }).payload, "p0");
    assert.deepEqual(peekB.deadLetters.map((l) => l.id), [ids[1]]);
    assert.equal(size.stdout, "3\n");
    assert.deepEqual(sizeA, { stream, group: "a", size: 2 });
    assert.match(
      table.stdout,
      /^ID +ORIGINAL ID +REASON +GROUP +ATTEMPTS +REPLAYS +TYPE +LAST ERROR$/m,
    );
    assert.match(table.stdout, /failed +a +5 +0 +order\.paid +Error: boom$/m);
  });

  it("replay, replay-all and purge move and delete letters, report progress, and name a letter that is missing", async () => {
    const { stream, ids } = await deadLettersOf(["a", "b", "a", "b", "a"]);
    const url = ["--url", db.server.url];
    const replayed = await rscJson<{ newId: string }>(["dead", "replay", stream, ids[0]!, ...url]);
    const [entry] = (await db.redis.xRange(stream, replayed.newId, replayed.newId)) ?? [];
    assert.equal(entry!.message.payload, "p0");
    const missing = await rsc(["dead", "replay", stream, "1-1", ...url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /rsc: Replay of dead letter 1-1 refused: no such dead letter/);

    const all = await rsc(["dead", "replay-all", stream, "--group", "a", ...url]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, "replayed 2, refused 0\n");
    assert.match(all.stderr, /^replay-all: 2\/2 \(0 refused\)$/m);
    assert.equal(await db.redis.xLen(stream), 3);

    const purged = await rsc(["dead", "purge", stream, "--group", "b", "--json", ...url]);
    assert.deepEqual(JSON.parse(purged.stdout), { stream, group: "b", deleted: 2 });
    assert.match(purged.stderr, /^purge: 2 deleted$/m);
    assert.deepEqual(await rscJson(["dead", "size", stream, ...url]), {
      stream,
      group: null,
      size: 0,
    });
  });
});
