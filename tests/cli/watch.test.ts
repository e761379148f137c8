/** rsc watch prints a service's state feed live. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addStream, createStreamClient, NotificationType } from "../../mod.ts";
import { silentLogger } from "../../src/observability.ts";
import { uniqueName } from "../fixture/redis_server.ts";
import { useRedis } from "../fixture/use_redis.ts";
import { NotificationLog } from "../helpers/notifications.ts";
import { rsc } from "./run_rsc.ts";

describe("rsc watch", () => {
  const db = useRedis();

  it("prints each transition as stream, consumer, from → to, and JSON lines with --json", async () => {
    const service = uniqueName();
    const redis = await db.server.connect();
    const client = createStreamClient(redis, service, {
      consumerId: "erin",
      stateFeed: true,
      logger: silentLogger,
    });
    try {
      const log = new NotificationLog(await client.init());
      await addStream(redis, service, { dataStreamName: "orders:1", info: {} });
      await log.next((n) => n.type === NotificationType.StreamAdded);
      await client.doneStream("orders:1");
      const url = ["--url", db.server.url];
      // From the start of the feed: consumer started, then the stream's actor from its first
      // state to released.
      const [lines, json] = await Promise.all([
        rsc(["watch", service, "--from", "0", "--count", "3", ...url]),
        rsc(["watch", service, "--from", "0", "--count", "2", "--json", ...url]),
      ]);
      assert.equal(lines.code, 0, lines.stderr);
      const [started, first, second] = lines.stdout.trim().split("\n");
      assert.match(
        started!,
        /^\d\d:\d\d:\d\d\.\d{3} {2}erin {2}started \((node|deno|bun), pid \d+\)$/,
      );
      assert.match(first!, /^\S+ {2}orders:1 {2}erin {2}∅ → \w+ {2}\(\S+, fence 1\)$/);
      assert.match(second!, /^\S+ {2}orders:1 {2}erin {2}\w+ → \w+ {2}\(\S+, fence 1\)$/);
      assert.equal(json.code, 0, json.stderr);
      const entries = json.stdout.trim().split("\n").map((line) => JSON.parse(line));
      assert.equal(entries.length, 2);
      assert.equal(entries[0].event, "consumer.started");
      assert.deepEqual(
        [entries[1].stream, entries[1].consumer, entries[1].from, entries[1].fence],
        ["orders:1", "erin", "", 1],
      );
      for (const key of ["id", "consumer", "stream", "idInLbs", "from", "to", "event", "at"]) {
        assert.ok(key in entries[1], key);
      }
      // Live, nothing new: --timeout ends it cleanly.
      const quiet = await rsc(["watch", service, "--timeout", "1000", ...url]);
      assert.deepEqual([quiet.code, quiet.stdout], [0, ""]);
    } finally {
      await client.done();
      redis.destroy();
    }
  });
});
