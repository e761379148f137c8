/** Picks the consumer id the way the Go library does, with a generated fallback. */
import type { Logger } from "./observability.ts";

/** Prefix the Go library puts before POD_NAME / POD_IP. */
export const CONSUMER_PREFIX = "redis-consumer-";

/** consumerId option, else POD_NAME, else POD_IP (both prefixed), else a logged random id. */
export function resolveConsumerId(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): string {
  if (explicit !== undefined) {
    if (typeof explicit !== "string" || explicit.trim() === "") {
      throw new TypeError("consumerId must be a non-empty string");
    }
    return explicit;
  }
  if (env.POD_NAME) return CONSUMER_PREFIX + env.POD_NAME;
  if (env.POD_IP) return CONSUMER_PREFIX + env.POD_IP;
  const generated = CONSUMER_PREFIX + crypto.randomUUID();
  logger.info("no consumerId, POD_NAME or POD_IP: generated a consumer id", {
    consumerId: generated,
  });
  return generated;
}

/** The process environment on Node, Bun and Deno (empty when Deno denies env access). */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env: { toObject(): Record<string, string> } };
  };
  try {
    if (g.Deno) return g.Deno.env.toObject();
    return g.process?.env ?? {};
  } catch {
    return {};
  }
}
