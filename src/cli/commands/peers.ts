/**
 * Parts of the project the CLI shows but does not own: the state feed (a
 * library export, looked up when `watch` runs) and the dashboard (in the
 * repository's `dashboard/`, not in the published package: a checkout's
 * entry point, bin/rsc.mjs, hands its loader to the CLI).
 */
import type { RedisClient } from "../../redis/client.ts";

/** One transition of a stream actor, or a consumer's start or stop (see the state feed). */
export interface StateFeedEntry {
  readonly id: string;
  readonly consumer: string;
  readonly stream: string;
  readonly idInLbs: string;
  readonly from: string;
  readonly to: string;
  readonly event: string;
  readonly fence: number;
  readonly at: number;
  readonly runtime?: string;
  readonly pid?: number;
}

export type WatchStateFeed = (
  redis: RedisClient,
  service: string,
  options: { after?: string; signal?: AbortSignal; blockMs?: number },
) => AsyncIterable<StateFeedEntry>;

export type RunDashboard = (options: {
  port?: number;
  redisUrl?: string;
  consumers?: number;
  service?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}) => Promise<{ url: string; close(): Promise<void> }>;

/** A library export by name. @throws {Error} when this build lacks it. */
export async function libraryExport<T>(name: string): Promise<T> {
  const library = await import("../../../mod.ts") as Record<string, unknown>;
  const found = library[name];
  if (found === undefined) throw new Error(`This build of the library has no ${name}`);
  return found as T;
}
