/** A Lua script run by SHA with a fallback to EVAL when the server lacks it (NOSCRIPT). */
import type { RedisClient } from "./client.ts";
import { inChunks } from "./in_chunks.ts";

export class LuaScript {
  readonly source: string;
  #sha: Promise<string> | undefined;

  constructor(source: string) {
    this.source = source;
  }

  /** Runs the script; keys and args are passed as strings. */
  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]) {
    const options = { keys: [...keys], arguments: args.map(String) };
    const sha = await (this.#sha ??= sha1Hex(this.source));
    try {
      return await redis.evalSha(sha, options);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
      return await redis.eval(this.source, options);
    }
  }
}

/**
 * Runs a script that answers one value per key over many keys, `chunkSize`
 * keys a call, in one pipeline (see inChunks). Returns the answers in key order.
 */
export function runPerKey(
  script: LuaScript,
  redis: RedisClient,
  keys: readonly string[],
  args: readonly (string | number)[],
  chunkSize: number,
): Promise<number[]> {
  return inChunks(keys, chunkSize, (chunk) => script.run(redis, chunk, args) as Promise<number[]>);
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
