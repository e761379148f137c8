/**
 * Writes a client's state feed: every transition of its stream actors, and
 * its own start and stop, to the service's capped feed stream. It is an
 * XState inspection observer on the supervisor's actor system (stream actors
 * join that system), so a client without the feed registers nothing at all.
 * The entries of one turn of the event loop go to Redis together: a script
 * call per 500 of them (src/scripts/append_feed_entries.ts).
 *
 * The feed is for watching, not for correctness: a write that fails is
 * logged (once until writes succeed again) and its entries are dropped.
 */
import type { InspectionEvent } from "xstate";
import type { Acquisition } from "../acquisition.ts";
import type { Logger } from "../observability.ts";
import { describeError } from "../errors.ts";
import type { RedisClient } from "../redis/client.ts";
import { TickBatch } from "../tick_batch.ts";
import {
  appendFeedArguments,
  appendFeedEntries,
  FEED_ENTRIES_PER_CALL,
} from "../scripts/append_feed_entries.ts";
import {
  CONSUMER_STARTED,
  CONSUMER_STOPPED,
  encodeFeedEntry,
  type StateFeedEntry,
} from "./entry.ts";
import { processId, runtimeName } from "./process_info.ts";

export interface StateFeedPublisherOptions {
  readonly redis: RedisClient;
  /** The feed stream (stateFeedKey(service)). */
  readonly key: string;
  /** XADD's `MAXLEN ~` bound. */
  readonly maxLength: number;
  readonly consumerId: string;
  readonly logger: Logger;
}

/** What the publisher reads of a snapshot: stream actors carry their acquisition. */
interface ObservedSnapshot {
  readonly status?: string;
  readonly value?: unknown;
  readonly context?: { readonly acquisition?: Acquisition };
  matches?(value: string): boolean;
}

export class StateFeedPublisher {
  readonly #options: StateFeedPublisherOptions;
  readonly #batch: TickBatch<Record<string, string>, void>;
  /** Each stream actor's last state, to tell a transition from a snapshot that changed nothing. */
  readonly #lastState = new WeakMap<object, string>();
  #started = false;
  #stopped = false;
  #failing = false;

  constructor(options: StateFeedPublisherOptions) {
    this.#options = options;
    this.#batch = new TickBatch((entries) => this.#write(entries));
  }

  /** The inspection observer to register on the supervisor's system. */
  readonly observe = (event: InspectionEvent): void => {
    if (event.type !== "@xstate.snapshot") return;
    const snapshot = event.snapshot as ObservedSnapshot;
    if (event.actorRef.sessionId === event.rootId) this.#observeSupervisor(snapshot);
    else if (snapshot.context?.acquisition) this.#observeStream(event, snapshot);
  };

  /** Resolves once every entry observed so far has been written (or dropped). */
  idle(): Promise<void> {
    return this.#batch.idle();
  }

  #observeStream(
    event: InspectionEvent & { type: "@xstate.snapshot" },
    snapshot: ObservedSnapshot,
  ) {
    const to = stateName(snapshot.value);
    const from = this.#lastState.get(event.actorRef) ?? "";
    if (from === to) return;
    this.#lastState.set(event.actorRef, to);
    const acquisition = snapshot.context!.acquisition!;
    this.#add({
      consumer: this.#options.consumerId,
      stream: acquisition.dataStreamName,
      idInLbs: acquisition.idInLbs,
      from,
      to,
      event: event.event.type,
      fence: acquisition.fence,
      at: Date.now(),
    });
  }

  #observeSupervisor(snapshot: ObservedSnapshot): void {
    if (!this.#started && snapshot.matches?.("running")) {
      this.#started = true;
      this.#addConsumerEntry(CONSUMER_STARTED, "", "running");
    } else if (this.#started && !this.#stopped && snapshot.status === "done") {
      this.#stopped = true;
      this.#addConsumerEntry(CONSUMER_STOPPED, "running", stateName(snapshot.value));
    }
  }

  #addConsumerEntry(event: string, from: string, to: string): void {
    this.#add({
      consumer: this.#options.consumerId,
      stream: "",
      idInLbs: "",
      from,
      to,
      event,
      fence: 0,
      at: Date.now(),
      runtime: runtimeName(),
      pid: processId(),
    });
  }

  #add(entry: Omit<StateFeedEntry, "id">): void {
    void this.#batch.add(encodeFeedEntry(entry));
  }

  async #write(entries: readonly Record<string, string>[]): Promise<void[]> {
    const { redis, key, maxLength, logger } = this.#options;
    try {
      const calls = [];
      for (let at = 0; at < entries.length; at += FEED_ENTRIES_PER_CALL) {
        const chunk = entries.slice(at, at + FEED_ENTRIES_PER_CALL);
        calls.push(appendFeedEntries.run(redis, [key], appendFeedArguments(maxLength, chunk)));
      }
      await Promise.all(calls); // issued in one tick: node-redis pipelines them
      if (this.#failing) logger.info("state feed: writes succeed again", { key });
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) {
        logger.warn("state feed: could not write; entries dropped until Redis answers", {
          key,
          entries: entries.length,
          error: describeError(error),
        });
      }
      this.#failing = true;
    }
    return entries.map(() => undefined);
  }
}

/** A state value as one string: "heartbeating", or JSON for a nested value. */
function stateName(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? "");
}
