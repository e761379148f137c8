/**
 * The state feed as the dashboard reads it: the entries already there, then
 * each new one as it comes. Written against the shared contract
 * (`readStateFeed` / `watchStateFeed`); reads the feed's stream directly
 * until the library's reader lands.
 */
import type { RedisClient } from "../src/redis/client.ts";

/** One transition of a stream actor, or a consumer's start or stop (contract shape). */
export interface StateFeedEntry {
  readonly id: string;
  readonly consumer: string;
  readonly stream: string;
  readonly idInLbs: string;
  readonly from: string;
  readonly to: string;
  readonly event: string;
  readonly fence: number;
  readonly at: number;
  readonly runtime?: string;
  readonly pid?: number;
}

const HISTORY = 10_000;

/** Every entry from the last `HISTORY` on, then new ones until `signal` aborts. */
export async function* followStateFeed(
  redis: RedisClient,
  service: string,
  signal: AbortSignal,
): AsyncGenerator<StateFeedEntry> {
  const key = `${service}-state-feed`;
  const history = await redis.xRevRange(key, "+", "-", { COUNT: HISTORY });
  let after = "0";
  for (const raw of (history ?? []).reverse()) {
    after = raw.id;
    yield toEntry(raw.id, raw.message);
  }
  const reader = redis.duplicate();
  reader.on("error", () => {});
  await reader.connect();
  const close = () => reader.isOpen && reader.destroy();
  signal.addEventListener("abort", close, { once: true });
  try {
    while (!signal.aborted) {
      let reply;
      try {
        reply = await reader.xRead({ key, id: after }, { BLOCK: 1000, COUNT: 1000 });
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      for (
        const stream of (reply ?? []) as {
          messages: { id: string; message: Record<string, string> }[];
        }[]
      ) {
        for (const raw of stream.messages) {
          after = raw.id;
          yield toEntry(raw.id, raw.message);
        }
      }
    }
  } finally {
    signal.removeEventListener("abort", close);
    close();
  }
}

function toEntry(id: string, f: Record<string, string>): StateFeedEntry {
  return {
    id,
    consumer: f.consumer ?? "",
    stream: f.stream ?? "",
    idInLbs: f.idInLbs ?? "",
    from: f.from ?? "",
    to: f.to ?? "",
    event: f.event ?? "",
    fence: Number(f.fence ?? 0),
    at: Number(f.at ?? 0),
    runtime: f.runtime,
    pid: f.pid === undefined ? undefined : Number(f.pid),
  };
}
