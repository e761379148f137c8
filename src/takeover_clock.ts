/**
 * When this client was first told each orphaned stream was free, so a won
 * claim can report the takeover's delay. Only kept when the metrics recorder
 * asks for takeovers; bounded, oldest forgotten first (Map keeps insertion order).
 */
export class TakeoverClock {
  readonly #heardAt = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  /** Notes that the stream behind `lockKey` was announced orphaned (the first time counts). */
  heard(lockKey: string, now: number = Date.now()): void {
    if (this.#heardAt.has(lockKey)) return;
    if (this.#heardAt.size >= this.#capacity) {
      const oldest = this.#heardAt.keys().next().value;
      if (oldest !== undefined) this.#heardAt.delete(oldest);
    }
    this.#heardAt.set(lockKey, now);
  }

  /** The delay since the stream was first announced, forgetting it; undefined if unheard. */
  taken(lockKey: string, now: number = Date.now()): number | undefined {
    const at = this.#heardAt.get(lockKey);
    if (at === undefined) return undefined;
    this.#heardAt.delete(lockKey);
    return now - at;
  }
}
