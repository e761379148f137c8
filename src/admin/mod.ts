/** Admin reads of a service: owners, consumer index, LBS pending entries and dead letters. */
export { consumerIndex, type IndexedConsumer } from "./consumer_index.ts";
export { type LbsDeadLetter, lbsDeadLetters } from "./lbs_dead_letters.ts";
export { lbsPending, type LbsPendingEntry } from "./lbs_pending.ts";
export { type OwnershipState, type StreamOwner, streamOwners } from "./stream_owners.ts";
