/**
 * The fleet as the page shows it, built from three sources: the state feed
 * (every stream actor's transitions, every consumer's start and stop), the
 * processes the dashboard runs, and what Redis holds (locks, the LBS, the
 * consumer index). It also keeps the timeline of takeovers.
 */
import { parseLockKey } from "../src/keys.ts";
import type { ConsumerProcessInfo } from "./processes.ts";
import type { IndexMemberView, RedisView } from "./redis_views.ts";
import type { StateFeedEntry } from "../mod.ts";

/** States in which an actor holds its stream. */
const OWNING = new Set(["assigned", "claimed", "heartbeating"]);
const FINAL = new Set(["expired", "disowned", "released"]);
const HISTORY_KEPT = 16;
const TIMELINE_KEPT = 200;
const ORPHANS_KEPT = 50;
/** A stream released and gone from the LBS stays on the page this long. */
const RELEASED_SHOWN_MS = 5000;

export interface StreamTransition {
  readonly at: number;
  readonly consumer: string;
  readonly from: string;
  readonly to: string;
  readonly event: string;
  readonly fence: number;
}

export interface StreamView {
  readonly key: string;
  readonly name: string;
  readonly idInLbs: string;
  owner: string | null;
  /** The owner's actor's state; "expired" also when the sweeper announced the stream. */
  state: string;
  fence: number;
  /** Where the state came from: the owner's actor, or Redis (a notice, a missing lock). */
  source: "actor" | "redis";
  /** The last state of every other consumer's actor for this stream (e.g. disowned). */
  readonly others: Record<string, string>;
  readonly history: StreamTransition[];
  lockHolder: string | null;
  lockTtlMs: number | null;
  idleMs: number | null;
  deliveries: number | null;
  updatedAt: number;
}

export interface ConsumerView {
  readonly id: string;
  readonly runtime: string | null;
  readonly pid: number | null;
  readonly state: "starting" | "alive" | "stalled" | "dead" | "overdue" | "stopped" | "unknown";
  readonly streams: number;
  /** Started by this dashboard (so it can be killed or stalled from the page). */
  readonly managed: boolean;
  readonly dueInMs: number | null;
  readonly stalledUntil: number | null;
}

export interface Takeover {
  readonly at: number;
  readonly stream: string;
  readonly from: string;
  readonly to: string;
  readonly fence: number;
  /** From the kill or stall of the previous owner, when the dashboard did it. */
  readonly delayMs: number | null;
  readonly cause: "kill" | "stall" | null;
}

export interface OrphanSeen {
  readonly at: number;
  readonly stream: string;
  readonly idInLbs: string;
}

interface FeedConsumer {
  runtime?: string;
  pid?: number;
  stoppedAt?: number;
}

/** The fleet's state; `onChange` is called after every update. */
export class Fleet {
  readonly streams = new Map<string, StreamView>();
  readonly takeovers: Takeover[] = [];
  readonly orphans: OrphanSeen[] = [];
  redis: RedisView | undefined;
  feedEntries = 0;
  readonly #feedConsumers = new Map<string, FeedConsumer>();
  #processes: ConsumerProcessInfo[] = [];
  readonly #heartbeatMs: number;
  readonly #onChange: () => void;

  /** `heartbeatMs` is the consumers' lock TTL. */
  constructor(heartbeatMs: number, onChange: () => void) {
    this.#heartbeatMs = heartbeatMs;
    this.#onChange = onChange;
  }

