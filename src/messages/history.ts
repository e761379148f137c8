/** History and retention: read any range without touching a group; trim by length or id. */
import { type AnyRedisClient, asRedisClient } from "../redis/client.ts";
import { libraryCall } from "../errors.ts";
import { type Retention, trimOption } from "./producer.ts";
import { integerOption, objectOption, rejectUnknownOptions } from "../option_checks.ts";

export interface StreamEntry {
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
}

export interface ReplayRangeOptions {
  /** First id (inclusive). @default "-" */
  readonly start?: string;
  /** Last id (inclusive). @default "+" */
  readonly end?: string;
  /** Entries per XRANGE. @default 100 */
  readonly pageSize?: number;
}

/** Every entry from start to end, page by page (XRANGE): no group's cursor moves. */
export async function* replayRange(
  redis: AnyRedisClient,
  stream: string,
  options: ReplayRangeOptions = {},
): AsyncGenerator<StreamEntry> {
  objectOption("options", options);
  rejectUnknownOptions("replay option", options, ["start", "end", "pageSize"]);
  const { start = "-", end = "+" } = options;
  const pageSize = integerOption("pageSize", options.pageSize, 100, 1);
  const client = asRedisClient(redis);
  let from = start;
  for (;;) {
    const page = (await libraryCall(
      `XRANGE of "${stream}"`,
      () => client.xRange(stream, from, end, { COUNT: pageSize }),
    )) ?? [];
    for (const entry of page) if (entry) yield { id: entry.id, fields: entry.message };
    if (page.length < pageSize) return;
    from = `(${page.at(-1)!.id}`;
  }
}

/**
 * Trims a stream by MAXLEN or MINID, approximately unless `approximate: false`.
 * @returns how many entries were removed.
 */
export async function trimStream(
  redis: AnyRedisClient,
  stream: string,
  retention: Retention,
): Promise<number> {
  const trim = trimOption(retention)!;
  return Number(
    await libraryCall(
      `XTRIM of "${stream}"`,
      () =>
        asRedisClient(redis).xTrim(stream, trim.strategy, trim.threshold, {
          strategyModifier: trim.strategyModifier,
        }),
    ),
  );
}
