/**
 * The state feed as the dashboard reads it: the entries already there (the
 * feed is capped, so this is bounded), then each new one as it comes.
 */
import { readStateFeed, type StateFeedEntry, watchStateFeed } from "../mod.ts";
import type { RedisClient } from "../src/redis/client.ts";

const PAGE = 1000;

/** Every entry the feed holds, then new ones until `signal` aborts. */
export async function* followStateFeed(
  redis: RedisClient,
  service: string,
  signal: AbortSignal,
): AsyncGenerator<StateFeedEntry> {
  let after = "0";
  for (;;) {
    const page = await readStateFeed(redis, service, { after, count: PAGE });
    for (const entry of page) yield entry;
    if (page.length > 0) after = page.at(-1)!.id;
    if (page.length < PAGE) break;
  }
  yield* watchStateFeed(redis, service, { after: after === "0" ? "0-0" : after, signal });
}
