/**
 * Stream names of LBS ids, so reconciliation reads each pending entry once
 * rather than once per round. One per client, bounded: when full, the name
 * used least recently makes room (a Map keeps insertion order, and a name
 * read again moves to the end), so a pending list larger than the cache costs
 * reads of the entries beyond it, not a wholesale start-over every round.
 * A finished stream's name is forgotten at once.
 */
import { readLbsEntries } from "./actors/read_lbs_entries.ts";
import type { ClientRuntime } from "./runtime.ts";

/** Names a client's cache holds at most. */
export const STREAM_NAME_CACHE_LIMIT = 100_000;

export class StreamNameCache {
  readonly #limit: number;
  readonly #names = new Map<string, string | null>();

  constructor(limit = STREAM_NAME_CACHE_LIMIT) {
    this.#limit = limit;
  }

  /** The stream name of each LBS id (null for a malformed or missing entry). */
  async namesOf(runtime: ClientRuntime, ids: readonly string[]): Promise<Array<string | null>> {
    // This call's answers are kept apart: the cache may make room while it reads, or under it.
    const names = new Map<string, string | null>();
    for (const id of ids) {
      const cached = this.#names.get(id);
      if (cached === undefined) continue;
      names.set(id, cached);
      this.#names.delete(id); // used: moves to the end, last to be evicted
      this.#names.set(id, cached);
    }
    const unknown = ids.filter((id) => !names.has(id));
    const entries = await readLbsEntries(runtime, unknown);
    unknown.forEach((id, i) => {
      const entry = entries[i]!;
      if (entry === "missing") return; // not cached: the entry may not be visible yet
      const name = entry === "malformed" ? null : entry.dataStreamName;
      names.set(id, name);
      this.#remember(id, name);
    });
    return ids.map((id) => names.get(id) ?? null);
  }

  /** Whether an id's name is cached. */
  has(id: string): boolean {
    return this.#names.has(id);
  }

  /** Drops the name of an entry that is finished (or gone). */
  forget(id: string): void {
    this.#names.delete(id);
  }

  #remember(id: string, name: string | null): void {
    this.#names.delete(id);
    if (this.#names.size >= this.#limit) {
      const oldest = this.#names.keys().next();
      if (!oldest.done) this.#names.delete(oldest.value);
    }
    this.#names.set(id, name);
  }
}
