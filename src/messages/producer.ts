/** Publishing envelopes, with retention by MAXLEN ~ or MINID ~. */
import { type AnyRedisClient, asRedisClient } from "../redis/client.ts";
import { encodeEnvelope, type MessageInput } from "./envelope.ts";
import { RedisCommandError } from "../errors.ts";
import { integerOption, objectOption, rejectUnknownOptions } from "../option_checks.ts";

interface XAddTrim {
  strategy: "MAXLEN" | "MINID";
  strategyModifier: "=" | "~";
  threshold: number;
}

/** Keep about `maxLen` entries, or only entries newer than `minId`. */
export type Retention =
  | { readonly maxLen: number; readonly approximate?: boolean }
  | { readonly minId: string; readonly approximate?: boolean };

export interface PublishOptions {
  readonly retention?: Retention;
}

/** XADD's TRIM option for a retention (approximate unless told otherwise). */
export function trimOption(retention: Retention | undefined): XAddTrim | undefined {
  if (!retention) return undefined;
  objectOption("retention", retention);
  rejectUnknownOptions("retention option", retention, ["maxLen", "minId", "approximate"]);
  const strategyModifier = retention.approximate === false ? "=" as const : "~" as const;
  if ("maxLen" in retention) {
    integerOption("retention.maxLen", retention.maxLen, 0, 0);
    return { strategy: "MAXLEN" as const, strategyModifier, threshold: retention.maxLen };
  }
  if (typeof retention.minId !== "string" || retention.minId === "") {
    throw new TypeError("retention.minId must be a stream id");
  }
  // node-redis types the threshold as a number, but sends it as given: MINID needs an id.
  return { strategy: "MINID", strategyModifier, threshold: retention.minId as unknown as number };
}

function publishOptions(options: PublishOptions): PublishOptions {
  objectOption("options", options);
  rejectUnknownOptions("publish option", options, ["retention"]);
  return options;
}

/**
 * Appends one message to `stream`.
 * @returns the entry id.
 */
export async function publish(
  redis: AnyRedisClient,
  stream: string,
  message: MessageInput,
  options: PublishOptions = {},
): Promise<string> {
  const trim = trimOption(publishOptions(options).retention);
  return await asRedisClient(redis).xAdd(
    stream,
    "*",
    encodeEnvelope(message),
    trim ? { TRIM: trim } : undefined,
  ).catch((error) => {
    throw new RedisCommandError(`publishing to "${stream}"`, { cause: error });
  });
}

/**
 * Appends many messages in one round trip (a pipeline, not a transaction).
 * @returns the entry ids, in order.
 */
export async function publishBatch(
  redis: AnyRedisClient,
  stream: string,
  messages: readonly MessageInput[],
  options: PublishOptions = {},
): Promise<string[]> {
  const trim = trimOption(publishOptions(options).retention);
  const fields = messages.map((m) => encodeEnvelope(m)); // validate all before sending any
  const pipeline = asRedisClient(redis).multi();
  for (const entry of fields) pipeline.xAdd(stream, "*", entry, trim ? { TRIM: trim } : undefined);
  const replies = await pipeline.execAsPipeline().catch((error) => {
    throw new RedisCommandError(`publishing ${messages.length} messages to "${stream}"`, {
      cause: error,
    });
  });
  return replies.map((reply) => String(reply));
}
