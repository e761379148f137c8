/**
 * Keeps the LBS pending list telling who owns what. An entry this client
 * holds would otherwise grow idle in its PEL, and a consumer's start-up
 * recovery (this library's and Go's: XAUTOCLAIM of entries idle past
 * `lbsIdleMs`) would move it into its own PEL while we still own the stream.
 * So the heartbeat refreshes the idle time of the entries it holds: each one
 * once per `lbsIdleMs / 4`, spread over the beats of that cycle, with an
 * `XCLAIM … JUSTID` per thousand entries (JUSTID does not count a delivery).
 */
import { inChunks } from "../redis/in_chunks.ts";
import type { ClientRuntime } from "../runtime.ts";

/** Entry ids per XCLAIM: bounds one command's size. */
const REFRESH_CHUNK = 1000;

/** Each held entry is refreshed this many times per `lbsIdleMs`: a margin for late beats. */
const REFRESHES_PER_IDLE = 4;

/** Which held entries each beat refreshes, so every one comes up once a cycle. */
export class LbsIdleRefresh {
  /** Beats per cycle: each entry belongs to one of them, by a hash of its id. */
  readonly cycleBeats: number;
  #beat = 0;

  constructor(lbsIdleMs: number, heartbeatMs: number) {
    const beatPeriodMs = Math.max(1, Math.floor(heartbeatMs / 2));
    this.cycleBeats = Math.max(1, Math.floor(lbsIdleMs / REFRESHES_PER_IDLE / beatPeriodMs));
  }

  /**
   * The ids of `idsInLbs` due this beat; each call is the next beat. An id's
   * beat depends on the id alone, so streams coming and going move no other.
   */
  due(idsInLbs: readonly string[]): string[] {
    const beat = this.#beat;
    this.#beat = (beat + 1) % this.cycleBeats;
    if (this.cycleBeats === 1) return [...idsInLbs];
    return idsInLbs.filter((id) => slotOf(id, this.cycleBeats) === beat);
  }
}

/**
 * Resets the idle time of LBS entries this client holds, in its own PEL.
 * Only for entries whose lock this client has just extended: while the lock
 * is ours nobody else claims the entry, so this cannot pull it back from a
 * successor.
 */
export async function refreshLbsIdle(
  runtime: ClientRuntime,
  idsInLbs: readonly string[],
): Promise<void> {
  const { redis, lbsStream, lbsGroup, consumerId } = runtime;
  await inChunks(
    idsInLbs,
    REFRESH_CHUNK,
    (chunk) => redis.xClaimJustId(lbsStream, lbsGroup, consumerId, 0, chunk),
  );
}

/** FNV-1a of the id, modulo `slots`. */
function slotOf(id: string, slots: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % slots;
}
