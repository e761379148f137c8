/**
 * What the page's buttons do. Each action returns a short result for the page
 * to show; bad input is a RangeError/TypeError, which the routes answer with 400.
 */
import {
  addStream,
  DeadLetters,
  lbsStreamKey,
  publishBatch,
  replayRange,
  trimStream,
} from "../mod.ts";
import type { RedisClient } from "../src/redis/client.ts";
import { type ConsumerProcesses, type Runtime, RUNTIMES } from "./processes.ts";

export interface ActionsOptions {
  readonly redis: RedisClient;
  readonly service: string;
  readonly eventsStream: string;
  readonly eventsGroup: string;
  readonly processes: ConsumerProcesses;
  /** How long "stall" keeps a consumer stopped. */
  readonly stallMs: number;
}

/** The dashboard's actions, bound to one service. */
export class Actions {
  readonly #o: ActionsOptions;
  #nextStream = 0;

  constructor(options: ActionsOptions) {
    this.#o = options;
  }

  /** Hands `count` new data streams to the service through its LBS. */
  async addStreams(count = 4): Promise<{ added: string[] }> {
    const n = whole("count", count, 1, 1000);
    const added: string[] = [];
    if (this.#nextStream === 0) {
      this.#nextStream = await this.#o.redis.xLen(lbsStreamKey(this.#o.service)).catch(() => 0);
    }
    for (let i = 0; i < n; i++) {
      const name = `orders-${this.#nextStream++}`;
      // One XADD each, so that the consumers blocked on the LBS share them.
      await addStream(this.#o.redis, this.#o.service, {
        dataStreamName: name,
        info: { shard: this.#nextStream - 1 },
      });
      added.push(name);
      // A moment between entries lets each blocked consumer take one: an even start.
      if (i < n - 1) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return { added };
  }

  /** Publishes `count` events to the events stream; every `poisonEvery`-th fails into dead letters. */
  async produceEvents(count = 20, poisonEvery = 7): Promise<{ ids: string[] }> {
    const n = whole("count", count, 1, 10_000);
    const messages = Array.from({ length: n }, (_, i) => {
      const poison = poisonEvery > 0 && (i + 1) % poisonEvery === 0;
      return {
        type: poison ? "order.poison" : "order.paid",
        payload: JSON.stringify({ n: i, at: Date.now() }),
        producer: "dashboard",
      };
    });
    return { ids: await publishBatch(this.#o.redis, this.#o.eventsStream, messages) };
  }

  kill(id: string) {
    return this.#o.processes.kill(id);
  }

  stall(id: string) {
    return this.#o.processes.stall(id, this.#o.stallMs);
  }

  async startConsumer(runtime?: string) {
    if (runtime !== undefined && !RUNTIMES.includes(runtime as Runtime)) {
      throw new RangeError(`runtime must be one of ${RUNTIMES.join(", ")}; got ${runtime}`);
    }
    return await this.#o.processes.start(runtime as Runtime | undefined);
  }

  /**
   * XAUTOCLAIM now: moves the events group's entries idle at least `minIdleMs`
   * to `consumer` (or to the group's consumer with the fewest pending).
   */
  async autoClaim(minIdleMs = 1000, consumer?: string): Promise<{ to: string; claimed: string[] }> {
    const idle = whole("minIdleMs", minIdleMs, 0, 86_400_000);
    const { eventsStream: stream, eventsGroup: group, redis } = this.#o;
    const to = consumer ?? await this.#leastBusy(stream, group);
    if (!to) throw new RangeError(`group ${group} of ${stream} has no consumer to claim for`);
    const claimed: string[] = [];
    let cursor = "0-0";
    do {
      const reply = await redis.xAutoClaim(stream, group, to, idle, cursor, { COUNT: 100 });
      cursor = reply.nextId;
      for (const m of reply.messages) if (m) claimed.push(m.id);
    } while (cursor !== "0-0" && claimed.length < 10_000);
    return { to, claimed };
  }

  /** XRANGE of the events stream, without moving any group's cursor. */
  async replayRange(start = "-", end = "+", limit = 50) {
    const max = whole("limit", limit, 1, 1000);
    const entries = [];
    for await (const entry of replayRange(this.#o.redis, this.#o.eventsStream, { start, end })) {
      entries.push(entry);
      if (entries.length >= max) break;
    }
    return { entries };
  }

  /** XTRIM MAXLEN (exact) of the events stream. */
  async trim(maxLen = 100): Promise<{ removed: number }> {
    const keep = whole("maxLen", maxLen, 0, 1e9);
    return {
      removed: await trimStream(this.#o.redis, this.#o.eventsStream, {
        maxLen: keep,
        approximate: false,
      }),
    };
  }

  /** Publishes a dead letter to the events stream again (refused past its replay limit). */
  async replayDeadLetter(id: string): Promise<{ newId: string }> {
    if (typeof id !== "string" || !/^\d+-\d+$/.test(id)) {
      throw new TypeError(`id must be a stream id; got ${id}`);
    }
    const letters = new DeadLetters(this.#o.redis, { stream: this.#o.eventsStream });
    return { newId: await letters.replay(id) };
  }

  async #leastBusy(stream: string, group: string): Promise<string | undefined> {
    const consumers = await this.#o.redis.xInfoConsumers(stream, group) as unknown as {
      name: string;
      pending: number;
      idle: number;
    }[];
    // Recently active ones only: a dead consumer has few pending and would get them all.
    const active = consumers.filter((c) => c.idle < 10_000);
    return (active.length ? active : consumers).sort((a, b) => a.pending - b.pending)[0]?.name;
  }
}

function whole(name: string, value: unknown, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}; got ${value}`);
  }
  return n;
}
