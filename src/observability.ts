/** The logger and metrics hooks a client reports through. */
import type { AcquisitionOrigin } from "./acquisition.ts";

/** A minimal structured logger; console, pino and winston all fit. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Metrics hooks, one per event of the Go library's recorder (camelCased).
 * Every method is optional; durations are milliseconds.
 */
export interface MetricsRecorder {
  recordStartupRecovery?(success: boolean, unackedCount: number, durationMs: number): void;
  recordClaimAttempt?(dataStreamName: string, success: boolean, durationMs: number): void;
  recordLockAcquisitionAttempt?(dataStreamName: string, success: boolean, durationMs: number): void;
  recordLockExtensionAttempt?(dataStreamName: string, success: boolean): void;
  recordLockReleaseAttempt?(dataStreamName: string, success: boolean): void;
  recordStreamProcessingStart?(dataStreamName: string, startTimeMs: number): void;
  recordStreamProcessingEnd?(dataStreamName: string, startTimeMs: number): void;
  recordKspNotification?(dataStreamName: string): void;
  recordKspNotificationDropped?(): void;

  // Ownership, beyond the Go library's events.
  /** The client now owns a stream: handed out by the LBS (`lbs`), recovered at start-up, or claimed. */
  recordStreamAcquired?(dataStreamName: string, origin: AcquisitionOrigin, fence: number): void;
  /**
   * A claim won: `delayMs` runs from the moment this client was first told the stream was
   * orphaned (StreamExpired) to the moment it owned it.
   */
  recordTakeover?(dataStreamName: string, delayMs: number): void;
  /** The client lost a stream it owned (StreamDisowned). */
  recordStreamDisowned?(dataStreamName: string, reason: "expired" | "taken" | "unreachable"): void;
  /** One heartbeat: how long it took, how many locks it extended, whether Redis answered. */
  recordHeartbeat?(durationMs: number, locks: number, answered: boolean): void;
  /** How many streams the client owns, after every change. */
  recordOwnedStreams?(count: number): void;

  // The message layer (group consumers). `group` is the consumer group.
  /** An entry was delivered to a handler (first delivery or redelivery). */
  recordMessageConsumed?(stream: string, group: string): void;
  /** A handler finished: acked, or failed (to be retried or dead-lettered). */
  recordMessageProcessed?(
    stream: string,
    group: string,
    durationMs: number,
    outcome: MessageOutcome,
  ): void;
  /** An entry was dead-lettered, with the reason. */
  recordMessageDeadLettered?(stream: string, group: string, reason: string): void;
  /** A reaper pass took over entries left idle by another consumer. */
  recordMessagesReaped?(stream: string, group: string, count: number): void;
}

/** The methods a logger must have. */
export const LOGGER_METHODS = ["debug", "info", "warn", "error"] as const satisfies readonly (
  keyof Logger
)[];

/** Every hook of MetricsRecorder, so each can be checked and guarded. */
export const METRIC_HOOKS = [
  "recordStartupRecovery",
  "recordClaimAttempt",
  "recordLockAcquisitionAttempt",
  "recordLockExtensionAttempt",
  "recordLockReleaseAttempt",
  "recordStreamProcessingStart",
  "recordStreamProcessingEnd",
  "recordKspNotification",
  "recordKspNotificationDropped",
  "recordStreamAcquired",
  "recordTakeover",
  "recordStreamDisowned",
  "recordHeartbeat",
  "recordOwnedStreams",
  "recordMessageConsumed",
  "recordMessageProcessed",
  "recordMessageDeadLettered",
  "recordMessagesReaped",
] as const satisfies readonly (keyof MetricsRecorder)[];

// A hook added to MetricsRecorder but not to METRIC_HOOKS would go unguarded: tsc fails here.
const everyHookListed: Exclude<keyof MetricsRecorder, (typeof METRIC_HOOKS)[number]> extends never
  ? true
  : never = true;
void everyHookListed;

/** How a handler's attempt at a message ended. */
export type MessageOutcome = "acked" | "retried" | "dead-lettered";

/** Logs warnings and errors to the console; quiet otherwise. */
export const consoleLogger: Logger = {
  debug() {},
  info(message, fields) {
    console.info(`[redis-stream-client] ${message}`, fields ?? "");
  },
  warn(message, fields) {
    console.warn(`[redis-stream-client] ${message}`, fields ?? "");
  },
  error(message, fields) {
    console.error(`[redis-stream-client] ${message}`, fields ?? "");
  },
};

/** Discards everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
