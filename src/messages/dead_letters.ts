/**
 * Dead letters: messages that could not be processed, kept in their own
 * stream with thinrsmq's metadata fields, to peek at, replay or purge.
 */
import { integerOption, objectOption, rejectUnknownOptions } from "../option_checks.ts";
import { type AnyRedisClient, asRedisClient, type RedisClient } from "../redis/client.ts";
import { libraryCall } from "../errors.ts";
import { decodeEnvelope, MalformedEnvelopeError, type Message } from "./envelope.ts";

/** Why a message was dead-lettered. */
export type DeadLetterReason = "failed" | "malformed" | "trimmed" | "poison";

const ENVELOPE_FIELDS = ["v", "type", "payload", "produced_at", "trace_id", "producer"];
const LAST_ERROR_LIMIT = 1000;

/** What a dead letter records about the failure. */
export interface FailureMetadata {
  readonly originalId: string;
  readonly reason: DeadLetterReason;
  readonly totalAttempts: number;
  readonly lastError: string;
  readonly consumerGroup: string;
  /** The original entry's fields (absent when its payload was trimmed away). */
  readonly fields?: Readonly<Record<string, string>>;
}

export interface DeadLetter {
  /** Id of the dead letter in the dead-letter stream. */
  readonly id: string;
  readonly originalId: string;
  readonly originalStream: string;
  readonly reason: DeadLetterReason;
  readonly failedAt: string;
  readonly totalAttempts: number;
  readonly lastError: string;
  readonly consumerGroup: string;
  readonly replayCount: number;
  /** The envelope, when the original entry was a valid one. */
  readonly message: Message | undefined;
  /** All fields as stored. */
  readonly fields: Readonly<Record<string, string>>;
}

/** A dead letter that cannot be replayed (limit reached, or nothing to replay). */
export class ReplayRefusedError extends Error {
  override readonly name = "ReplayRefusedError";
  readonly deadLetterId: string;

  constructor(deadLetterId: string, why: string, options?: ErrorOptions) {
    super(`Replay of dead letter ${deadLetterId} refused: ${why}`, options);
    this.deadLetterId = deadLetterId;
  }
}

export interface DeadLetterOptions {
  /** The stream whose dead letters these are. */
  readonly stream: string;
  /** Where they are kept. @default `<stream>-dead` */
  readonly deadLetterStream?: string;
  /** Replays allowed per message before it stays dead. @default 3 */
  readonly maxReplays?: number;
}

/** Narrows dead-letter reads and removals to one consumer group's letters. */
export interface DeadLetterFilter {
  /** Only letters whose `consumer_group` is this. */
  readonly group?: string;
}

/** The default dead-letter stream of a stream. */
export function deadLetterStreamOf(stream: string): string {
  return `${stream}-dead`;
}

export class DeadLetters {
  readonly stream: string;
  readonly deadLetterStream: string;
  readonly maxReplays: number;
  readonly #redis: RedisClient;

  constructor(redis: AnyRedisClient, options: DeadLetterOptions) {
    this.#redis = asRedisClient(redis);
    objectOption("options", options ?? null);
    rejectUnknownOptions("dead letter option", options, [
      "stream",
      "deadLetterStream",
      "maxReplays",
    ]);
    this.stream = options.stream;
    this.deadLetterStream = options.deadLetterStream ?? deadLetterStreamOf(options.stream);
    this.maxReplays = integerOption("maxReplays", options.maxReplays, 3, 0);
  }

  /** Records a failed message. @returns the dead letter's id. */
  add(failure: FailureMetadata): Promise<string> {
    return this.#call(() => this.#redis.xAdd(this.deadLetterStream, "*", this.#fieldsOf(failure)));
  }

