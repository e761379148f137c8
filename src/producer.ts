/** The producer side: hand a data stream to the service's consumers. */
import { encodeLbsEntry, type LbsAssignment } from "./lbs_entry.ts";
import { lbsGroupName, lbsStreamKey } from "./keys.ts";
import { createLbsGroup } from "./lbs_group.ts";
import { type AnyRedisClient, asRedisClient, type RedisClient } from "./redis/client.ts";

/**
 * The services whose LBS group each client has made sure of, so only a
 * client's first addStream() per service costs the extra XGROUP CREATE.
 */
const groupsEnsured = new WeakMap<RedisClient, Map<string, Promise<unknown>>>();

/**
 * Appends an assignment to the service's LBS, so one consumer gets it. The
 * LBS group is created first when it does not exist yet (at `0`), so an entry
 * added before any consumer ever ran is delivered to the first one.
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
  const client = asRedisClient(redis);
  await ensureLbsGroup(client, service);
  return await client.xAdd(lbsStreamKey(service), "*", fields);
}

function ensureLbsGroup(redis: RedisClient, service: string): Promise<unknown> {
  let services = groupsEnsured.get(redis);
  if (!services) groupsEnsured.set(redis, services = new Map());
  let ensured = services.get(service);
  if (!ensured) {
    ensured = createLbsGroup(redis, lbsStreamKey(service), lbsGroupName(service));
    services.set(service, ensured);
    ensured.catch(() => services.delete(service)); // a failure is retried by the next call
  }
  return ensured;
}
