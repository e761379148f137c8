/** Reads one LBS entry by id and decodes it. */
import { MalformedLbsEntryError } from "../errors.ts";
import { decodeLbsEntry, type LbsAssignment } from "../lbs_entry.ts";
import { streamMessages } from "../redis/stream_reply.ts";
import type { ClientRuntime } from "../runtime.ts";

/** The entry's assignment; "missing" when it is gone, "malformed" when it cannot be decoded. */
export async function readLbsEntry(
  runtime: ClientRuntime,
  id: string,
): Promise<LbsAssignment | "missing" | "malformed"> {
  const reply = await runtime.redis.xRange(runtime.lbsStream, id, id);
  const [entry] = streamMessages([{ messages: reply }]);
  if (!entry) return "missing";
  try {
    return decodeLbsEntry(entry.message, runtime.options.maxLbsEntryBytes);
  } catch (error) {
    if (error instanceof MalformedLbsEntryError) return "malformed";
    throw error;
  }
}
