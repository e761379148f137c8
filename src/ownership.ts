/**
 * What a consumer holds while it owns a data stream: enough to prove
 * ownership to Redis in a script (lock key and value) and to order
 * writes across owners (the fencing token).
 */
export interface StreamOwnership {
  /** The data stream this consumer owns. */
  readonly dataStreamName: string;
  /** The LBS entry id that assigned the stream. */
  readonly idInLbs: string;
  /** The Redis key of the stream's lock. */
  readonly lockKey: string;
  /** The lock's value: unique to this one acquisition. */
  readonly lockValue: string;
  /** Fencing token: grows strictly with every acquisition of this stream. */
  readonly fence: number;
  /** Aborts as soon as ownership ends: released, disowned, expired or client closed. */
  readonly signal: AbortSignal;
}
