/** One entry of a service's state feed, and its fields as Redis stores them. */

/**
 * A stream actor's transition, or a consumer starting or stopping (then
 * `stream` is "" and `event` is `consumer.started` / `consumer.stopped`).
 */
export type StateFeedEntry = {
  /** The entry's id in the feed stream. */
  id: string;
  /** The id of the client that wrote it. */
  consumer: string;
  /** The data stream whose actor moved; "" for a consumer entry. */
  stream: string;
  idInLbs: string;
  /** The state before; "" for an actor's first state. */
  from: string;
  to: string;
  /** The event that caused the transition (`xstate.init` for an actor's start). */
  event: string;
  fence: number;
  /** When, in ms since the epoch, by the writing client's clock. */
  at: number;
  /** "node" | "deno" | "bun", on consumer entries. */
  runtime?: string;
  pid?: number;
};

/** Consumer-level events, beside the stream actors' transitions. */
export const CONSUMER_STARTED = "consumer.started";
export const CONSUMER_STOPPED = "consumer.stopped";

/** The fields of an entry, as XADD writes them (every value a string). */
export function encodeFeedEntry(entry: Omit<StateFeedEntry, "id">): Record<string, string> {
  const fields: Record<string, string> = {
    consumer: entry.consumer,
    stream: entry.stream,
    idInLbs: entry.idInLbs,
    from: entry.from,
    to: entry.to,
    event: entry.event,
    fence: String(entry.fence),
    at: String(entry.at),
  };
  if (entry.runtime !== undefined) fields.runtime = entry.runtime;
  if (entry.pid !== undefined) fields.pid = String(entry.pid);
  return fields;
}

/** An entry read back; missing fields read as "" or 0, so a foreign writer cannot break a reader. */
export function decodeFeedEntry(id: string, fields: Record<string, string>): StateFeedEntry {
  const entry: StateFeedEntry = {
    id,
    consumer: fields.consumer ?? "",
    stream: fields.stream ?? "",
    idInLbs: fields.idInLbs ?? "",
    from: fields.from ?? "",
    to: fields.to ?? "",
    event: fields.event ?? "",
    fence: numberOr0(fields.fence),
    at: numberOr0(fields.at),
  };
  if (fields.runtime !== undefined) entry.runtime = fields.runtime;
  if (fields.pid !== undefined) entry.pid = numberOr0(fields.pid);
  return entry;
}

function numberOr0(text: string | undefined): number {
  const value = Number(text);
  return Number.isFinite(value) ? value : 0;
}
