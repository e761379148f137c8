/**
 * Work a client started and nobody awaits: hand-backs of streams acquired
 * while it stopped, announcements of lost locks. done() waits for it, so no
 * command of the client goes out after done() resolved.
 */
export class InFlight {
  readonly #work = new Set<Promise<void>>();

  /** Keeps `work` until it settles; its failure is its own to report. */
  track(work: Promise<unknown>): void {
    const settled: Promise<void> = work.then(() => {}, () => {}).finally(() =>
      this.#work.delete(settled)
    );
    this.#work.add(settled);
  }

  /** Resolves once nothing tracked is left, including work tracked meanwhile. */
  async settled(): Promise<void> {
    while (this.#work.size > 0) await Promise.all(this.#work);
  }
}
