/**
 * Redis Streams consumers that recover on their own when a peer dies or stalls.
 *
 * A load-balancer stream (LBS) hands data streams out round robin; each owner
 * holds a heartbeated lock per stream; when a lock expires the other consumers
 * hear of it at once (keyspace events, and a sweeper that does not depend on
 * them) and one claims the stream. Each owned stream is an XState actor.
 *
 * @example Consume a service's streams and take over expired ones
 * ```ts
 * import { createClient } from "redis";
 * import { createStreamClient, NotificationType } from "@rsc/redis-stream-client";
 *
 * const redis = createClient({ url: "redis://127.0.0.1:6379" });
 * redis.on("error", (error) => console.error("redis:", error.message)); // else a blip crashes
 * await redis.connect();
 * const client = createStreamClient(redis, "orders");
 * process.once("SIGTERM", () => void client.done()); // releases the locks, ends the loop
 * for await (const n of await client.init()) {
 *   if (n.type === NotificationType.StreamAdded) console.log("own", n.payload.dataStreamName);
 *   if (n.type === NotificationType.StreamExpired) await client.claim(n.payload).catch(() => {});
 * }
 * await redis.close();
 * ```
 * @module
 */
export { type ClaimResult, createStreamClient, fencedWrite, StreamClient } from "./src/client.ts";
export { addStream } from "./src/producer.ts";
export { type LbsInfo, type Notification, NotificationType } from "./src/notifications.ts";
export {
  DEFAULTS,
  type KeyspaceConfigMode,
  type RetryOptions,
  type StreamClientOptions,
} from "./src/options.ts";
export {
  consoleLogger,
  type Logger,
  type MessageOutcome,
  type MetricsRecorder,
  silentLogger,
} from "./src/observability.ts";
export {
  openTelemetryMetrics,
  type OpenTelemetryMetricsOptions,
  OTEL_METRIC_NAMES,
  type OtelAttributes,
  type OtelMeter,
} from "./src/metrics/open_telemetry.ts";
export {
  type AclOptions,
  consumerAclRules,
  operatorAclRules,
  producerAclRules,
} from "./src/acl.ts";
export type { StreamOwnership } from "./src/ownership.ts";
export {
  AlreadyClaimedError,
  ClientClosedError,
  DeadlineExceededError,
  type LbsEntryProblem,
  MalformedLbsEntryError,
  OwnershipLimitError,
  OwnershipLostError,
  RedisCommandError,
  StreamNotOwnedError,
  StreamNotPendingError,
} from "./src/errors.ts";
export { decodeLbsEntry, encodeLbsEntry, type LbsAssignment } from "./src/lbs_entry.ts";
export {
  acquiredStreamSnapshot,
  type ReleaseStreamLogic,
  type StreamMachine,
  streamMachine,
  type StreamStateValue,
  type SupervisorMachine,
  supervisorMachine,
  type SupervisorStateValue,
} from "./src/machines/public.ts";
export type { SupervisorContext, SupervisorEvent } from "./src/machines/supervisor_machine.ts";
export type { Acquisition, AcquisitionOrigin } from "./src/acquisition.ts";
export type { ReleaseInput } from "./src/actors/release_stream.ts";
export { toDot, toMermaid } from "./src/diagrams/mod.ts";
export {
  readStateFeed,
  type ReadStateFeedOptions,
  type StateFeedEntry,
  watchStateFeed,
  type WatchStateFeedOptions,
} from "./src/state_feed/mod.ts";
export type {
  LossReason,
  StreamContext,
  StreamEvent,
  StreamInput,
  StreamReport,
} from "./src/machines/stream_types.ts";
export {
  expiredEventChannel,
  lbsDeadLetterKey,
  lbsGroupName,
  lbsStreamKey,
  lockKey,
  orphanChannel,
  stateFeedKey,
} from "./src/keys.ts";
export * from "./src/messages/mod.ts";
export * from "./src/admin/mod.ts";
