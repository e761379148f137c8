/**
 * Fair hand-out of the LBS. A consumer group gives each read whatever is there
 * up to the read's COUNT, so the first reader to come back after a burst took
 * all of it (20 streams added within 10 ms went 19/1). Instead each read asks
 * for no more than this consumer's fair share of the unfinished streams, plus
 * a small slack, less what it owns already:
 *
 *   allowance = ⌈entries / live consumers⌉ + FAIR_SHARE_SLACK − owned
 *
 * where `entries` is the LBS's length (every unfinished stream: owned,
 * orphaned or not yet read) and the live consumers are those of the consumer
 * index whose deadline has not passed, both read fresh before every read in
 * one round trip. A read that will block (nothing waits) takes at most the
 * slack, as the burst it waits for may be shared by more consumers than are
 * live now; once entries wait, a lone consumer reads whole batches. A consumer past its
 * share leaves the entries to the others, unless none of them read any for a
 * whole pause while entries waited (their buffers are full, they are at their
 * cap, or they died and are still counted): then it takes them, so nothing
 * waits for a consumer that does not come.
 */
import type { ClientRuntime } from "./runtime.ts";
import { lbsBacklog, lbsBacklogOf } from "./scripts/lbs_backlog.ts";
import { liveConsumers } from "./scripts/live_consumers.ts";

/** Streams a consumer may own beyond its fair share during a burst. */
export const FAIR_SHARE_SLACK = 2;

/** The inputs of the allowance, as Redis told them just now. */
export interface ShareInputs {
  /** Unfinished streams in the LBS. */
  readonly entries: number;
  /** Live consumers of this library (at least this one). */
  readonly live: number;
  /** Streams this consumer owns. */
  readonly owned: number;
}

/** This consumer's fair share less what it owns: how many more it may take (≤ 0: none). */
export function shareAllowance({ entries, live, owned }: ShareInputs): number {
  return Math.ceil(entries / Math.max(1, live)) + FAIR_SHARE_SLACK - owned;
}

/** Decides, before each LBS read, how many entries it may take. */
export class FairShare {
  readonly #runtime: ClientRuntime;
  /** The group's cursor when this consumer last left entries to the others. */
  #leftAt: string | undefined;

  constructor(runtime: ClientRuntime) {
    this.#runtime = runtime;
  }

  /**
   * How many entries the next read may take, at most `most`; 0 means none for
   * now (at the cap, or past the fair share while others read): pause, then ask again.
   */
  async allowance(owned: number, most: number): Promise<number> {
    const { options } = this.#runtime;
    const room = Math.min(most, options.maxOwnedStreams - owned);
    if (room <= 0) return 0;
    const { live, backlog } = await this.#measure();
    const share = live <= 1 ? room : shareAllowance({ entries: backlog.entries, live, owned });
    if (share <= 0) {
      // Nobody read since we last left entries to the others, and entries wait: take them.
      if (backlog.unread > 0 && this.#leftAt === backlog.lastDeliveredId) {
        this.#leftAt = undefined;
        return Math.min(room, backlog.unread);
      }
      this.#leftAt = backlog.lastDeliveredId;
      return 0;
    }
    this.#leftAt = undefined;
    // Nothing waits, so this read blocks until entries come: a burst, by then maybe shared by more
    // consumers than now. It takes a few; the reads after it, measured afresh, take the shares.
    if (backlog.unread === 0) return Math.min(room, share, FAIR_SHARE_SLACK);
    return Math.min(room, share);
  }

  async #measure() {
    const runtime = this.#runtime;
    // Issued together, so they leave as one pipeline: one round trip.
    const [live, backlog] = await Promise.all([
      liveConsumers.run(runtime.redis, [runtime.consumerIndex], []),
      lbsBacklog.run(runtime.redis, [runtime.lbsStream], [runtime.lbsGroup]),
    ]);
    return { live: Number(live), backlog: lbsBacklogOf(backlog) };
  }
}
