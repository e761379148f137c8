/**
 * What Redis itself says about a service: the LBS's pending entries with the
 * lock each one has, the consumer index, and the data streams with their
 * groups, consumers and dead letters (through the message layer's admin views).
 */
import {
  consumersInfo,
  type DeadLetter,
  DeadLetters,
  deadLetterStreamOf,
  decodeLbsEntry,
  type GroupInfo,
  groupsInfo,
  lbsDeadLetterKey,
  lbsGroupName,
  lbsStreamKey,
  lockKey,
  pendingEntries,
  stateFeedKey,
  streamInfo,
} from "../mod.ts";
import { consumerIndexKey, fenceKey } from "../src/keys.ts";
import type { RedisClient } from "../src/redis/client.ts";

/** A pending LBS entry: a stream some consumer was handed, and its lock now. */
export interface LbsPendingView {
  readonly id: string;
  readonly dataStreamName: string;
  /** The group consumer whose pending list holds it. */
  readonly consumer: string;
  readonly idleMs: number;
  readonly deliveries: number;
  /** The lock's holder (the consumer id in its value), or null when no lock is held. */
  readonly lockHolder: string | null;
  readonly lockTtlMs: number | null;
  readonly fence: number;
}

/** A client in the consumer index, with the time left before it is overdue (server clock). */
export interface IndexMemberView {
  readonly client: string;
  readonly consumer: string;
  readonly dueInMs: number;
}

export interface GroupView extends GroupInfo {
  readonly consumerList: { name: string; pending: number; idleMs: number }[];
}

export interface DataStreamView {
  readonly name: string;
  readonly length: number;
  readonly lastEntryId: string | null;
  readonly groups: GroupView[];
  readonly deadLetterCount: number;
  readonly deadLetters: DeadLetter[];
}

export interface RedisView {
  readonly lbs: {
    readonly length: number;
    readonly lag: number | null;
    readonly pendingCount: number;
    readonly pending: LbsPendingView[];
    readonly deadLetters: number;
  };
  readonly index: IndexMemberView[];
  readonly dataStreams: DataStreamView[];
}

const PENDING_SHOWN = 500;

/** Reads the views of a service; streams named in `dataStreams` are described too. */
export class RedisViews {
  readonly #redis: RedisClient;
  readonly #service: string;
  /** LBS id → data stream name: entries never change. */
  readonly #names = new Map<string, string>();

  constructor(redis: RedisClient, service: string) {
    this.#redis = redis;
    this.#service = service;
  }

