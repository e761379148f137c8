/**
 * Hears lock expiries exactly as redis-stream-client-go does: subscribed to
 * `__keyevent@0__:expired`, each message the expired key's name.
 */
import type { RedisClient } from "../../src/redis/client.ts";
import { waitUntil } from "../fixture/wait.ts";

export class GoExpiryListener implements AsyncDisposable {
  readonly expired: string[] = [];
  readonly #subscriber: RedisClient;

  private constructor(subscriber: RedisClient) {
    this.#subscriber = subscriber;
  }

  static async start(redis: RedisClient): Promise<GoExpiryListener> {
    const subscriber = redis.duplicate() as RedisClient;
    subscriber.on("error", () => {});
    await subscriber.connect();
    const listener = new GoExpiryListener(subscriber);
    await subscriber.subscribe("__keyevent@0__:expired", (key) => listener.expired.push(key));
    return listener;
  }

  /** Waits until the expired event of `key` has been heard. */
  async heard(key: string, timeoutMs = 2000): Promise<void> {
    await waitUntil(() => this.expired.includes(key), {
      timeoutMs,
      message: `an expired event for ${key}`,
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#subscriber.destroy();
    return Promise.resolve();
  }
}
