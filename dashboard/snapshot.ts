/** The JSON the page renders: everything the dashboard knows, in one object. */
import type { Fleet } from "./fleet.ts";

export interface SnapshotContext {
  readonly fleet: Fleet;
  readonly service: string;
  readonly redisUrl: string;
  readonly ownRedis: boolean;
  readonly heartbeatMs: number;
  readonly stallMs: number;
}

/** One snapshot of the fleet. */
export function buildSnapshot({ fleet, ...about }: SnapshotContext) {
  const streams = [...fleet.streams.values()].sort((a, b) =>
    a.name.localeCompare(b.name, undefined, { numeric: true })
  );
  return {
    ...about,
    at: Date.now(),
    feedEntries: fleet.feedEntries,
    consumers: fleet.consumers(),
    streams,
    lbs: fleet.redis?.lbs ?? null,
    index: fleet.redis?.index ?? [],
    dataStreams: fleet.redis?.dataStreams ?? [],
    orphans: [...fleet.orphans].reverse(),
    takeovers: [...fleet.takeovers].reverse(),
  };
}
