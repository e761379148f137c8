/**
 * Hears that locks are gone: the library's own orphan announcements (always,
 * as they need no CONFIG) and Redis's expired-key events (when the server has
 * them on). An announcement already names pending streams of this service;
 * an expired key could be anyone's, so it is checked against this service's
 * LBS before it is reported. A stream is reported at once when this client is
 * its first claimer (see ClaimShares), else after a head start, and only if
 * nobody has locked it by then.
 */
import { type CallbackActorLogic, fromCallback } from "xstate";
import { expiredEventChannel, orphanChannel, parseLockKey } from "../keys.ts";
import type { RedisClient } from "../redis/client.ts";
import { closeConnection } from "../redis/close_connection.ts";
import { cancellableRuntime, type ClientRuntime } from "../runtime.ts";
import { INSPECT_CODE } from "../scripts/inspect_locks.ts";
import { ensureKeyspaceEvents } from "./keyspace_config.ts";
import {
  decodeOrphanNotices,
  noticeLockKey,
  noticesForLockKeys,
  type OrphanNotice,
} from "./orphan_notices.ts";
import { describeError } from "../errors.ts";

export type ExpiryEvent = { type: "LOCKS_GONE"; notices: readonly OrphanNotice[] };

export const expiryListenerActor: CallbackActorLogic<{ type: "noop" }, ClientRuntime> =
  fromCallback(
    ({ input, sendBack }) => {
      // Once the listener is stopped, what it still had to check is not sent.
      const stop = new AbortController();
      const runtime = cancellableRuntime(input, stop.signal);
      const subscriber = input.redis.duplicate() as RedisClient;
      subscriber.on("error", (error: unknown) => {
        runtime.options.logger.warn("subscriber connection error", { error: describeError(error) });
      });
      // Any (re)connection may follow a Redis restart, which forgets CONFIG SET, even the first:
      // a restart can race start-up. So configure on every one (a CONFIG GET when nothing changed).
      subscriber.on("ready", () => {
        void ensureKeyspaceEvents(runtime, runtime.options.keyspaceConfig);
      });
      let closed = false;
      const recent = new RecentKeys(Math.max(50, Math.floor(runtime.options.heartbeatMs / 2)));
      const tell = (notices: readonly OrphanNotice[]) => {
        if (closed || notices.length === 0) return;
        for (const notice of notices) {
          runtime.options.metrics.recordKspNotification?.(notice.dataStreamName);
        }
        sendBack({ type: "LOCKS_GONE", notices });
      };
      const readAndTell = (keys: readonly string[]) => {
        if (keys.length === 0) return;
        void noticesForLockKeys(runtime, keys).then(tell).catch((error) =>
          runtime.options.logger.warn("could not check expired keys", {
            error: describeError(error),
          })
        );
      };
      /**
       * Splits lock keys into those this client is first told of and the rest, leaving out
       * expiries already heard (Redis and a sweeper may both tell of one).
       */
      const share = (keys: readonly string[], isNews: (key: string) => boolean) => {
        const first: string[] = [];
        const later: string[] = [];
        for (const key of keys) {
          if (!isNews(key)) continue;
          (runtime.claimShares.isFirstClaimer(key) ? first : later).push(key);
        }
        return { first, waited: afterHeadStart(runtime, later, () => closed) };
      };
      const unheard = (key: string) => recent.firstTime(key);
      const onAnnouncement = (message: string) => {
        const notices = new Map(decodeOrphanNotices(message).map((n) => [noticeLockKey(n), n]));
        // A release is news even moments after an expiry of the same stream was heard: it ends
        // an acquisition made since (a claim handed back, say).
        const isNews = (key: string) => {
          if (!notices.get(key)!.released) return unheard(key);
          recent.record(key);
          return true;
        };
        const { first, waited } = share([...notices.keys()], isNews);
        tell(first.map((key) => notices.get(key)!));
        void waited.then((keys) => tell(keys.map((key) => notices.get(key)!)));
      };
      // Keys that expire together (a dead consumer's locks) are checked together and
      // reported as one event; an expired key's entry is read only when it is to be told.
      let expiredKeys: string[] = [];
      const checkExpiredKeys = () => {
        const { first, waited } = share(expiredKeys, unheard);
        expiredKeys = [];
        readAndTell(first);
        void waited.then(readAndTell);
      };
      const onExpiredKey = (key: string) => {
        // Every expiry in the database arrives here: only what can be a lock key goes on.
        if (recent.seen(key) || parseLockKey(key) === undefined) return;
        if (expiredKeys.push(key) === 1) setTimeout(checkExpiredKeys, 0);
      };
      const connecting = subscriber.connect();
      void (async () => {
        await connecting;
        await Promise.all([
          subscriber.subscribe(orphanChannel(runtime.service), onAnnouncement),
          subscriber.subscribe(expiredEventChannel(runtime.database), onExpiredKey),
        ]);
      })().catch((error) => {
        if (!closed) {
          runtime.options.logger.error("subscriber failed", { error: describeError(error) });
        }
      });
      return () => {
        closed = true;
        stop.abort();
        closeConnection(subscriber, connecting);
      };
    },
  );

/**
 * The round of a first claimer's head start: long enough to claim a good part
 * of a large takeover, short against the TTL.
 */
function headStartMs(heartbeatMs: number): number {
  return Math.min(250, Math.max(20, Math.floor(heartbeatMs / 20)));
}

/**
 * Waits while the streams' first claimers take them: round after round as
 * long as each round sees some of them claimed, up to half a TTL. @returns
 * the lock keys still unowned when a round sees no progress (their first
 * claimers died too, stall or ignore them), or when the time is up.
 */
async function afterHeadStart(
  runtime: ClientRuntime,
  keys: readonly string[],
  closed: () => boolean,
): Promise<string[]> {
  if (keys.length === 0) return [];
  const round = headStartMs(runtime.options.heartbeatMs);
  const until = Date.now() + runtime.options.heartbeatMs / 2;
  let pending = keys;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, round));
    if (closed()) return [];
    const unowned = await stillUnowned(runtime, pending);
    if (unowned.length === 0) return [];
    if (unowned.length === pending.length || Date.now() >= until) return unowned;
    pending = unowned;
  }
}

/** The lock keys nobody holds; all of them if Redis cannot say. */
async function stillUnowned(runtime: ClientRuntime, keys: readonly string[]): Promise<string[]> {
  try {
    const states = await runtime.locks.inspectAll(keys, runtime.locks.prefix, runtime.signal);
    return keys.filter((_, i) => states[i] === INSPECT_CODE.gone);
  } catch {
    return [...keys]; // better a claim that finds the stream taken than one never tried
  }
}

/** Drops repeats of a key within a short window: Redis and the sweeper may both announce it. */
class RecentKeys {
  readonly #windowMs: number;
  #seen = new Map<string, number>();
  #purgedAt = 0;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Whether the key was reported within the window (without recording it). */
  seen(key: string): boolean {
    const last = this.#seen.get(key);
    return last !== undefined && Date.now() - last < this.#windowMs;
  }

  /** Records the key as reported now. */
  record(key: string): void {
    this.#seen.set(key, Date.now());
  }

  /** Records the key; false when it was already reported within the window. */
  firstTime(key: string): boolean {
    const now = Date.now();
    // At most one purge per window: a burst of thousands of keys stays linear.
    if (now - this.#purgedAt > this.#windowMs) {
      this.#purgedAt = now;
      for (const [k, at] of this.#seen) if (now - at > this.#windowMs) this.#seen.delete(k);
    }
    if (this.seen(key)) return false;
    this.#seen.set(key, now);
    return true;
  }
}