  async read(dataStreams: readonly string[]): Promise<RedisView> {
    const [lbs, index, streams] = await Promise.all([
      this.#lbs(),
      this.#index(),
      Promise.all(dataStreams.map((name) => this.#dataStream(name))),
    ]);
    return { lbs, index, dataStreams: streams.filter((s) => s !== undefined) };
  }

  /** Data streams of the database that have consumer groups (SCAN, at most `limit` keys looked at). */
  async discoverDataStreams(limit = 5000): Promise<string[]> {
    const skip = new Set([
      lbsStreamKey(this.#service),
      lbsDeadLetterKey(this.#service),
      stateFeedKey(this.#service),
    ]);
    const found: string[] = [];
    let cursor = "0";
    let looked = 0;
    do {
      const reply = await this.#redis.scan(cursor, { TYPE: "stream", COUNT: 500 });
      cursor = String(reply.cursor);
      looked += 500;
      for (const key of reply.keys) {
        if (!skip.has(key) && !key.endsWith("-dead") && !key.endsWith("-state-feed")) {
          found.push(key);
        }
      }
    } while (cursor !== "0" && looked < limit);
    const withGroups = await Promise.all(
      found.map(async (key) => ((await this.#redis.xInfoStream(key)).groups > 0 ? key : "")),
    );
    return withGroups.filter((key) => key !== "").sort();
  }

  async #lbs(): Promise<RedisView["lbs"]> {
    const stream = lbsStreamKey(this.#service);
    const group = lbsGroupName(this.#service);
    if (!(await this.#redis.exists(stream))) {
      return { length: 0, lag: null, pendingCount: 0, pending: [], deadLetters: 0 };
    }
    const [info, groups, pending, deadLetters] = await Promise.all([
      streamInfo(this.#redis, stream),
      groupsInfo(this.#redis, stream),
      pendingEntries(this.#redis, stream, group, { count: PENDING_SHOWN }).catch(() => []),
      this.#redis.xLen(lbsDeadLetterKey(this.#service)),
    ]);
    const ours = groups.find((g) => g.name === group);
    await this.#learnNames(pending.map((p) => p.id).filter((id) => !this.#names.has(id)));
    const locks = await Promise.all(pending.map(async (p) => {
      const key = lockKey(this.#names.get(p.id) ?? "", p.id);
      const [value, ttl, fence] = await Promise.all([
        this.#redis.get(key),
        this.#redis.pTTL(key),
        this.#redis.get(fenceKey(key)),
      ]);
      return { value, ttl, fence: Number(fence ?? 0) };
    }));
    return {
      length: info.length,
      lag: ours?.lag ?? null,
      pendingCount: ours?.pending ?? pending.length,
      pending: pending.map((p, i) => ({
        ...p,
        dataStreamName: this.#names.get(p.id) ?? "?",
        lockHolder: locks[i]!.value === null ? null : holderOf(locks[i]!.value!),
        lockTtlMs: locks[i]!.ttl >= 0 ? locks[i]!.ttl : null,
        fence: locks[i]!.fence,
      })),
      deadLetters,
    };
  }

  async #learnNames(ids: string[]): Promise<void> {
    const stream = lbsStreamKey(this.#service);
    await Promise.all(ids.map(async (id) => {
      const [entry] = (await this.#redis.xRange(stream, id, id)) ?? [];
      if (!entry) return;
      try {
        this.#names.set(id, decodeLbsEntry(entry.message, 1 << 20).dataStreamName);
      } catch {
        this.#names.set(id, "(malformed)");
      }
    }));
  }

  async #index(): Promise<IndexMemberView[]> {
    const [members, time] = await Promise.all([
      this.#redis.zRangeWithScores(consumerIndexKey(this.#service), 0, -1),
      this.#redis.time(),
    ]);
    const now = serverMs(time);
    return members.map(({ value, score }) => ({
      client: value,
      consumer: holderOf(value),
      dueInMs: Math.round(score - now),
    }));
  }

  async #dataStream(name: string): Promise<DataStreamView | undefined> {
    if (!(await this.#redis.exists(name))) return undefined;
    const deadLetters = new DeadLetters(this.#redis, { stream: name });
    const [info, groups, deadLetterCount, recent] = await Promise.all([
      streamInfo(this.#redis, name),
      groupsInfo(this.#redis, name),
      this.#redis.exists(deadLetterStreamOf(name)).then((n) => (n ? deadLetters.size() : 0)),
      this.#redis.exists(deadLetterStreamOf(name)).then((n) => (n ? deadLetters.peek(10) : [])),
    ]);
    const withConsumers = await Promise.all(groups.map(async (g) => ({
      ...g,
      consumerList: await consumersInfo(this.#redis, name, g.name),
    })));
    return {
      name,
      length: info.length,
      lastEntryId: info.lastEntryId,
      groups: withConsumers,
      deadLetterCount,
      deadLetters: recent,
    };
  }
}

/** The consumer id in a lock value (`<consumerId>~<instance>.<seq>`; a Go peer writes its id). */
export function holderOf(lockValue: string): string {
  const at = lockValue.indexOf("~");
  return at < 0 ? lockValue : lockValue.slice(0, at);
}

function serverMs(time: unknown): number {
  if (time instanceof Date) return time.getTime();
  if (Array.isArray(time)) return Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  return Date.now();
}
