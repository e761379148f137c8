/** Reads LBS entries by id and decodes them. */
import { MalformedLbsEntryError } from "../errors.ts";
import { decodeLbsEntry, type LbsAssignment } from "../lbs_entry.ts";
import { inChunks } from "../redis/in_chunks.ts";
import type { ClientRuntime } from "../runtime.ts";
import { readLbsEntries as readLbsEntriesScript } from "../scripts/read_lbs_entries.ts";

/** What reading an entry gives: its assignment, or why there is none. */
export type LbsEntryRead = LbsAssignment | "missing" | "malformed";

/** Entries per script call: bounds how long one call keeps Redis busy. */
const READ_CHUNK = 1000;

/**
 * Reads entries by id, a script call per thousand ids, all in one pipeline.
 * One result per id, in order: the assignment, "missing" when the entry is
 * gone, "malformed" when it cannot be decoded.
 */
export async function readLbsEntries(
  runtime: ClientRuntime,
  ids: readonly string[],
): Promise<LbsEntryRead[]> {
  const replies = await inChunks(
    ids,
    READ_CHUNK,
    (chunk) =>
      readLbsEntriesScript.run(runtime.redis, [runtime.lbsStream], chunk) as Promise<string[][]>,
  );
  return replies.map((flat) => {
    if (!Array.isArray(flat) || flat.length === 0) return "missing";
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    return decode(runtime, fields);
  });
}

function decode(runtime: ClientRuntime, fields: Record<string, string>): LbsEntryRead {
  try {
    return decodeLbsEntry(fields, runtime.options.maxLbsEntryBytes);
  } catch (error) {
    if (error instanceof MalformedLbsEntryError) return "malformed";
    throw error;
  }
}
