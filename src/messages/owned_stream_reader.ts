/**
 * Reading an owned data stream: resume after the checkpoint the previous
 * owner committed, stop when ownership ends, and commit only while still the
 * owner (checked in Redis against the lock and the fencing token).
 *
 * At-least-once: entries after the last commit are read again by the next
 * owner, so handlers must be idempotent.
 */
import { fencedWrite } from "../client.ts";
import { asLibraryError, libraryCall } from "../errors.ts";
import type { StreamOwnership } from "../ownership.ts";
import { type AnyRedisClient, asRedisClient, type RedisClient } from "../redis/client.ts";
import { closeConnection } from "../redis/close_connection.ts";
import { streamMessages } from "../redis/stream_reply.ts";
import { integerOption, objectOption, rejectUnknownOptions } from "../option_checks.ts";
import type { StreamEntry } from "./history.ts";

export interface OwnedStreamReaderOptions {
  /** Where the checkpoint lives. @default `<dataStreamName>:checkpoint` */
  readonly checkpointKey?: string;
  /** Entries per read. @default 100 */
  readonly batchSize?: number;
  /** How long a read blocks for new entries. @default 1000 */
  readonly blockMs?: number;
}

/** The default checkpoint key of a data stream. */
export function checkpointKeyOf(dataStreamName: string): string {
  return `${dataStreamName}:checkpoint`;
}

export class OwnedStreamReader implements AsyncIterable<StreamEntry> {
  readonly checkpointKey: string;
  readonly #redis: RedisClient;
  readonly #ownership: StreamOwnership;
  readonly #batchSize: number;
  readonly #blockMs: number;

  constructor(
    redis: AnyRedisClient,
    ownership: StreamOwnership,
    options: OwnedStreamReaderOptions = {},
  ) {
    this.#redis = asRedisClient(redis);
    this.#ownership = ownership;
    objectOption("options", options);
    rejectUnknownOptions("owned stream reader option", options, [
      "checkpointKey",
      "batchSize",
      "blockMs",
    ]);
    this.checkpointKey = options.checkpointKey ?? checkpointKeyOf(ownership.dataStreamName);
    this.#batchSize = integerOption("batchSize", options.batchSize, 100, 1);
    this.#blockMs = integerOption("blockMs", options.blockMs, 1000, 1);
  }

  /** The last committed id ("0-0" when nothing was committed yet). */
  async checkpoint(): Promise<string> {
    const read = () => this.#redis.get(this.checkpointKey);
    return (await libraryCall(`reading checkpoint "${this.checkpointKey}"`, read)) ?? "0-0";
  }

  /**
   * Commits `id` as processed, only while this ownership is current.
   * @throws {OwnershipLostError} when another acquisition owns the stream.
   */
  async commit(id: string): Promise<void> {
    await fencedWrite(this.#redis, this.#ownership, this.checkpointKey, id);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamEntry> {
    const signal = this.#ownership.signal;
    const reader = this.#redis.duplicate() as RedisClient;
    reader.on("error", () => {});
    const connecting = reader.connect();
    connecting.catch(() => {});
    const onAbort = () => closeConnection(reader, connecting);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await connecting;
      let after = await this.checkpoint();
      while (!signal.aborted) {
        let reply;
        try {
          reply = await reader.withCommandOptions({ timeout: this.#blockMs + 5000 }).xRead(
            { key: this.#ownership.dataStreamName, id: after },
            { COUNT: this.#batchSize, BLOCK: this.#blockMs },
          );
        } catch (error) {
          if (signal.aborted) return;
          throw asLibraryError(`reading owned stream "${this.#ownership.dataStreamName}"`, error);
        }
        for (const { id, message } of streamMessages(reply)) {
          if (signal.aborted) return;
          after = id;
          yield { id, fields: message };
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      closeConnection(reader, connecting);
    }
  }
}

/** Reads an owned stream from its checkpoint until ownership ends. */
export function readOwnedStream(
  redis: AnyRedisClient,
  ownership: StreamOwnership,
  options?: OwnedStreamReaderOptions,
): OwnedStreamReader {
  return new OwnedStreamReader(redis, ownership, options);
}
