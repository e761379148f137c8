/**
 * A consumer in a shared consumer group: many consumers, one stream, each
 * entry handled by one of them.
 *
 * Retries survive crashes because their state is in Redis: the failure count
 * per entry is a hash field (HINCRBY after each failure), and a failed entry
 * stays pending in this consumer's PEL while its due time waits in a sorted
 * set. A retry timer takes due ids (ZREM decides who takes one), XCLAIMs them
 * and handles them again. Past maxAttempts the message is dead-lettered and
 * acked. Entries left by a dead consumer are reaped (see reaper.ts).
 */
import { streamMessages } from "../redis/stream_reply.ts";
import { pause } from "../actors/backoff.ts";
import { type AnyRedisClient, asRedisClient, type RedisClient } from "../redis/client.ts";
import { type DeadLetterReason, DeadLetters } from "./dead_letters.ts";
import { asLibraryError, DeadlineExceededError, describeError } from "../errors.ts";
import { closeConnection } from "../redis/close_connection.ts";
import { decodeEnvelope, MalformedEnvelopeError, type Message } from "./envelope.ts";
import {
  reapIdleEntries,
  type ReapOptions,
  type ReapReport,
  resolveReapOptions,
} from "./reaper.ts";
import { resolveRetryPolicy, retryDelay, type RetryPolicy } from "./retry_policy.ts";
import {
  consoleLogger,
  type Logger,
  type MessageOutcome,
  type MetricsRecorder,
} from "../observability.ts";
import { guardHooks } from "../hook_guard.ts";
import {
  checkLogger,
  checkMetrics,
  integerOption,
  objectOption,
  rejectUnknownOptions,
} from "../option_checks.ts";

/** What a handler gets besides the message. */
export interface HandlerContext {
  readonly id: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
  /** Aborts when stop() gives up waiting for in-flight handlers. */
  readonly signal: AbortSignal;
}

export type MessageHandler = (message: Message, context: HandlerContext) => unknown;

export interface GroupConsumerOptions {
  readonly stream: string;
  readonly group: string;
  /** @default a random name */
  readonly consumer?: string;
  readonly handler: MessageHandler;
  /** Entries per read. @default 10 */
  readonly batchSize?: number;
  /** How long a read blocks waiting for entries. @default 1000 */
  readonly blockMs?: number;
  /** Handlers running at once. @default 1 */
  readonly concurrency?: number;
  /**
   * Where the group starts when this consumer creates it: `"0"` (every entry
   * already in the stream gets processed, as a work queue expects) or `"$"`
   * (only entries added from now on; the skipped ones are logged). An existing
   * group keeps its position. @default "0"
   */
  readonly startId?: string;
  readonly retry?: Partial<RetryPolicy>;
  readonly deadLetters?: { readonly stream?: string; readonly maxReplays?: number };
  /** Reaping of entries left idle by dead consumers; false turns it off. */
  readonly reaper?: Partial<ReapOptions> | false;
  /** Where Redis trouble and handler failures are logged, as for the stream client. */
  readonly logger?: Logger;
  /** The same recorder as the stream client's; the message layer calls its `recordMessage*`. */
  readonly metrics?: MetricsRecorder;
}

const OPTION_NAMES = [
  "stream",
  "group",
  "consumer",
  "handler",
  "batchSize",
  "blockMs",
  "concurrency",
  "startId",
  "retry",
  "deadLetters",
  "reaper",
  "logger",
  "metrics",
] as const satisfies readonly (keyof GroupConsumerOptions)[];

// An option added to GroupConsumerOptions but not to OPTION_NAMES would be refused: tsc fails here.
const everyOptionListed: Exclude<keyof GroupConsumerOptions, (typeof OPTION_NAMES)[number]> extends
  never ? true : never = true;
void everyOptionListed;

/**
 * Creates (does not start) a group consumer.
 * @throws {TypeError | RangeError} on bad options: an unknown one (the closest
 *   known one is named), a wrong type, a logger lacking a method.
 */
export function createGroupConsumer(
  redis: AnyRedisClient,
  options: GroupConsumerOptions,
): GroupConsumer {
  return new GroupConsumer(asRedisClient(redis), options);
}

