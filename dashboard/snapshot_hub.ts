/**
 * The latest snapshot of the fleet, rebuilt at most every `intervalMs` after a
 * change, and a way for each event stream to wait for the next one.
 */
export class SnapshotHub {
  readonly #build: () => unknown;
  readonly #intervalMs: number;
  #version = 0;
  #json = "{}";
  #dirty = true;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiters = new Set<() => void>();

  constructor(build: () => unknown, intervalMs = 100) {
    this.#build = build;
    this.#intervalMs = intervalMs;
  }

  /** Something changed: a new snapshot goes out within `intervalMs`. */
  changed(): void {
    this.#dirty = true;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#publish();
    }, this.#intervalMs);
  }

  current(): { version: number; json: string } {
    if (this.#version === 0) this.#publish();
    return { version: this.#version, json: this.#json };
  }

  next(version: number, signal: AbortSignal): Promise<void> {
    if (version !== this.#version || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }

  /** Stops the timer and releases every waiter. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const wake of [...this.#waiters]) wake();
  }

  #publish(): void {
    if (!this.#dirty && this.#version > 0) return;
    this.#dirty = false;
    this.#json = JSON.stringify(this.#build());
    this.#version++;
    for (const wake of [...this.#waiters]) wake();
  }
}
