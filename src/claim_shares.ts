/**
 * Splits a takeover among the live consumers. Every consumer hears about
 * every orphaned stream, and left alone each would try to claim all of them:
 * with N survivors, N attempts per stream, N - 1 of them lost. Instead each
 * stream has a first claimer among the live consumers (rendezvous hashing of
 * the stream's lock key over their names), which is told at once; the others
 * wait while the first claimers make progress, and are told of what is still
 * unowned once they do not (the first claimer died too, stalls, or ignores
 * it), within half a TTL. So N survivors take over K streams about K / N
 * each, and nothing depends on a first claimer being there.
 *
 * The live consumers come from the consumer index: each heartbeat reads the
 * clients whose deadline has not passed, by the server's clock.
 */

/** One live consumer: its name in the index and its deadline, on this host's clock. */
interface LivePeer {
  readonly hash: number;
  readonly deadline: number;
}

/** How close to its deadline a client no longer counts as live. */
const DEADLINE_MARGIN_MS = 5;

export class ClaimShares {
  readonly #selfHash: number;
  #peers: LivePeer[] = [];

  constructor(self: string) {
    this.#selfHash = fnv1a(self);
  }

  /**
   * Takes the index's live clients as a beat read them: names and deadlines
   * by the server's clock, with the server's time then.
   */
  update(clients: ReadonlyArray<{ name: string; deadline: number }>, serverNow: number): void {
    const offset = Date.now() - serverNow;
    this.#peers = clients.map(({ name, deadline }) => ({
      hash: fnv1a(name),
      deadline: deadline + offset,
    }));
  }

  /**
   * Whether this consumer is the first to be told of an orphaned stream: it
   * ranks first among the consumers still live now (itself included), or it
   * knows of no one else.
   */
  isFirstClaimer(lockKey: string): boolean {
    // A dead client's locks expire a moment before its deadline (the same beat set both), and
    // Redis may announce them in between: count it out a little early.
    const now = Date.now() + DEADLINE_MARGIN_MS;
    const key = fnv1a(lockKey);
    const mine = mix(key ^ this.#selfHash);
    for (const peer of this.#peers) {
      if (peer.hash === this.#selfHash || peer.deadline <= now) continue;
      const theirs = mix(key ^ peer.hash);
      if (theirs > mine || (theirs === mine && peer.hash > this.#selfHash)) return false;
    }
    return true;
  }
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A 32-bit finaliser (murmur3's), so that XOR-combined hashes rank independently. */
function mix(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
