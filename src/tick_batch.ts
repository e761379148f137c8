/**
 * Gathers calls made within one turn of the event loop and serves them with
 * one batch. A takeover claims thousands of streams at once and an LBS read
 * assigns hundreds: one command for all of them, rather than one each, is
 * what keeps the client's CPU (not Redis) from setting the pace.
 *
 * The batch runs on setImmediate: after the microtasks of the current turn
 * (so a burst of awaits all lands in it) and without a timer's minimum delay.
 */
import { setImmediate } from "node:timers";

interface Waiting<T, R> {
  readonly item: T;
  readonly resolve: (result: R | Promise<R>) => void;
  readonly reject: (error: unknown) => void;
}

/** An item's own failure in a batch's answer: its caller's promise rejects with `error`. */
export class ItemFailure {
  constructor(readonly error: unknown) {}
}

type BatchRun<T, R> = (items: readonly T[]) => Promise<ReadonlyArray<R | Promise<R> | ItemFailure>>;

export class TickBatch<T, R> {
  readonly #run: BatchRun<T, R>;
  #waiting: Waiting<T, R>[] = [];
  /** Batches sent and not yet answered. */
  #running = 0;
  #idleWaiters: Array<() => void> = [];

  /**
   * `run` answers one result per item, in order: a value, a promise of its own,
   * or an ItemFailure: items can fail alone. If `run` itself fails, every item fails.
   */
  constructor(run: BatchRun<T, R>) {
    this.#run = run;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.#waiting.push({ item, resolve, reject }) === 1) setImmediate(() => this.#flush());
    });
  }

  /** Resolves once no item waits for its batch and no batch awaits its answer. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #isIdle(): boolean {
    return this.#waiting.length === 0 && this.#running === 0;
  }

  #flush(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    let running: ReturnType<BatchRun<T, R>>;
    try {
      running = this.#run(batch.map((waiting) => waiting.item));
    } catch (error) {
      running = Promise.reject(error);
    }
    this.#running++;
    running.then(
      (results) =>
        batch.forEach((waiting, i) => {
          const result = results[i]!;
          if (result instanceof ItemFailure) waiting.reject(result.error);
          else waiting.resolve(result);
        }),
      (error) => batch.forEach((waiting) => waiting.reject(error)),
    ).finally(() => {
      this.#running--;
      if (!this.#isIdle()) return;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    });
  }
}
