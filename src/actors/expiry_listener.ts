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
import { expiredEventChannel, orphanChannel } from "../keys.ts";
import type { RedisClient } from "../redis/client.ts";
import type { ClientRuntime } from "../runtime.ts";
import { EXTEND_CHUNK } from "../lock/stream_locks.ts";
import { runPerKey } from "../redis/lua_script.ts";
import { INSPECT_CODE, inspectLocks } from "../scripts/inspect_locks.ts";
import { ensureKeyspaceEvents } from "./keyspace_config.ts";
import {
  decodeOrphanNotices,
  noticeLockKey,
  noticesForLockKeys,
  type OrphanNotice,
} from "./orphan_notices.ts";

export type ExpiryEvent = { type: "LOCKS_GONE"; notices: readonly OrphanNotice[] };

export const expiryListenerActor: CallbackActorLogic<{ type: "noop" }, ClientRuntime> =
  fromCallback(
    ({ input: runtime, sendBack }) => {
      const subscriber = runtime.redis.duplicate() as RedisClient;
      subscriber.on("error", (error: unknown) => {
        runtime.options.logger.warn("subscriber connection error", { error: String(error) });
      });
      // Any (re)connection may follow a Redis restart, which forgets CONFIG SET, even the first:
      // a restart can race start-up. So configure on every one (a CONFIG GET when nothing changed).
      subscriber.on("ready", () => {
        void ensureKeyspaceEvents(runtime, runtime.options.keyspaceConfig);
      });
      let closed = false;
      const recent = new RecentKeys(Math.max(50, Math.floor(runtime.options.heartbeatMs / 2)));
      const report = (notices: readonly OrphanNotice[]) => {
        const fresh = notices.filter((notice) => recent.firstTime(noticeLockKey(notice)));
        if (fresh.length === 0) return;
        const first: OrphanNotice[] = [];
        const later: OrphanNotice[] = [];
        for (const notice of fresh) {
          runtime.options.metrics.recordKspNotification?.(notice.dataStreamName);
          const mine = runtime.claimShares.isFirstClaimer(noticeLockKey(notice));
          (mine ? first : later).push(notice);
        }
        if (first.length > 0) sendBack({ type: "LOCKS_GONE", notices: first });
        if (later.length > 0) {
          setTimeout(() => {
            if (closed) return;
            void stillUnowned(runtime, later).then((notices) => {
              if (!closed && notices.length > 0) sendBack({ type: "LOCKS_GONE", notices });
            });
          }, headStartMs(runtime.options.heartbeatMs));
        }
      };
      const onAnnouncement = (message: string) => report(decodeOrphanNotices(message));
      // Keys that expire together (a dead consumer's locks) are checked together and
      // reported as one event.
      let expiredKeys: string[] = [];
      const checkExpiredKeys = () => {
        const keys = expiredKeys;
        expiredKeys = [];
        void noticesForLockKeys(runtime, keys).then(report).catch((error) =>
          runtime.options.logger.warn("could not check expired keys", { error: String(error) })
        );
      };
      const onExpiredKey = (key: string) => {
        if (recent.seen(key)) return;
        if (expiredKeys.push(key) === 1) setTimeout(checkExpiredKeys, 0);
      };
      void (async () => {
        await subscriber.connect();
        await Promise.all([
          subscriber.subscribe(orphanChannel(runtime.service), onAnnouncement),
          subscriber.subscribe(expiredEventChannel(runtime.database), onExpiredKey),
        ]);
      })().catch((error) => {
        if (!closed) runtime.options.logger.error("subscriber failed", { error: String(error) });
      });
      return () => {
        closed = true;
        if (subscriber.isOpen) subscriber.destroy();
      };
    },
  );

/**
 * How long a stream's first claimer has the stream to itself before the other
 * consumers are told: long enough to claim its share of a large takeover
 * without the others racing it, short against the TTL.
 */
export function headStartMs(heartbeatMs: number): number {
  return Math.min(250, Math.max(20, Math.floor(heartbeatMs / 20)));
}

/** The notices whose streams nobody has locked yet; all of them if Redis cannot say. */
async function stillUnowned(
  runtime: ClientRuntime,
  notices: readonly OrphanNotice[],
): Promise<OrphanNotice[]> {
  try {
    const keys = notices.map(noticeLockKey);
    const states = await runPerKey(
      inspectLocks,
      runtime.redis,
      keys,
      [runtime.locks.prefix],
      EXTEND_CHUNK,
    );
    return notices.filter((_, i) => states[i] === INSPECT_CODE.gone);
  } catch {
    return [...notices]; // better a claim that finds the stream taken than one never tried
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