export class GroupConsumer {
  readonly stream: string;
  readonly group: string;
  readonly name: string;
  readonly deadLetters: DeadLetters;
  readonly #redis: RedisClient;
  readonly #options: GroupConsumerOptions;
  readonly #retry: RetryPolicy;
  readonly #reap: ReapOptions | undefined;
  readonly #batchSize: number;
  readonly #blockMs: number;
  readonly #concurrency: number;
  readonly #attemptsKey: string;
  readonly #retriesKey: string;
  readonly #logger: Logger;
  readonly #metrics: MetricsRecorder;
  #running = false;
  #stopping: Promise<{ finished: boolean }> | undefined;
  #stop = new AbortController();
  #handlerAbort = new AbortController();
  #inFlight = new Set<Promise<void>>();
  #loops: Promise<void>[] = [];
  #reader: RedisClient | undefined;

  constructor(redis: RedisClient, options: GroupConsumerOptions) {
    objectOption("options", options ?? null);
    rejectUnknownOptions("group consumer option", options, OPTION_NAMES);
    if (typeof options?.handler !== "function") throw new TypeError("handler must be a function");
    for (const name of ["stream", "group"] as const) {
      if (typeof options[name] !== "string" || options[name] === "") {
        throw new TypeError(`${name} must be a non-empty string`);
      }
    }
    this.#redis = redis;
    this.#options = options;
    this.stream = options.stream;
    this.group = options.group;
    this.name = options.consumer ?? `consumer-${crypto.randomUUID().slice(0, 8)}`;
    this.#retry = resolveRetryPolicy(options.retry);
    this.#reap = options.reaper === false ? undefined : resolveReapOptions(options.reaper);
    this.#batchSize = positive("batchSize", options.batchSize ?? 10);
    this.#blockMs = positive("blockMs", options.blockMs ?? 1000);
    this.#concurrency = positive("concurrency", options.concurrency ?? 1);
    this.#attemptsKey = `${this.stream}:${this.group}:attempts`;
    this.#retriesKey = `${this.stream}:${this.group}:retries`;
    const logger = options.logger ?? consoleLogger;
    checkLogger("logger", logger);
    const metrics = options.metrics ?? {};
    checkMetrics("metrics", metrics);
    ({ logger: this.#logger, metrics: this.#metrics } = guardHooks(logger, metrics));
    objectOption("deadLetters", options.deadLetters);
    rejectUnknownOptions("deadLetters option", options.deadLetters ?? {}, ["stream", "maxReplays"]);
    this.deadLetters = new DeadLetters(redis, {
      stream: this.stream,
      deadLetterStream: options.deadLetters?.stream,
      maxReplays: options.deadLetters?.maxReplays,
    });
  }

  /**
   * Creates the group if needed (MKSTREAM) and starts reading, retrying and
   * reaping. A start that fails leaves nothing running and can be retried.
   * @param options.timeoutMs how long Redis may take to answer. @default 10000
   * @throws {DeadlineExceededError} when Redis does not answer in time (unreachable).
   */
  async start({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#running) return;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0; got ${timeoutMs}`);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const reader = this.#redis.duplicate() as RedisClient;
    reader.on("error", () => {});
    let connecting: Promise<unknown> | undefined;
    try {
      await untilAborted(this.#ensureGroup(deadline.signal), deadline.signal);
      connecting = reader.connect();
      await untilAborted(connecting, deadline.signal);
    } catch (error) {
      closeConnection(reader, connecting);
      if (!deadline.signal.aborted) {
        throw asLibraryError(`starting group consumer ${this.name} on "${this.stream}"`, error);
      }
      throw new DeadlineExceededError(
        `Starting group consumer ${this.name} on "${this.stream}"`,
        timeoutMs,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
    this.#running = true;
    this.#stop = new AbortController();
    this.#handlerAbort = new AbortController();
    this.#reader = reader;
    this.#loops = [this.#readLoop(), this.#retryLoop()];
    if (this.#reap) this.#loops.push(this.#reapLoop(this.#reap));
  }

  /** Creates the group unless it exists; a new group at `$` logs how many entries it skips. */
  async #ensureGroup(signal: AbortSignal): Promise<void> {
    const startId = this.#options.startId ?? "0";
    const redis = this.#redis.withAbortSignal(signal);
    try {
      await redis.xGroupCreate(this.stream, this.group, startId, { MKSTREAM: true });
    } catch (error) {
      if (String((error as Error)?.message).includes("BUSYGROUP")) return;
      throw error;
    }
    if (startId !== "$") return;
    const skipped = await redis.xLen(this.stream);
    if (skipped > 0) {
      this.#logger.warn(
        `group "${this.group}" was created at $: it skips the ${skipped} entries already in the stream`,
        { stream: this.stream, group: this.group, skipped },
      );
    }
  }

  /**
   * Stops reading, lets in-flight handlers finish within `timeoutMs`, then
   * aborts the rest; their entries stay pending for another consumer to reap.
   * A call while stopping (say, from a handler) waits for the same stop.
   */
  stop({ timeoutMs = 30_000 } = {}): Promise<{ finished: boolean }> {
    if (this.#stopping) return this.#stopping;
    if (!this.#running) return Promise.resolve({ finished: true });
    this.#stopping = this.#stopNow(timeoutMs).finally(() => (this.#stopping = undefined));
    return this.#stopping;
  }

  async #stopNow(timeoutMs: number): Promise<{ finished: boolean }> {
    this.#running = false;
    this.#stop.abort();
    if (this.#reader?.isOpen) this.#reader.destroy();
    await Promise.allSettled(this.#loops);
    const all = Promise.allSettled([...this.#inFlight]).then(() => true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((
      resolve,
    ) => (timer = setTimeout(resolve, timeoutMs, false)));
    const finished = await Promise.race([all, timeout]);
    clearTimeout(timer); // else it keeps the process alive for timeoutMs
    if (!finished) this.#handlerAbort.abort();
    return { finished };
  }

  /**
   * Moves this consumer's pending entries to `peer` (XCLAIM). @returns how many.
   * @throws {TypeError} when `peer` is not a non-empty string.
   * @throws {RangeError} when `peer` is this consumer itself.
   */
  async handover(peer: string): Promise<number> {
    if (typeof peer !== "string" || peer === "") {
      throw new TypeError("handover() needs the name of the consumer to hand over to");
    }
    if (peer === this.name) {
      throw new RangeError(
        `handover() needs another consumer: "${peer}" is this consumer itself`,
      );
    }
    let moved = 0;
    for (;;) {
      const pending = await this.#redis.xPendingRange(this.stream, this.group, "-", "+", 100, {
        consumer: this.name,
      });
      if (pending.length === 0) return moved;
      const ids = pending.map((p) => p.id);
      await this.#redis.xClaimJustId(this.stream, this.group, peer, 0, ids);
      moved += ids.length;
    }
  }

  /** One reaper pass (also run on the reaper's timer). */
  async reapOnce(): Promise<ReapReport> {
    const report = await reapIdleEntries(this.#reapContext(), this.#reap ?? resolveReapOptions({}));
    this.#metrics.recordMessagesReaped?.(this.stream, this.group, report.claimed);
    return report;
  }

  /** Handles retries that are due now (also run on a timer). @returns how many were taken. */
  async retryDueOnce(): Promise<number> {
    const due = await this.#redis.zRangeByScore(this.#retriesKey, "-inf", Date.now(), {
      LIMIT: { offset: 0, count: this.#batchSize },
    });
    let taken = 0;
    for (const id of due) {
      if (Number(await this.#redis.zRem(this.#retriesKey, id)) !== 1) continue; // a peer took it
      taken++;
      const claimed = await this.#redis.xClaim(this.stream, this.group, this.name, 0, id);
      const entry = claimed.find((e) => e !== null);
      if (!entry) {
        await this.#deadLetter(id, "trimmed", undefined, "payload trimmed before retry", 0);
        continue;
      }
      this.#dispatch(id, entry.message, "redelivery");
    }
    return taken;
  }

  #reapContext() {
    return {
      redis: this.#redis,
      stream: this.stream,
      group: this.group,
      consumer: this.name,
      retriesKey: this.#retriesKey,
      deadLetter: (id: string, reason: DeadLetterReason, fields?: Record<string, string>) =>
        this.#deadLetter(
          id,
          reason,
          fields,
          reason === "poison" ? "delivered too often" : reason,
          0,
        ),
      dispatch: (id: string, fields: Record<string, string>) =>
        this.#dispatch(id, fields, "redelivery"),
    };
  }

  async #readLoop(): Promise<void> {
    const signal = this.#stop.signal;
    const stopped = aborted(signal); // one listener for the loop's life, not one per wait
    while (!signal.aborted) {
      const room = this.#concurrency - this.#inFlight.size;
      if (room <= 0) {
        await Promise.race([...this.#inFlight, stopped]);
        continue;
      }
      try {
        const reply = await this.#reader!.withCommandOptions({ timeout: this.#blockMs + 5000 })
          .xReadGroup(this.group, this.name, { key: this.stream, id: ">" }, {
            COUNT: Math.min(this.#batchSize, room),
            BLOCK: this.#blockMs,
          });
        for (const { id, message } of streamMessages(reply)) this.#dispatch(id, message, "fresh");
      } catch (error) {
        if (signal.aborted) return;
        this.#warn("read failed", error);
        await pause(200, signal); // Redis trouble: entries wait, nothing is lost
      }
    }
  }

  async #retryLoop(): Promise<void> {
    const signal = this.#stop.signal;
    const every = Math.max(10, Math.min(200, this.#retry.baseDelayMs));
    while (!signal.aborted) {
      await this.retryDueOnce().catch((error) => this.#warn("retries failed", error));
      await pause(every, signal);
    }
  }

  async #reapLoop(options: ReapOptions): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      await pause(options.intervalMs, signal);
      if (signal.aborted) return;
      await this.reapOnce().catch((error) => this.#warn("reaping failed", error));
    }
  }

  /** "fresh": first delivery through XREADGROUP ">"; "redelivery": a retry or a reaped entry. */
  #dispatch(id: string, fields: Record<string, string>, kind: "fresh" | "redelivery"): void {
    const task = this.#handle(id, fields, kind).catch((error) =>
      // Left pending: reaped later.
      this.#warn("handling an entry failed in Redis; it stays pending", error, { id })
    );
    this.#inFlight.add(task);
    void task.finally(() => this.#inFlight.delete(task));
  }

  async #handle(
    id: string,
    fields: Record<string, string>,
    kind: "fresh" | "redelivery",
  ): Promise<void> {
    let message: Message;
    try {
      message = decodeEnvelope(fields);
    } catch (error) {
      if (!(error instanceof MalformedEnvelopeError)) throw error;
      await this.#deadLetter(id, "malformed", fields, error.reason, 0);
      return;
    }
    // Failures are counted in Redis; a fresh delivery has none, so the common
    // path (first attempt succeeds) costs one XACK, like a bare loop.
    const failures = kind === "fresh"
      ? 0
      : Number((await this.#redis.hGet(this.#attemptsKey, id)) ?? 0);
    const attempt = failures + 1;
    this.#metrics.recordMessageConsumed?.(this.stream, this.group);
    const started = Date.now();
    try {
      await this.#options.handler(message, { id, attempt, signal: this.#handlerAbort.signal });
    } catch (error) {
      const text = describeError(error);
      const failed = Number(await this.#redis.hIncrBy(this.#attemptsKey, id, 1));
      const outcome: MessageOutcome = failed >= this.#retry.maxAttempts
        ? "dead-lettered"
        : "retried";
      this.#metrics.recordMessageProcessed?.(
        this.stream,
        this.group,
        Date.now() - started,
        outcome,
      );
      if (outcome === "dead-lettered") {
        await this.#deadLetter(id, "failed", fields, text, failed);
      } else {
        const dueAt = Date.now() + retryDelay(failed, this.#retry);
        await this.#redis.zAdd(this.#retriesKey, { score: dueAt, value: id });
      }
      return;
    }
    const tookMs = Date.now() - started;
    if (failures === 0) {
      await this.#redis.xAck(this.stream, this.group, id);
    } else {
      await this.#redis.multi()
        .xAck(this.stream, this.group, id)
        .hDel(this.#attemptsKey, id)
        .execAsPipeline();
    }
    this.#metrics.recordMessageProcessed?.(this.stream, this.group, tookMs, "acked");
  }

  #warn(what: string, error: unknown, fields: Record<string, unknown> = {}): void {
    this.#logger.warn(`group consumer ${this.name}: ${what}`, {
      stream: this.stream,
      group: this.group,
      ...fields,
      error: describeError(error),
    });
  }

  async #deadLetter(
    id: string,
    reason: DeadLetterReason,
    fields: Record<string, string> | undefined,
    lastError: string,
    attempts: number,
  ): Promise<void> {
    this.#metrics.recordMessageDeadLettered?.(this.stream, this.group, reason);
    await this.deadLetters.add({
      originalId: id,
      reason,
      totalAttempts: attempts,
      lastError,
      consumerGroup: this.group,
      fields,
    });
    await this.#redis.multi()
      .xAck(this.stream, this.group, id)
      .hDel(this.#attemptsKey, id)
      .zRem(this.#retriesKey, id)
      .execAsPipeline();
  }
}

function positive(name: string, value: number): number {
  return integerOption(name, value, 1, 1);
}

/** Resolves when the signal aborts (so a wait on handlers that never end can still stop). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Rejects when the signal aborts first (node-redis's connect() has no signal of its own). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}
