/** LBS entries that cannot be assigned go to `<service>-input-dead` with the reason, then are acked. */
import type { MalformedLbsEntryError } from "../errors.ts";
import type { ClientRuntime } from "../runtime.ts";
import { ackAndDelete } from "./release_stream.ts";

/** Keeps the bad entry's fields (as JSON) beside the reason, and acks it so the reader moves on. */
export async function deadLetterLbsEntry(
  runtime: ClientRuntime,
  id: string,
  fields: Readonly<Record<string, string>>,
  error: MalformedLbsEntryError,
): Promise<void> {
  const { redis } = runtime;
  await redis.xAdd(runtime.lbsDeadLetters, "*", {
    original_id: id,
    original_stream: runtime.lbsStream,
    reason: error.problem,
    detail: error.message.slice(0, 1000),
    fields: JSON.stringify(fields),
    consumer: runtime.consumerId,
    failed_at: new Date().toISOString(),
  });
  await ackAndDelete(runtime, id);
  runtime.options.logger.warn("dead-lettered a malformed LBS entry", {
    id,
    problem: error.problem,
  });
}
