/** Makes sure Redis publishes expired-key events (flags E and x), as configured. */
import type { KeyspaceConfigMode } from "../options.ts";
import type { ClientRuntime } from "../runtime.ts";
import { describeError } from "../errors.ts";

/** The notify-keyspace-events flags the client needs: keyevent channel, expired events. */
export const REQUIRED_FLAGS = "Ex";

/**
 * Adds the flags the client needs to what is configured, never dropping a
 * user's flags ("merge"); sets exactly them ("force"); or leaves CONFIG alone
 * ("skip"). A server that refuses CONFIG (managed Redis) is logged, not fatal:
 * the sweeper still finds expired locks.
 * @returns whether expired events are on, when that could be learned.
 */
export async function ensureKeyspaceEvents(
  runtime: ClientRuntime,
  mode: KeyspaceConfigMode,
): Promise<boolean | undefined> {
  if (mode === "skip") return undefined;
  const { redis, options } = runtime;
  try {
    if (mode === "force") {
      await redis.configSet("notify-keyspace-events", REQUIRED_FLAGS);
      return true;
    }
    const reply = await redis.configGet("notify-keyspace-events") as Record<string, string>;
    const current = reply["notify-keyspace-events"] ?? "";
    const merged = mergeFlags(String(current), REQUIRED_FLAGS);
    if (merged !== current) await redis.configSet("notify-keyspace-events", merged);
    return true;
  } catch (error) {
    options.logger.warn(
      "could not configure notify-keyspace-events; takeover relies on the sweeper",
      { error: describeError(error) },
    );
    return undefined;
  }
}

/** Adds each required flag that `current` lacks ("A" already implies "x"). */
export function mergeFlags(current: string, required: string): string {
  let merged = current;
  for (const flag of required) {
    const implied = flag === "x" && merged.includes("A");
    if (!merged.includes(flag) && !implied) merged += flag;
  }
  return merged;
}
