/**
 * The moment a stream's ownership ends, as an AbortSignal for user code.
 * Most owned streams never have their signal asked for, so the controller
 * is created on first use (it costs more than the rest of a stream's record)
 * and comes already aborted when ownership has ended by then.
 */
export class OwnershipEnd {
  #controller: AbortController | undefined;
  #ended = false;

  /** Aborts once ownership ends: released, disowned, expired or client closed. */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#ended) this.#controller.abort();
    return this.#controller.signal;
  }

  get ended(): boolean {
    return this.#ended;
  }

  end(): void {
    this.#ended = true;
    this.#controller?.abort();
  }
}
