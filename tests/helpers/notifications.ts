/** Reads a client's notifications in the background so tests can wait for the ones they need. */
import type { Notification } from "../../mod.ts";

export class NotificationLog {
  readonly seen: Notification[] = [];
  #waiters: Array<() => void> = [];
  readonly finished: Promise<void>;

  constructor(iterable: AsyncIterable<Notification>) {
    this.finished = (async () => {
      for await (const notification of iterable) {
        this.seen.push(notification);
        this.#wake();
      }
      this.#wake();
    })();
  }

  /** Waits for a notification matching `predicate` (already seen ones count). */
  async next(
    predicate: (n: Notification) => boolean,
    { timeoutMs = 10_000, message = "a notification" } = {},
  ): Promise<Notification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.seen.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        const types = this.seen.map((n) => `${n.type}:${n.payload.dataStreamName}`).join(", ");
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}; saw [${types}]`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** All notifications of one type so far. */
  ofType(type: Notification["type"]): Notification[] {
    return this.seen.filter((n) => n.type === type);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
