/** The producer side: hand a data stream to the service's consumers. */
import { encodeLbsEntry, type LbsAssignment } from "./lbs_entry.ts";
import { lbsStreamKey } from "./keys.ts";
import { type AnyRedisClient, asRedisClient } from "./redis/client.ts";

/**
 * Appends an assignment to the service's LBS, so one consumer gets it.
 *
 * @example Hand a stream to the consumers of "orders"
 * ```ts
 * await addStream(redis, "orders", { dataStreamName: "orders:eu", info: { region: "eu" } });
 * ```
 * @returns the LBS entry id (the `idInLbs` consumers will see).
 * @throws {TypeError} when the service name or the assignment is invalid.
 */
export async function addStream(
  redis: AnyRedisClient,
  service: string,
  assignment: { dataStreamName: string; info?: Record<string, unknown> },
): Promise<string> {
  if (typeof service !== "string" || service === "") {
    throw new TypeError("service must be a non-empty string");
  }
  const fields = encodeLbsEntry({ ...assignment, info: assignment?.info ?? {} } as LbsAssignment);
  return await asRedisClient(redis).xAdd(lbsStreamKey(service), "*", fields);
}