  /** One state feed entry. */
  applyFeed(entry: StateFeedEntry): void {
    this.feedEntries++;
    if (entry.stream === "") {
      const known = this.#feedConsumers.get(entry.consumer) ?? {};
      if (entry.event === "consumer.started") {
        this.#feedConsumers.set(entry.consumer, { runtime: entry.runtime, pid: entry.pid });
      } else if (entry.event === "consumer.stopped") {
        this.#feedConsumers.set(entry.consumer, { ...known, stoppedAt: entry.at });
      }
      return this.#onChange();
    }
    const stream = this.#stream(entry.stream, entry.idInLbs);
    const transition = {
      at: entry.at,
      consumer: entry.consumer,
      from: entry.from,
      to: entry.to,
      event: entry.event,
      fence: entry.fence,
    };
    pushBounded(stream.history, transition, HISTORY_KEPT);
    stream.updatedAt = Date.now();
    const acquired = entry.to === "assigned" || entry.to === "claimed";
    if (acquired && entry.fence >= stream.fence) {
      const previous = stream.owner;
      if (previous !== null && previous !== entry.consumer) {
        delete stream.others[entry.consumer];
        stream.others[previous] = stream.state;
        if (entry.to === "claimed") this.#recordTakeover(stream, previous, entry);
      }
      stream.owner = entry.consumer;
      stream.fence = entry.fence;
    }
    if (entry.consumer === stream.owner) {
      stream.state = entry.to;
      stream.source = "actor";
    } else {
      stream.others[entry.consumer] = entry.to;
    }
    this.#onChange();
  }

  /** The sweeper (or a client) announced these streams orphaned: their lock is gone. */
  applyOrphanNotice(notices: readonly { stream: string; idInLbs: string }[], at: number): void {
    for (const { stream: name, idInLbs } of notices) {
      pushBounded(this.orphans, { at, stream: name, idInLbs }, ORPHANS_KEPT);
      const stream = this.#stream(name, idInLbs);
      // A notice can come after the claim it led to (the claimer heard Redis's expired event
      // first): an owner that spoke within half a TTL is the new one, not the one that expired.
      const fresh = Date.now() - stream.updatedAt < this.#heartbeatMs / 2;
      if ((OWNING.has(stream.state) || stream.state === "unknown") && !fresh) {
        this.#expire(stream, at, "orphan notice");
      }
    }
    this.#onChange();
  }

  /**
   * Redis expired these keys (its keyevent channel). Redis publishes the event as it expires
   * the key, before any claim of it can succeed: the first sign that a lock is gone.
   */
  applyExpiredKeys(keys: readonly string[], at: number): void {
    let changed = false;
    for (const key of keys) {
      const parsed = parseLockKey(key);
      if (!parsed) continue;
      const stream = this.streams.get(streamKey(parsed.dataStreamName, parsed.idInLbs));
      if (stream && OWNING.has(stream.state)) {
        this.#expire(stream, at, "lock expired");
        changed = true;
      }
    }
    if (changed) this.#onChange();
  }

  setProcesses(processes: ConsumerProcessInfo[]): void {
    this.#processes = processes;
    this.#onChange();
  }

  /** What Redis holds now: fills in what the feed does not say (peers that do not publish it). */
  setRedisView(view: RedisView): void {
    this.redis = view;
    const pending = new Set<string>();
    for (const p of view.lbs.pending) {
      const stream = this.#stream(p.dataStreamName, p.id);
      pending.add(stream.key);
      stream.lockHolder = p.lockHolder;
      stream.lockTtlMs = p.lockTtlMs;
      stream.idleMs = p.idleMs;
      stream.deliveries = p.deliveries;
      const quiet = Date.now() - stream.updatedAt > 1500;
      if (p.lockHolder === null && OWNING.has(stream.state) && quiet) {
        // The owner stopped beating (stalled, or dead) and no notice came yet: Redis says so.
        this.#expire(stream, Date.now(), "lock gone");
      } else if (p.lockHolder !== null && p.lockHolder !== stream.owner && quiet) {
        // A holder the feed has not told of (it does not publish it): Redis is the truth.
        if (stream.owner !== null) stream.others[stream.owner] = stream.state;
        stream.owner = p.lockHolder;
        stream.state = "held";
        stream.fence = p.fence;
        stream.source = "redis";
      }
    }
    const now = Date.now();
    for (const [key, stream] of this.streams) {
      if (pending.has(key)) continue;
      const gone = stream.state === "released" || stream.state === "unknown" ||
        (FINAL.has(stream.state) && stream.owner === null);
      if (gone && now - stream.updatedAt > RELEASED_SHOWN_MS) this.streams.delete(key);
    }
    this.#onChange();
  }

