/**
 * A deadline for a Redis call. node-redis queues commands while it reconnects
 * and its command timeout does not cover that queue, so without this a call
 * made during an outage could wait forever and stall a heartbeat or a reader.
 */
import { DeadlineExceededError } from "../errors.ts";

export async function withDeadline<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(what, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
    promise.catch(() => {}); // a late rejection of the abandoned call is not an error of ours
  }
}
