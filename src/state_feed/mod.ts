/** The opt-in state feed: stream actors' transitions in a capped Redis stream per service. */
export { type StateFeedEntry } from "./entry.ts";
export { readStateFeed, type ReadStateFeedOptions } from "./reader.ts";
export { watchStateFeed, type WatchStateFeedOptions } from "./reader.ts";