  /** Every consumer known from any source. */
  consumers(): ConsumerView[] {
    const index = new Map<string, IndexMemberView>();
    for (const member of this.redis?.index ?? []) index.set(member.consumer, member);
    const ids = new Set<string>([
      ...this.#processes.map((p) => p.id),
      ...this.#feedConsumers.keys(),
      ...index.keys(),
    ]);
    const owned = new Map<string, number>();
    for (const s of this.streams.values()) {
      if (s.owner !== null && (OWNING.has(s.state) || s.state === "held")) {
        owned.set(s.owner, (owned.get(s.owner) ?? 0) + 1);
      }
    }
    return [...ids].sort(byNumberInName).map((id) => {
      const process = this.#processes.find((p) => p.id === id);
      const feed = this.#feedConsumers.get(id);
      const member = index.get(id);
      let state: ConsumerView["state"];
      if (process) state = process.state;
      else if (feed?.stoppedAt !== undefined) state = "stopped";
      else if (member) state = member.dueInMs >= 0 ? "alive" : "overdue";
      else state = "unknown";
      return {
        id,
        runtime: process?.runtime ?? feed?.runtime ?? null,
        pid: process?.pid ?? feed?.pid ?? null,
        state,
        streams: owned.get(id) ?? 0,
        managed: process !== undefined,
        dueInMs: member?.dueInMs ?? null,
        stalledUntil: process?.stalledUntil ?? null,
      };
    });
  }

  #stream(name: string, idInLbs: string): StreamView {
    const key = streamKey(name, idInLbs);
    let stream = this.streams.get(key);
    if (!stream) {
      stream = {
        key,
        name,
        idInLbs,
        owner: null,
        state: "unknown",
        fence: 0,
        source: "redis",
        others: {},
        history: [],
        lockHolder: null,
        lockTtlMs: null,
        idleMs: null,
        deliveries: null,
        updatedAt: Date.now(),
      };
      this.streams.set(key, stream);
    }
    return stream;
  }

  /** The owner's lock is gone while its actor, silent, still holds it: shown as expired. */
  #expire(stream: StreamView, at: number, why: string): void {
    pushBounded(stream.history, {
      at,
      consumer: "redis",
      from: stream.state,
      to: "expired",
      event: why,
      fence: stream.fence,
    }, HISTORY_KEPT);
    stream.state = "expired";
    stream.source = "redis";
    stream.updatedAt = Date.now();
  }

  #recordTakeover(stream: StreamView, from: string, entry: StateFeedEntry): void {
    const victim = this.#processes.find((p) => p.id === from);
    const killedAt = victim?.killedAt;
    const stalledAt = victim?.stalledAt;
    // The most recent of the two that came before this claim is what caused it.
    const cause = killedAt !== undefined && killedAt <= entry.at &&
        (stalledAt === undefined || killedAt >= stalledAt)
      ? "kill"
      : stalledAt !== undefined && stalledAt <= entry.at
      ? "stall"
      : null;
    const since = cause === "kill" ? killedAt! : cause === "stall" ? stalledAt! : undefined;
    pushBounded(this.takeovers, {
      at: entry.at,
      stream: stream.name,
      from,
      to: entry.consumer,
      fence: entry.fence,
      delayMs: since === undefined ? null : entry.at - since,
      cause,
    }, TIMELINE_KEPT);
  }
}

function streamKey(name: string, idInLbs: string): string {
  return `${name} ${idInLbs}`;
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

function byNumberInName(a: string, b: string): number {
  const n = (s: string) => Number(/(\d+)$/.exec(s)?.[1] ?? 0);
  return n(a) - n(b) || a.localeCompare(b);
}
