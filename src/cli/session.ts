/**
 * One run of the CLI: its terminal, the global options, the Redis connection
 * it opens on first use (and closes at the end), and the signal that SIGINT
 * aborts for long-running commands.
 */
import { readFile } from "node:fs/promises";
import type { RedisClient } from "../redis/client.ts";
import type { CliIo } from "./io.ts";
import { connectRedis, resolveRedisUrl } from "./redis_url.ts";

/**
 * The dashboard's entry point (`dashboard/mod.ts` in the repository;
 * not in the published package, so a checkout's bin/rsc.mjs hands it over).
 */
export type RunDashboard = (options: {
  port?: number;
  redisUrl?: string;
  consumers?: number;
  service?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}) => Promise<{ url: string; close(): Promise<void> }>;

/** The options every command shares. */
export interface GlobalOptions {
  readonly url?: string;
  readonly connectTimeout: number;
  /** A PEM file of the CA that signed the server's TLS certificate. */
  readonly tlsCa?: string;
}

export class CliSession {
  readonly io: CliIo;
  /** Aborted on SIGINT / SIGTERM: long-running commands stop and clean up. */
  readonly signal: AbortSignal;
  options: GlobalOptions = { connectTimeout: 3000 };
  /** The dashboard's loader, where this run has one (a repository checkout). */
  readonly loadDashboard: (() => Promise<RunDashboard>) | undefined;
  #redis: Promise<RedisClient> | undefined;

  constructor(io: CliIo, signal: AbortSignal, loadDashboard?: () => Promise<RunDashboard>) {
    this.io = io;
    this.signal = signal;
    this.loadDashboard = loadDashboard;
  }

  /** The Redis URL this run uses (`--url`, else `REDIS_URL`, else the default). */
  get url(): string {
    return resolveRedisUrl(this.options.url, this.io.env);
  }

  /** The connection, opened on first use. @throws {RedisUnreachableError} */
  redis(): Promise<RedisClient> {
    return this.#redis ??= this.#connect();
  }

  async #connect(): Promise<RedisClient> {
    const { tlsCa, connectTimeout } = this.options;
    const ca = tlsCa === undefined ? undefined : await readFile(tlsCa, "utf8");
    return await connectRedis(this.url, connectTimeout, { ca });
  }

  /** Closes the connection if one was opened. */
  async close(): Promise<void> {
    const redis = await this.#redis?.catch(() => undefined);
    if (redis?.isOpen) redis.destroy();
  }
}

/** Resolves when `signal` aborts (at once if it has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
