/**
 * Hears that a lock is gone: Redis's expired-key events (when the server
 * has them on) and the library's own orphan announcements (always, as they
 * need no CONFIG). Each is checked against this service's LBS before it is
 * reported, so other services' keys and other apps' keys are ignored.
 */
import { type CallbackActorLogic, fromCallback } from "xstate";
import { expiredEventChannel, orphanChannel, parseLockKey } from "../keys.ts";
import type { RedisClient } from "../redis/client.ts";
import type { ClientRuntime } from "../runtime.ts";
import { readLbsEntry } from "./read_lbs_entry.ts";

export type ExpiryEvent = {
  type: "LOCK_GONE";
  dataStreamName: string;
  idInLbs: string;
  info: Readonly<Record<string, unknown>>;
};

export const expiryListenerActor: CallbackActorLogic<{ type: "noop" }, ClientRuntime> =
  fromCallback(
    ({ input: runtime, sendBack }) => {
      const subscriber = runtime.redis.duplicate() as RedisClient;
      subscriber.on("error", (error: unknown) => {
        runtime.options.logger.warn("subscriber connection error", { error: String(error) });
      });
      const recent = new RecentKeys(Math.max(50, Math.floor(runtime.options.heartbeatMs / 2)));
      const onKey = (key: string) => {
        if (!recent.firstTime(key)) return;
        void confirm(runtime, key).then((event) => event && sendBack(event)).catch((error) =>
          runtime.options.logger.warn("could not check an expired key", {
            key,
            error: String(error),
          })
        );
      };
      let closed = false;
      void (async () => {
        await subscriber.connect();
        await subscriber.subscribe(
          [expiredEventChannel(runtime.database), orphanChannel(runtime.service)],
          onKey,
        );
      })().catch((error) => {
        if (!closed) runtime.options.logger.error("subscriber failed", { error: String(error) });
      });
      return () => {
        closed = true;
        if (subscriber.isOpen) subscriber.destroy();
      };
    },
  );

/** Reports a key only if it is the lock of a pending entry of this service's LBS. */
async function confirm(runtime: ClientRuntime, key: string): Promise<ExpiryEvent | undefined> {
  const parsed = parseLockKey(key);
  if (!parsed) return undefined;
  const assignment = await readLbsEntry(runtime, parsed.idInLbs);
  if (typeof assignment === "string" || assignment.dataStreamName !== parsed.dataStreamName) {
    return undefined;
  }
  runtime.options.metrics.recordKspNotification?.(parsed.dataStreamName);
  return { type: "LOCK_GONE", ...parsed, info: assignment.info };
}

/** Drops repeats of a key within a short window: Redis and the sweeper may both announce it. */
class RecentKeys {
  readonly #windowMs: number;
  #seen = new Map<string, number>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  firstTime(key: string): boolean {
    const now = Date.now();
    if (this.#seen.size > 10_000) {
      for (const [k, at] of this.#seen) if (now - at > this.#windowMs) this.#seen.delete(k);
    }
    const last = this.#seen.get(key);
    if (last !== undefined && now - last < this.#windowMs) return false;
    this.#seen.set(key, now);
    return true;
  }
}
