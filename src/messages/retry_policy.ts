/** Retry options for failed handlers, and the backoff they imply. */
import { integerOption, objectOption, rejectUnknownOptions } from "../option_checks.ts";

export interface RetryPolicy {
  /** Attempts before the message is dead-lettered (the first delivery counts). @default 3 */
  readonly maxAttempts: number;
  /** Delay before the second attempt. @default 1000 */
  readonly baseDelayMs: number;
  /** Upper bound of any delay. @default 60000 */
  readonly maxDelayMs: number;
  /** Randomise each delay (full jitter above half the exponential value). @default true */
  readonly jitter: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  jitter: true,
};

/** Checks and completes a partial policy. @throws {RangeError} naming the bad field. */
export function resolveRetryPolicy(partial: Partial<RetryPolicy> = {}): RetryPolicy {
  objectOption("retry", partial);
  rejectUnknownOptions("retry option", partial, Object.keys(DEFAULT_RETRY));
  const policy = { ...DEFAULT_RETRY, ...partial };
  if (typeof policy.jitter !== "boolean") {
    throw new TypeError(`retry.jitter must be a boolean; got ${typeof policy.jitter}`);
  }
  for (const [name, min] of [["maxAttempts", 1], ["baseDelayMs", 0], ["maxDelayMs", 0]] as const) {
    integerOption(`retry.${name}`, policy[name], 0, min);
  }
  if (policy.maxDelayMs < policy.baseDelayMs) {
    throw new RangeError("retry.maxDelayMs must be at least retry.baseDelayMs");
  }
  return policy;
}

/** Delay before attempt `attempt + 1`, after `attempt` failures (attempt ≥ 1). */
export function retryDelay(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  if (!policy.jitter) return exponential;
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
