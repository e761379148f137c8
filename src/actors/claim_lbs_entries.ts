/** Moves LBS entries to this consumer's pending list with XCLAIM, many ids per command. */
import { inChunks } from "../redis/in_chunks.ts";
import type { ClientRuntime } from "../runtime.ts";

export interface ClaimedLbsEntry {
  readonly id: string;
  readonly message: Record<string, string>;
}

/** Ids per XCLAIM: bounds one command's size. */
const CLAIM_CHUNK = 1000;

/**
 * Claims the entries (whoever holds them, however briefly idle: the caller
 * holds their streams' locks). @returns each id's entry, or undefined when it
 * is no longer in the LBS (finished meanwhile).
 */
export async function claimLbsEntries(
  runtime: ClientRuntime,
  consumer: string,
  ids: readonly string[],
): Promise<Array<ClaimedLbsEntry | undefined>> {
  const { redis, lbsStream, lbsGroup } = runtime;
  // XCLAIM answers the entries it found, in no promised relation to the ids: match them by id.
  const entries = await inChunks(
    ids,
    CLAIM_CHUNK,
    (chunk) =>
      redis.xClaim(lbsStream, lbsGroup, consumer, 0, chunk) as Promise<
        Array<ClaimedLbsEntry | null>
      >,
  );
  const byId = new Map<string, ClaimedLbsEntry>();
  for (const entry of entries) if (entry) byId.set(entry.id, entry);
  return ids.map((id) => byId.get(id));
}
