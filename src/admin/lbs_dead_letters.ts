/** The dead-lettered LBS entries of a service (`<service>-input-dead`), with their reasons. */
import { libraryCall } from "../errors.ts";
import { lbsDeadLetterKey } from "../keys.ts";
import { type AnyRedisClient, asRedisClient } from "../redis/client.ts";

/** An LBS entry that could not be assigned. */
export interface LbsDeadLetter {
  /** Its id in the dead-letter stream. */
  readonly id: string;
  /** Its id in the LBS. */
  readonly originalId: string;
  /** `not-json`, `missing-field`, `missing-stream-name`, `invalid-info`, `oversized`, … */
  readonly reason: string;
  readonly detail: string;
  /** The consumer that dead-lettered it. */
  readonly consumer: string;
  /** ISO 8601. */
  readonly failedAt: string;
  /** The entry's fields as they were. */
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * The oldest `count` dead-lettered LBS entries of a service (XRANGE).
 *
 * @example
 * ```ts
 * for (const d of await lbsDeadLetters(redis, "orders")) console.log(d.originalId, d.reason);
 * ```
 * @param options.count at most this many (@default 100)
 */
export function lbsDeadLetters(
  redis: AnyRedisClient,
  service: string,
  { count = 100 }: { count?: number } = {},
): Promise<LbsDeadLetter[]> {
  return libraryCall(`reading the LBS dead letters of service "${service}"`, async () => {
    const entries = await asRedisClient(redis).xRange(lbsDeadLetterKey(service), "-", "+", {
      COUNT: count,
    });
    return (entries ?? []).filter((e) => e !== null).map(({ id, message: f }) => ({
      id,
      originalId: f.original_id ?? "",
      reason: f.reason ?? "",
      detail: f.detail ?? "",
      consumer: f.consumer ?? "",
      failedAt: f.failed_at ?? "",
      fields: parseFields(f.fields),
    }));
  });
}

function parseFields(raw: string | undefined): Record<string, string> {
  try {
    const parsed = JSON.parse(raw ?? "{}");
    return typeof parsed === "object" && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
