/** Reading a service's state feed: a page of it, or a live tail. */
import { stateFeedKey } from "../keys.ts";
import { type AnyRedisClient, asRedisClient, type RedisClient } from "../redis/client.ts";
import { streamMessages } from "../redis/stream_reply.ts";
import { decodeFeedEntry, type StateFeedEntry } from "./entry.ts";

const STREAM_ID = /^\d+(-\d+)?$/;

/** Options of readStateFeed. */
export interface ReadStateFeedOptions {
  /** Entries after this stream id. @default "0" (from the start) */
  readonly after?: string;
  /** At most this many entries. @default 1000 */
  readonly count?: number;
}

/**
 * The feed's entries after `after`, oldest first.
 * @throws {TypeError} when `after` is not a stream id.
 * @throws {RangeError} when `count` is not a positive integer.
 */
export async function readStateFeed(
  redis: AnyRedisClient,
  service: string,
  options: ReadStateFeedOptions = {},
): Promise<StateFeedEntry[]> {
  const after = streamId("after", options.after ?? "0");
  const count = positiveInteger("count", options.count ?? 1000);
  const start = after === "0" || after === "0-0" ? "-" : `(${after}`;
  const entries = await asRedisClient(redis).xRange(stateFeedKey(service), start, "+", {
    COUNT: count,
  });
  return (entries ?? []).map((entry) => decodeFeedEntry(entry.id, entry.message));
}

/** Options of watchStateFeed. */
export interface WatchStateFeedOptions {
  /** Entries after this stream id; "$" is what comes after the call. @default "$" */
  readonly after?: string;
  /** Ends the iteration and closes its connection. */
  readonly signal?: AbortSignal;
  /** How long one XREAD blocks. @default 1000 */
  readonly blockMs?: number;
}

/**
 * Follows the feed live. It reads on a duplicate of `redis` (a blocking XREAD
 * would hold up the caller's other commands) and closes it when `signal`
 * aborts or the loop breaks; the caller's connection is left open.
 * @throws {TypeError} when `after` is neither "$" nor a stream id.
 * @throws {RangeError} when `blockMs` is not a positive integer.
 */
export function watchStateFeed(
  redis: AnyRedisClient,
  service: string,
  options: WatchStateFeedOptions = {},
): AsyncIterable<StateFeedEntry> {
  const client = asRedisClient(redis);
  const after = options.after === "$" || options.after === undefined
    ? "$"
    : streamId("after", options.after);
  const blockMs = positiveInteger("blockMs", options.blockMs ?? 1000);
  return follow(client, stateFeedKey(service), after, blockMs, options.signal);
}

async function* follow(
  redis: RedisClient,
  key: string,
  from: string,
  blockMs: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<StateFeedEntry> {
  if (signal?.aborted) return;
  const reader = redis.duplicate() as RedisClient;
  reader.on("error", () => {});
  const onAbort = () => reader.isOpen && reader.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let after = from;
    try {
      await reader.connect();
      // "$" read again on every XREAD would skip what arrives between reads: pin it to an id once.
      if (after === "$") after = await lastId(reader, key);
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    while (!signal?.aborted) {
      let reply;
      try {
        reply = await reader.withCommandOptions({ timeout: blockMs + 5000 }).xRead(
          { key, id: after },
          { COUNT: 100, BLOCK: blockMs },
        );
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      }
      for (const { id, message } of streamMessages(reply)) {
        after = id;
        yield decodeFeedEntry(id, message);
        if (signal?.aborted) return;
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (reader.isOpen) reader.destroy();
  }
}

async function lastId(redis: RedisClient, key: string): Promise<string> {
  const [last] = (await redis.xRevRange(key, "+", "-", { COUNT: 1 })) ?? [];
  return last?.id ?? "0-0";
}

function streamId(name: string, value: unknown): string {
  if (typeof value !== "string" || !STREAM_ID.test(value)) {
    throw new TypeError(`${name} must be a stream id such as "0" or "1700000000000-0"`);
  }
  return value;
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer; got ${String(value)}`);
  }
  return value;
}
