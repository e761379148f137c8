/**
 * The notification broker's queue: bounded, async-iterable, single reader.
 *
 * Overflow behaviour, by source:
 * - The LBS reader calls `waitForRoom` and reads no more entries than `room`,
 *   so a slow reader of the iterator pauses it and unassigned streams stay in
 *   Redis; `push` is the same wait followed by an enqueue.
 * - `pushCoalesced` (expiry announcements) never waits and never drops:
 *   when the queue is full the item waits in an overflow keyed by stream,
 *   where a repeat replaces the earlier one, so the overflow holds at most one
 *   item per stream, and it moves into the queue as the reader frees room.
 * - `pushUrgent` (a consumer's own lost streams, termination) is always
 *   accepted; there is at most one per owned stream.
 *
 * One reader at a time: a second iterator asked for while the first is live
 * throws a TypeError rather than steal the first one's items.
 */
/** Items handed out back to back before the reader yields to the event loop once. */
const YIELD_EVERY = 256;

const SECOND_READER =
  "The notifications are already being iterated: read them in one loop and dispatch from there";

export class NotificationQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  #items: T[] = [];
  #head = 0;
  #closed = false;
  #waitingReader: ((result: IteratorResult<T>) => void) | undefined;
  #waitingWriters: Array<() => void> = [];
  #overflow = new Map<string, T>();
  /** Items handed out since the reader last had to wait (or was made to yield). */
  #inARow = 0;
  /** An iterator was handed out and has not ended yet. */
  #iterating = false;
  readonly #onReturn: () => void;

  /** `onReturn` runs when the reader stops early (break out of for-await). */
  constructor(capacity: number, onReturn: () => void = () => {}) {
    this.capacity = capacity;
    this.#onReturn = onReturn;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Waits for room, then enqueues. Resolves false if the queue closed meanwhile. */
  async push(item: T, signal?: AbortSignal): Promise<boolean> {
    if (!(await this.waitForRoom(signal))) return false;
    this.#deliver(item);
    return true;
  }

  /** Free places before the queue is full. */
  get room(): number {
    return Math.max(0, this.capacity - this.size);
  }

  /** Waits until there is room; false if the queue closed or the signal aborted first. */
  async waitForRoom(signal?: AbortSignal): Promise<boolean> {
    while (!this.#closed && this.room === 0) {
      if (signal?.aborted) return false;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        this.#waitingWriters.push(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        });
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    return !this.#closed && !signal?.aborted;
  }

  /**
   * Enqueues, or parks the item in the overflow under `key` when the queue is
   * full (replacing an earlier item with the same key). False when closed.
   * @returns "queued", "coalesced" (parked), or "closed".
   */
  pushCoalesced(key: string, item: T): "queued" | "coalesced" | "closed" {
    if (this.#closed) return "closed";
    if (this.room > 0 && this.#overflow.size === 0) {
      this.#deliver(item);
      return "queued";
    }
    this.#overflow.delete(key); // re-inserted last: keeps arrival order
    this.#overflow.set(key, item);
    return "coalesced";
  }

  /** Items parked by pushCoalesced, waiting for room. */
  get overflowSize(): number {
    return this.#overflow.size;
  }

  /** Enqueues regardless of capacity (false only when closed). */
  pushUrgent(item: T): boolean {
    if (this.#closed) return false;
    this.#deliver(item);
    return true;
  }

  /** Ends the iteration once queued items are read. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeWriters();
    if (this.size === 0) this.#resolveReader({ value: undefined, done: true });
  }

  /**
   * The next item, or done once closed and drained.
   * @throws {TypeError} (rejects) when a call is already waiting: one reader at a time.
   */
  next(): Promise<IteratorResult<T>> {
    if (this.#waitingReader) {
      return Promise.reject(new TypeError(SECOND_READER));
    }
    if (this.size > 0) {
      const value = this.#items[this.#head] as T;
      this.#items[this.#head++] = undefined as T;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      this.#drainOverflow();
      this.#wakeWriters();
      const result: IteratorResult<T> = { value, done: false };
      // Items read back to back resolve as microtasks, which starve timers: a reader working
      // through thousands of StreamExpired would hold off the heartbeat until it lost its locks.
      if (++this.#inARow < YIELD_EVERY) return Promise.resolve(result);
      this.#inARow = 0;
      return new Promise((resolve) => setTimeout(() => resolve(result), 0));
    }
    this.#inARow = 0;
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waitingReader = resolve;
    });
  }

  /** @throws {TypeError} while another iterator of this queue is still being read. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) throw new TypeError(SECOND_READER);
    this.#iterating = true;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.#iterating = false;
    };
    return {
      next: async () => {
        const result = await this.next();
        if (result.done) end();
        return result;
      },
      return: () => {
        end();
        this.#onReturn();
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #drainOverflow(): void {
    for (const [key, item] of this.#overflow) {
      if (this.room === 0) return;
      this.#overflow.delete(key);
      this.#items.push(item);
    }
  }

  #deliver(item: T): void {
    if (this.#waitingReader && this.size === 0) {
      this.#resolveReader({ value: item, done: false });
      return;
    }
    this.#items.push(item);
  }

  #resolveReader(result: IteratorResult<T>): void {
    const reader = this.#waitingReader;
    this.#waitingReader = undefined;
    reader?.(result);
  }

  #wakeWriters(): void {
    const writers = this.#waitingWriters;
    this.#waitingWriters = [];
    for (const wake of writers) wake();
  }
}
