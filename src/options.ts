/** Client options: defaults and validation with errors that name the option. */
import type { InspectionEvent, Observer } from "xstate";
import { guardHooks } from "./hook_guard.ts";
import { consoleLogger, type Logger, type MetricsRecorder } from "./observability.ts";
import {
  checkLogger,
  checkMetrics,
  integerOption,
  objectOption,
  rejectUnknownOptions,
} from "./option_checks.ts";

/** How the client treats the server's notify-keyspace-events setting. */
export type KeyspaceConfigMode = "merge" | "force" | "skip";

/** Backoff for reconnecting readers; `maxRetries: -1` retries forever. */
export interface RetryOptions {
  readonly maxRetries?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

export interface StreamClientOptions {
  /** Consumer id; else POD_NAME, else POD_IP (prefixed `redis-consumer-`), else generated. */
  readonly consumerId?: string;
  /** Lock TTL in ms; the lock is extended every half of it. @default 2000 */
  readonly heartbeatMs?: number;
  /** Pending LBS entries idle this long are recovered at start-up. @default 40000 */
  readonly lbsIdleMs?: number;
  /** Page size of start-up recovery (XAUTOCLAIM COUNT). @default 1000 */
  readonly lbsRecoveryCount?: number;
  /** How long start-up (and its recovery) may take before init() fails. @default 60000 */
  readonly startupTimeoutMs?: number;
  /** Notifications buffered before the LBS reader pauses. @default 500 */
  readonly bufferSize?: number;
  /** Backoff of the readers after Redis errors. */
  readonly retry?: RetryOptions;
  /** "merge" adds the flags the client needs, "force" sets exactly them, "skip" leaves CONFIG alone. @default "merge" */
  readonly keyspaceConfig?: KeyspaceConfigMode;
  /** How often a consumer tries to be the one that sweeps for due locks. @default 200 */
  readonly sweepIntervalMs?: number;
  /** How often the elected sweeper reconciles the whole LBS pending list. @default 5000 */
  readonly reconcileIntervalMs?: number;
  /** LBS entries larger than this (bytes of the JSON) are dead-lettered. @default 65536 */
  readonly maxLbsEntryBytes?: number;
  /** Entries read from the LBS per XREADGROUP. @default 100 */
  readonly lbsBatchSize?: number;
  /** How long one LBS read blocks waiting for entries. @default 1000 */
  readonly lbsBlockMs?: number;
  /**
   * Most streams this consumer owns at once, a circuit breaker for runaway
   * stream counts: at the cap it reads no LBS entries and refuses claims
   * (OwnershipLimitError). A positive integer or Infinity. @default Infinity
   */
  readonly maxOwnedStreams?: number;
  readonly logger?: Logger;
  readonly metrics?: MetricsRecorder;
  /**
   * An XState inspection observer on the supervisor's actor system: it sees the
   * events and snapshots of the supervisor, its invoked actors and every stream
   * actor (Stately's inspector, or a callback of your own).
   */
  readonly inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * Publish every stream actor's transition to the service's state feed
   * (`stateFeedKey(service)`, a stream capped with `MAXLEN ~ maxLength`).
   * Off, it costs nothing. @default false
   */
  readonly stateFeed?: boolean | { readonly maxLength?: number };
  /** Environment to read POD_NAME / POD_IP from; defaults to the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly heartbeatMs: number;
  readonly lbsIdleMs: number;
  readonly lbsRecoveryCount: number;
  readonly startupTimeoutMs: number;
  readonly bufferSize: number;
  readonly retry: Required<RetryOptions>;
  readonly keyspaceConfig: KeyspaceConfigMode;
  readonly sweepIntervalMs: number;
  readonly reconcileIntervalMs: number;
  readonly maxLbsEntryBytes: number;
  readonly lbsBatchSize: number;
  readonly lbsBlockMs: number;
  readonly maxOwnedStreams: number;
  readonly logger: Logger;
  readonly metrics: MetricsRecorder;
  readonly inspect: StreamClientOptions["inspect"];
  /** The feed's bound when the feed is on; undefined when it is off. */
  readonly stateFeed: { readonly maxLength: number } | undefined;
}

export const DEFAULTS = {
  heartbeatMs: 2000,
  lbsIdleMs: 40_000,
  lbsRecoveryCount: 1000,
  startupTimeoutMs: 60_000,
  bufferSize: 500,
  retry: { maxRetries: 5, initialDelayMs: 100, maxDelayMs: 30_000 },
  keyspaceConfig: "merge",
  sweepIntervalMs: 200,
  reconcileIntervalMs: 5000,
  maxLbsEntryBytes: 65_536,
  lbsBatchSize: 100,
  lbsBlockMs: 1000,
  maxOwnedStreams: Infinity,
  stateFeedMaxLength: 10_000,
} as const;

const KEYSPACE_MODES: readonly KeyspaceConfigMode[] = ["merge", "force", "skip"];

/** Every option's name: anything else is refused, with the closest of these suggested. */
const OPTION_NAMES = [
  "consumerId",
  "heartbeatMs",
  "lbsIdleMs",
  "lbsRecoveryCount",
  "startupTimeoutMs",
  "bufferSize",
  "retry",
  "keyspaceConfig",
  "sweepIntervalMs",
  "reconcileIntervalMs",
  "maxLbsEntryBytes",
  "lbsBatchSize",
  "lbsBlockMs",
  "maxOwnedStreams",
  "logger",
  "metrics",
  "inspect",
  "stateFeed",
  "env",
] as const satisfies readonly (keyof StreamClientOptions)[];

// An option added to StreamClientOptions but not to OPTION_NAMES would be refused: tsc fails here.
const everyOptionListed: Exclude<keyof StreamClientOptions, (typeof OPTION_NAMES)[number]> extends
  never ? true : never = true;
void everyOptionListed;

const RETRY_NAMES = ["maxRetries", "initialDelayMs", "maxDelayMs"] as const satisfies readonly (
  keyof RetryOptions
)[];

/**
 * Applies defaults and checks every option. The logger and the recorder come
 * back wrapped in the hook guard: nothing they throw reaches the library.
 * @throws {TypeError} when an option is unknown (the closest known one is
 *   named), has the wrong type, or a logger lacks a method.
 * @throws {RangeError} when a number is out of its allowed range.
 */
export function resolveOptions(options: StreamClientOptions = {}): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("options must be an object");
  }
  rejectUnknownOptions("option", options, OPTION_NAMES);
  const heartbeatMs = integer("heartbeatMs", options.heartbeatMs, DEFAULTS.heartbeatMs, 20);
  const lbsIdleMs = integer("lbsIdleMs", options.lbsIdleMs, DEFAULTS.lbsIdleMs, 2 * heartbeatMs);
  const retry = options.retry ?? {};
  objectOption("retry", retry);
  rejectUnknownOptions("retry option", retry, RETRY_NAMES);
  const maxRetries = integer("retry.maxRetries", retry.maxRetries, DEFAULTS.retry.maxRetries, -1);
  const initialDelayMs = integer(
    "retry.initialDelayMs",
    retry.initialDelayMs,
    DEFAULTS.retry.initialDelayMs,
    1,
  );
  const maxDelayMs = integer(
    "retry.maxDelayMs",
    retry.maxDelayMs,
    DEFAULTS.retry.maxDelayMs,
    initialDelayMs,
  );
  const keyspaceConfig = options.keyspaceConfig ?? DEFAULTS.keyspaceConfig;
  if (!KEYSPACE_MODES.includes(keyspaceConfig)) {
    throw new RangeError(
      `keyspaceConfig must be one of ${KEYSPACE_MODES.join(", ")}; got ${String(keyspaceConfig)}`,
    );
  }
  if (options.consumerId !== undefined && typeof options.consumerId !== "string") {
    throw new TypeError(`consumerId must be a string; got ${typeof options.consumerId}`);
  }
  objectOption("env", options.env);
  const logger = options.logger ?? consoleLogger;
  checkLogger("logger", logger);
  const metrics = options.metrics ?? {};
  checkMetrics("metrics", metrics);
  const hooks = guardHooks(logger, metrics);
  return {
    heartbeatMs,
    lbsIdleMs,
    lbsRecoveryCount: integer(
      "lbsRecoveryCount",
      options.lbsRecoveryCount,
      DEFAULTS.lbsRecoveryCount,
      1,
    ),
    startupTimeoutMs: integer(
      "startupTimeoutMs",
      options.startupTimeoutMs,
      DEFAULTS.startupTimeoutMs,
      1,
    ),
    bufferSize: integer("bufferSize", options.bufferSize, DEFAULTS.bufferSize, 1),
    retry: { maxRetries, initialDelayMs, maxDelayMs },
    keyspaceConfig,
    sweepIntervalMs: integer(
      "sweepIntervalMs",
      options.sweepIntervalMs,
      DEFAULTS.sweepIntervalMs,
      10,
    ),
    reconcileIntervalMs: integer(
      "reconcileIntervalMs",
      options.reconcileIntervalMs,
      DEFAULTS.reconcileIntervalMs,
      100,
    ),
    maxLbsEntryBytes: integer(
      "maxLbsEntryBytes",
      options.maxLbsEntryBytes,
      DEFAULTS.maxLbsEntryBytes,
      64,
    ),
    lbsBatchSize: integer("lbsBatchSize", options.lbsBatchSize, DEFAULTS.lbsBatchSize, 1),
    lbsBlockMs: integer("lbsBlockMs", options.lbsBlockMs, DEFAULTS.lbsBlockMs, 1),
    maxOwnedStreams: options.maxOwnedStreams === Infinity
      ? Infinity
      : integer("maxOwnedStreams", options.maxOwnedStreams, DEFAULTS.maxOwnedStreams, 1),
    logger: hooks.logger,
    metrics: hooks.metrics,
    inspect: hooks.inspect(inspectOption(options.inspect)),
    stateFeed: stateFeedOption(options.stateFeed),
  };
}

function inspectOption(inspect: unknown): StreamClientOptions["inspect"] {
  if (inspect === undefined || typeof inspect === "function") return inspect as undefined;
  if (typeof inspect === "object" && inspect !== null) return inspect as Observer<InspectionEvent>;
  throw new TypeError(`inspect must be a function or an observer; got ${String(inspect)}`);
}

function stateFeedOption(feed: unknown): ResolvedOptions["stateFeed"] {
  if (feed === undefined || feed === false) return undefined;
  if (feed === true) return { maxLength: DEFAULTS.stateFeedMaxLength };
  if (typeof feed !== "object" || feed === null) {
    throw new TypeError(`stateFeed must be a boolean or { maxLength }; got ${String(feed)}`);
  }
  const { maxLength } = feed as { maxLength?: unknown };
  return { maxLength: integer("stateFeed.maxLength", maxLength, DEFAULTS.stateFeedMaxLength, 1) };
}

const integer = integerOption;
