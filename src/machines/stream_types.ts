/** Events, reports, input and context of the stream machine. */
import type { Acquisition } from "../acquisition.ts";
import type { OwnershipEnd } from "../ownership_end.ts";

/** Why a stream was lost. */
export type LossReason = "expired" | "taken" | "unreachable";

export type StreamEvent =
  /** The shared heartbeat extended the lock; `until` is the new local deadline (ms). */
  | { type: "HEARTBEAT_OK"; until: number }
  /** The lock is no longer ours. */
  | { type: "LOCK_LOST"; reason: LossReason }
  /** Give the stream up: "finish" acks its LBS entry, "handover" leaves it for a peer. */
  | { type: "RELEASE"; mode: "finish" | "handover" };

/** What a stream actor reports to its supervisor (through `report`). */
export type StreamReport =
  | {
    type: "STREAM_LOST";
    lockKey: string;
    dataStreamName: string;
    idInLbs: string;
    reason: LossReason;
  }
  | { type: "STREAM_RELEASED"; lockKey: string; dataStreamName: string; error?: unknown };

export interface StreamInput {
  readonly acquisition: Acquisition;
  /** The lock's TTL: it is known to be ours for this long after the acquisition. */
  readonly heartbeatMs: number;
  /**
   * Where reports go. A callback rather than sendParent: stream actors are not
   * XState children of the supervisor, because XState copies a parent's
   * children record on every spawn and stop, O(owned streams) each time.
   */
  readonly report: (report: StreamReport) => void;
}

/**
 * No Redis client or runtime in here: a stream actor starts from a snapshot
 * (see `acquiredStreamSnapshot`), and XState walks a restored context
 * recursively. The release actor gets its runtime through `provide`.
 */
export interface StreamContext {
  readonly acquisition: Acquisition;
  readonly report: (report: StreamReport) => void;
  /** Ends when ownership ends; its signal is for user code that watches it. */
  readonly ownershipEnded: OwnershipEnd;
  /** Until when (local clock, ms) the lock is known to be ours. */
  readonly confirmedUntil: number;
  readonly lossReason?: LossReason;
  readonly releaseMode?: "finish" | "handover";
  /** Why releasing failed, when it did (the lock then simply expires). */
  readonly releaseError?: unknown;
}
