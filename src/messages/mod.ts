/** The message layer: read and process the data in owned streams and shared groups. */
export {
  decodeEnvelope,
  encodeEnvelope,
  ENVELOPE_VERSION,
  MalformedEnvelopeError,
  type Message,
  type MessageInput,
} from "./envelope.ts";
export { publish, publishBatch, type PublishOptions, type Retention } from "./producer.ts";
export {
  createGroupConsumer,
  GroupConsumer,
  type GroupConsumerOptions,
  type HandlerContext,
  type MessageHandler,
} from "./group_consumer.ts";
export { type ReapOptions, type ReapReport } from "./reaper.ts";
export { DEFAULT_RETRY, retryDelay, type RetryPolicy } from "./retry_policy.ts";
export {
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterOptions,
  type DeadLetterReason,
  DeadLetters,
  deadLetterStreamOf,
  type FailureMetadata,
  ReplayRefusedError,
} from "./dead_letters.ts";
export { replayRange, type ReplayRangeOptions, type StreamEntry, trimStream } from "./history.ts";
export {
  type ConsumerInfo,
  consumersInfo,
  type GroupInfo,
  groupsInfo,
  pendingEntries,
  type PendingEntry,
  type StreamInfo,
  streamInfo,
} from "./admin.ts";
export {
  checkpointKeyOf,
  OwnedStreamReader,
  type OwnedStreamReaderOptions,
  readOwnedStream,
} from "./owned_stream_reader.ts";
