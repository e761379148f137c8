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

/**
 * Runs one unit of work under a deadline that cancels it rather than only
 * stop waiting for it: `work` gets a signal that aborts when the deadline
 * passes or `signal` aborts (the invoking actor was stopped), and passes it
 * down to its commands and checks it between its steps, so an abandoned unit
 * sends nothing more beside the next one.
 * @throws {DeadlineExceededError} when the deadline passes first.
 */
export async function cancellable<T>(
  work: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DeadlineExceededError(what, timeoutMs)),
    timeoutMs,
  );
  const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(combined.reason);
    if (combined.aborted) onAbort();
    else combined.addEventListener("abort", onAbort, { once: true });
  });
  const running = Promise.resolve().then(() => work(combined));
  try {
    return await Promise.race([running, aborted]);
  } finally {
    clearTimeout(timer);
    combined.removeEventListener("abort", onAbort!);
    aborted.catch(() => {});
    running.catch(() => {}); // its late failure (aborted commands) is not an error of ours
  }
}
