/**
 * Which Redis the CLI talks to (`--url`, else `REDIS_URL`, else the local
 * default) and a connection that fails fast, named without its password.
 */
import type { RedisClient } from "../redis/client.ts";

/** Where the CLI connects when neither `--url` nor `REDIS_URL` says. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** The URL to use: the option, else the environment, else the default. */
export function resolveRedisUrl(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return option || env.REDIS_URL || DEFAULT_REDIS_URL;
}

/** The URL with its password replaced by `***` (what the CLI prints). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  }
}

/** Redis could not be reached (or did not answer) in time. */
export class RedisUnreachableError extends Error {
  override readonly name = "RedisUnreachableError";
  /** The URL without its password. */
  readonly url: string;

  constructor(url: string, why: string, options?: ErrorOptions) {
    super(`Cannot connect to Redis at ${redactUrl(url)}: ${why}`, options);
    this.url = redactUrl(url);
  }
}

/**
 * Connects and checks with a PING, all within `timeoutMs` (over TLS for
 * `rediss://`, trusting `ca` when given besides the system's CAs); once connected,
 * node-redis reconnects after a blip as usual (long commands like `watch`).
 * @throws {RedisUnreachableError} naming the URL without its password.
 */
export async function connectRedis(
  url: string,
  timeoutMs: number,
  { ca }: { ca?: string } = {},
): Promise<RedisClient> {
  const { createClient } = await import("redis"); // loaded when a command connects
  let connected = false;
  const client = createClient({
    url,
    socket: {
      ...(ca === undefined ? {} : { ca }),
      connectTimeout: timeoutMs,
      reconnectStrategy: (
        retries: number,
      ) => (connected ? Math.min(100 * 2 ** retries, 2000) : false),
    },
  }) as unknown as RedisClient;
  let lastError: unknown;
  client.on("error", (error: unknown) => (lastError = error));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), deadline]);
    connected = true;
    return client;
  } catch (error) {
    if (client.isOpen) client.destroy();
    const cause = lastError ?? error;
    throw new RedisUnreachableError(url, describe(cause), { cause });
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // node-redis errors can quote the URL it was given: never show its password.
  return message.replaceAll(/\/\/([^:@/\s]*):[^@/\s]*@/g, "//$1:***@");
}
