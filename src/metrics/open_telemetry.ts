/**
 * An OpenTelemetry adapter for {@link MetricsRecorder}: pass the meter of your
 * MeterProvider and give the result to `createStreamClient` and
 * `createGroupConsumer` as `metrics`.
 *
 * Message-layer instruments follow the messaging semantic conventions
 * (`messaging.client.consumed.messages`, `messaging.process.duration`, with
 * `messaging.system`, `messaging.destination.name`,
 * `messaging.consumer.group.name`); ownership has no convention, so its
 * instruments live under `rsc.ownership.*`. Durations are in seconds, as the
 * conventions ask. Data stream names are not attributes unless asked for:
 * a service with a stream per session would make every series unbounded.
 *
 * `@opentelemetry/api` is an optional peer dependency: this module imports
 * nothing from it (see {@link OtelMeter}); the meter is yours.
 */
import type { MetricsRecorder } from "../observability.ts";

/** Attributes of a measurement (OpenTelemetry's `Attributes`, as this adapter uses them). */
export type OtelAttributes = Record<string, string | number | boolean>;

interface Counter {
  add(value: number, attributes?: OtelAttributes): void;
}

interface Histogram {
  record(value: number, attributes?: OtelAttributes): void;
}

interface InstrumentOptions {
  readonly description?: string;
  readonly unit?: string;
}

/**
 * The part of an OpenTelemetry `Meter` (from `@opentelemetry/api`) this adapter
 * calls. Declared here so that the package's types never need the API installed.
 */
export interface OtelMeter {
  createCounter(name: string, options?: InstrumentOptions): Counter;
  createHistogram(name: string, options?: InstrumentOptions): Histogram;
  createObservableGauge(name: string, options?: InstrumentOptions): {
    addCallback(
      callback: (result: { observe(value: number, attributes?: OtelAttributes): void }) => void,
    ): void;
  };
}

/** Options of {@link openTelemetryMetrics}. */
export interface OpenTelemetryMetricsOptions {
  /** The service (LBS) name, recorded as `messaging.destination.name` on ownership series. */
  readonly service?: string;
  /** `messaging.system`. @default "redis" */
  readonly system?: string;
  /** Add `rsc.data_stream.name` to ownership series (one series per stream). @default false */
  readonly streamNames?: boolean;
}

/** The instruments' names, for dashboards and alerts. */
export const OTEL_METRIC_NAMES = {
  consumed: "messaging.client.consumed.messages",
  processDuration: "messaging.process.duration",
  acked: "rsc.messages.acked",
  retried: "rsc.messages.retried",
  deadLettered: "rsc.messages.dead_lettered",
  reaped: "rsc.messages.reaped",
  acquisitions: "rsc.ownership.acquisitions",
  claims: "rsc.ownership.claims",
  claimDuration: "rsc.ownership.claim.duration",
  takeoverDuration: "rsc.ownership.takeover.duration",
  disowned: "rsc.ownership.disowned",
  heartbeatDuration: "rsc.ownership.heartbeat.duration",
  extensionFailures: "rsc.ownership.lock_extension.failures",
  ownedStreams: "rsc.ownership.owned_streams",
  expiryNotifications: "rsc.ownership.expiry_notifications",
  startupRecovered: "rsc.ownership.startup.recovered",
} as const;

/**
 * Creates a metrics recorder that records into OpenTelemetry instruments.
 * @param meter e.g. `metrics.getMeter("@rsc/redis-stream-client")`.
 * @returns a recorder for the `metrics` option of the client and the message layer.
 */
