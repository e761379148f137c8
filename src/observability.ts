/** The logger and metrics hooks a client reports through. */

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
}

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
