/** Retry options for failed handlers, and the backoff they imply. */

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
  const policy = { ...DEFAULT_RETRY, ...partial };
  for (const [name, min] of [["maxAttempts", 1], ["baseDelayMs", 0], ["maxDelayMs", 0]] as const) {
    const value = policy[name];
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`retry.${name} must be a whole number ≥ ${min}; got ${value}`);
    }
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