  /** Runs a step on the dead-letter stream; Redis refusals reach the caller as RedisCommandError. */
  #call<T>(step: () => Promise<T>): Promise<T> {
    return libraryCall(`dead letters of "${this.stream}"`, step);
  }

  /** The fields a dead letter is stored with (for callers batching it with an XACK). */
  #fieldsOf(failure: FailureMetadata): Record<string, string> {
    const original = failure.fields ?? {};
    const fields: Record<string, string> = {};
    for (const name of ENVELOPE_FIELDS) {
      if (original[name] !== undefined) fields[name] = original[name]!;
    }
    return {
      ...fields,
      raw: JSON.stringify(original),
      reason: failure.reason,
      original_id: failure.originalId,
      original_stream: this.stream,
      failed_at: new Date().toISOString(),
      total_attempts: String(failure.totalAttempts),
      last_error: failure.lastError.slice(0, LAST_ERROR_LIMIT),
      consumer_group: failure.consumerGroup,
      replay_count: original.replay_count ?? "0",
    };
  }

  /** The oldest `count` dead letters (of one consumer group, when given), without removing them. */
  async peek(count = 10, { group }: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    if (group === undefined) {
      const entries = await this.#call(() =>
        this.#redis.xRange(this.deadLetterStream, "-", "+", { COUNT: count })
      );
      return (entries ?? []).filter((e) => e !== null).map((e) => toDeadLetter(e.id, e.message));
    }
    const found: DeadLetter[] = [];
    for await (const letter of this.#letters(group)) {
      if (found.push(letter) >= count) break;
    }
    return found;
  }

  /** How many dead letters there are (of one consumer group, when given: read through). */
  async size({ group }: DeadLetterFilter = {}): Promise<number> {
    if (group === undefined) return await this.#call(() => this.#redis.xLen(this.deadLetterStream));
    let size = 0;
    for await (const _ of this.#letters(group)) size++;
    return size;
  }

  /** Every dead letter in id order, page by page, of one group when given. */
  async *#letters(group: string | undefined): AsyncGenerator<DeadLetter> {
    let start = "-";
    for (;;) {
      const page = (await this.#call(() =>
        this.#redis.xRange(this.deadLetterStream, start, "+", { COUNT: 100 })
      )) ?? [];
      for (const entry of page) {
        if (!entry) {
          continue;
        }
        const letter = toDeadLetter(entry.id, entry.message);
        if (group === undefined || letter.consumerGroup === group) {
          yield letter;
        }
      }
      if (page.length < 100) {
        return;
      }
      start = `(${page.at(-1)!.id}`;
    }
  }

  /**
   * Publishes a dead letter's message to its original stream again and removes the dead letter.
   * @returns the new entry id.
   * @throws {ReplayRefusedError} past `maxReplays`, or when there is no envelope to replay.
   */
  async replay(deadLetterId: string): Promise<string> {
    const [entry] =
      (await this.#call(() =>
        this.#redis.xRange(this.deadLetterStream, deadLetterId, deadLetterId)
      )) ?? [];
    if (!entry) throw new ReplayRefusedError(deadLetterId, "no such dead letter");
    const letter = toDeadLetter(entry.id, entry.message);
    if (!letter.message) {
      throw new ReplayRefusedError(deadLetterId, `nothing to replay (${letter.reason})`);
    }
    if (letter.replayCount >= this.maxReplays) {
      throw new ReplayRefusedError(deadLetterId, `replayed ${letter.replayCount} times already`);
    }
    const fields: Record<string, string> = { replay_count: String(letter.replayCount + 1) };
    for (const name of ENVELOPE_FIELDS) {
      if (letter.fields[name] !== undefined) fields[name] = letter.fields[name]!;
    }
    const [newId] = await this.#call(() =>
      this.#redis.multi()
        .xAdd(letter.originalStream, "*", fields)
        .xDel(this.deadLetterStream, deadLetterId)
        .execAsPipeline()
    );
    return String(newId);
  }

  /**
   * Replays every dead letter that may be replayed (of one group, when given);
   * counts the others. `onProgress` hears the counts after each letter.
   */
  async replayAll(
    { group, onProgress }: DeadLetterFilter & {
      onProgress?: (counts: { replayed: number; refused: number }) => void;
    } = {},
  ): Promise<{ replayed: number; refused: number }> {
    const counts = { replayed: 0, refused: 0 };
    for await (const letter of this.#letters(group)) {
      try {
        await this.replay(letter.id);
        counts.replayed++;
      } catch (error) {
        if (!(error instanceof ReplayRefusedError)) throw error;
        counts.refused++;
      }
      onProgress?.({ ...counts });
    }
    return counts;
  }

  /**
   * Deletes every dead letter (of one group, when given: XDEL a page at a time,
   * `onProgress` hearing how many so far). @returns how many were deleted.
   */
  async purge(
    { group, onProgress }: DeadLetterFilter & { onProgress?: (deleted: number) => void } = {},
  ): Promise<number> {
    if (group === undefined) {
      const size = await this.size();
      await this.#call(() => this.#redis.del(this.deadLetterStream));
      onProgress?.(size);
      return size;
    }
    let deleted = 0;
    let ids: string[] = [];
    const flush = async () => {
      if (ids.length === 0) return;
      deleted += Number(await this.#call(() => this.#redis.xDel(this.deadLetterStream, ids)));
      ids = [];
      onProgress?.(deleted);
    };
    for await (const letter of this.#letters(group)) {
      ids.push(letter.id);
      if (ids.length >= 100) await flush();
    }
    await flush();
    return deleted;
  }
}

function toDeadLetter(id: string, fields: Record<string, string>): DeadLetter {
  let message: Message | undefined;
  try {
    message = decodeEnvelope(fields);
  } catch (error) {
    if (!(error instanceof MalformedEnvelopeError)) throw error;
  }
  return {
    id,
    originalId: fields.original_id ?? "",
    originalStream: fields.original_stream ?? "",
    reason: (fields.reason ?? "failed") as DeadLetterReason,
    failedAt: fields.failed_at ?? "",
    totalAttempts: Number(fields.total_attempts ?? 0),
    lastError: fields.last_error ?? "",
    consumerGroup: fields.consumer_group ?? "",
    replayCount: Number(fields.replay_count ?? 0),
    message,
    fields,
  };
}