export function openTelemetryMetrics(
  meter: OtelMeter,
  options: OpenTelemetryMetricsOptions = {},
): MetricsRecorder {
  const system = options.system ?? "redis";
  const base: OtelAttributes = { "messaging.system": system };
  if (options.service !== undefined) base["messaging.destination.name"] = options.service;
  const own = (dataStreamName: string, extra: OtelAttributes = {}): OtelAttributes =>
    options.streamNames
      ? { ...base, "rsc.data_stream.name": dataStreamName, ...extra }
      : { ...base, ...extra };
  const message = (stream: string, group: string, extra: OtelAttributes = {}): OtelAttributes => ({
    "messaging.system": system,
    "messaging.destination.name": stream,
    "messaging.consumer.group.name": group,
    ...extra,
  });
  const counter = (name: string, description: string, unit: string): Counter =>
    meter.createCounter(name, { description, unit });
  const seconds = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { description, unit: "s" });

  const N = OTEL_METRIC_NAMES;
  const consumed = counter(N.consumed, "Messages delivered to a handler", "{message}");
  const processDuration = seconds(N.processDuration, "Duration of a handler's attempt");
  const acked = counter(N.acked, "Messages processed and acknowledged", "{message}");
  const retried = counter(N.retried, "Failed attempts scheduled for a retry", "{message}");
  const deadLettered = counter(N.deadLettered, "Messages moved to dead letters", "{message}");
  const reaped = counter(N.reaped, "Idle entries taken over from other consumers", "{message}");
  const acquisitions = counter(N.acquisitions, "Streams this client came to own", "{stream}");
  const claims = counter(N.claims, "Claims of expired streams, won or lost", "{claim}");
  const claimDuration = seconds(N.claimDuration, "Duration of a claim's lock acquisition");
  const takeoverDuration = seconds(
    N.takeoverDuration,
    "From being told a stream was orphaned to owning it",
  );
  const disowned = counter(N.disowned, "Streams lost while owned", "{stream}");
  const heartbeatDuration = seconds(N.heartbeatDuration, "Duration of one heartbeat");
  const extensionFailures = counter(
    N.extensionFailures,
    "Lock extensions that did not confirm the lock",
    "{lock}",
  );
  const expiryNotifications = counter(
    N.expiryNotifications,
    "Expired-lock notifications heard",
    "{notification}",
  );
  const startupRecovered = counter(
    N.startupRecovered,
    "Pending LBS entries recovered at start-up",
    "{entry}",
  );
  let owned = 0;
  meter.createObservableGauge(N.ownedStreams, {
    description: "Streams this client owns",
    unit: "{stream}",
  }).addCallback((result) => result.observe(owned, base));

  return {
    recordStartupRecovery(success, unackedCount) {
      if (success) startupRecovered.add(unackedCount, base);
    },
    recordClaimAttempt(dataStreamName, success, durationMs) {
      const attributes = own(dataStreamName, { "rsc.claim.outcome": success ? "won" : "lost" });
      claims.add(1, attributes);
      claimDuration.record(durationMs / 1000, attributes);
    },
    recordLockExtensionAttempt(dataStreamName, success) {
      if (!success) extensionFailures.add(1, own(dataStreamName));
    },
    recordKspNotification(dataStreamName) {
      expiryNotifications.add(1, own(dataStreamName, { "rsc.notification.outcome": "queued" }));
    },
    recordKspNotificationDropped() {
      expiryNotifications.add(1, { ...base, "rsc.notification.outcome": "coalesced" });
    },
    recordStreamAcquired(dataStreamName, origin) {
      acquisitions.add(1, own(dataStreamName, { "rsc.acquisition.origin": origin }));
    },
    recordTakeover(dataStreamName, delayMs) {
      takeoverDuration.record(delayMs / 1000, own(dataStreamName));
    },
    recordStreamDisowned(dataStreamName, reason) {
      disowned.add(1, own(dataStreamName, { "rsc.disowned.reason": reason }));
    },
    recordHeartbeat(durationMs, _locks, answered) {
      heartbeatDuration.record(durationMs / 1000, { ...base, "rsc.heartbeat.answered": answered });
    },
    recordOwnedStreams(count) {
      owned = count;
    },
    recordMessageConsumed(stream, group) {
      consumed.add(1, message(stream, group, { "messaging.operation.name": "process" }));
    },
    recordMessageProcessed(stream, group, durationMs, outcome) {
      const attributes = message(stream, group, { "messaging.operation.name": "process" });
      if (outcome !== "acked") attributes["error.type"] = "handler_failed";
      processDuration.record(durationMs / 1000, attributes);
      if (outcome === "acked") acked.add(1, message(stream, group));
      if (outcome === "retried") retried.add(1, message(stream, group));
    },
    recordMessageDeadLettered(stream, group, reason) {
      deadLettered.add(1, message(stream, group, { "rsc.dead_letter.reason": reason }));
    },
    recordMessagesReaped(stream, group, count) {
      if (count > 0) reaped.add(count, message(stream, group));
    },
  };
}
