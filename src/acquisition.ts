/** A stream this consumer has just acquired, and how it came to have it. */
import type { HeldLock } from "./lock/stream_locks.ts";

/** Where an acquisition came from: the LBS, start-up recovery or claim(). */
export type AcquisitionOrigin = "lbs" | "recovery" | "claim";

export interface Acquisition extends HeldLock {
  readonly dataStreamName: string;
  readonly idInLbs: string;
  readonly info: Readonly<Record<string, unknown>>;
  readonly origin: AcquisitionOrigin;
}
