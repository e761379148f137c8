/** Turns one LBS entry into an owned stream: decode, lock, fence. */
import type { Acquisition, AcquisitionOrigin } from "../acquisition.ts";
import { MalformedLbsEntryError } from "../errors.ts";
import { decodeLbsEntry } from "../lbs_entry.ts";
import { holderOf } from "../lock/stream_locks.ts";
import type { ClientRuntime } from "../runtime.ts";
import { deadLetterLbsEntry } from "./lbs_dead_letters.ts";

/**
 * Returns the acquisition, or undefined when the entry was dead-lettered or
 * its stream is already locked by someone else (then the entry is handed back
 * to the holder's PEL, so XPENDING keeps telling who owns what).
 */
export async function assignEntry(
  runtime: ClientRuntime,
  id: string,
  fields: Readonly<Record<string, string>>,
  origin: AcquisitionOrigin,
): Promise<Acquisition | undefined> {
  let assignment;
  try {
    assignment = decodeLbsEntry(fields, runtime.options.maxLbsEntryBytes);
  } catch (error) {
    if (!(error instanceof MalformedLbsEntryError)) throw error;
    await deadLetterLbsEntry(runtime, id, fields, error);
    return undefined;
  }
  const { dataStreamName, info } = assignment;
  const started = Date.now();
  const result = await runtime.locks.acquire(dataStreamName, id, runtime.options.heartbeatMs);
  runtime.options.metrics.recordLockAcquisitionAttempt?.(
    dataStreamName,
    "held" in result,
    Date.now() - started,
  );
  if ("held" in result) return { ...result.held, dataStreamName, idInLbs: id, info, origin };

  const holder = holderOf(result.heldBy);
  if (holder && holder !== runtime.consumerId) {
    await runtime.redis.xClaimJustId(runtime.lbsStream, runtime.lbsGroup, holder, 0, id);
  }
  runtime.options.logger.debug("stream already locked; left to its holder", {
    dataStreamName,
    idInLbs: id,
    holder: holder ?? result.heldBy,
  });
  return undefined;
}
