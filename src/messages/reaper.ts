/**
 * Reaping: entries a dead or stuck consumer left pending are claimed with
 * XAUTOCLAIM (to this consumer, following the cursor, a page cap per pass)
 * once idle past a threshold. An entry whose payload was trimmed away
 * (XAUTOCLAIM's deleted ids) is dead-lettered as "trimmed" instead of
 * vanishing; one delivered more than `maxDeliveries` times is a poison message
 * and is dead-lettered as "poison". Entries waiting for a scheduled retry are
 * left to the retry timer.
 */
import type { RedisClient } from "../redis/client.ts";
import type { DeadLetterReason } from "./dead_letters.ts";
import { integerOption, objectOption, rejectUnknownOptions } from "../option_checks.ts";

const REAP_OPTION_NAMES = [
  "intervalMs",
  "minIdleMs",
  "maxDeliveries",
  "pageSize",
  "maxPages",
] as const satisfies readonly (keyof ReapOptions)[];

export interface ReapOptions {
  /** How often a pass runs. @default 5000 */
  readonly intervalMs: number;
  /** Entries idle at least this long are claimed. @default 30000 */
  readonly minIdleMs: number;
  /** Deliveries after which an entry is poison. @default 5 */
  readonly maxDeliveries: number;
  /** XAUTOCLAIM COUNT. @default 100 */
  readonly pageSize: number;
  /** Pages per pass, so one pass cannot monopolise a huge PEL. @default 10 */
  readonly maxPages: number;
}

export function resolveReapOptions(partial: Partial<ReapOptions> = {}): ReapOptions {
  objectOption("reaper", partial);
  rejectUnknownOptions("reaper option", partial, REAP_OPTION_NAMES);
  const options = {
    intervalMs: 5000,
    minIdleMs: 30_000,
    maxDeliveries: 5,
    pageSize: 100,
    maxPages: 10,
    ...partial,
  };
  for (const [name, value] of Object.entries(options)) {
    integerOption(`reaper.${name}`, value, 0, 1);
  }
  return options;
}

export interface ReapReport {
  readonly claimed: number;
  readonly trimmed: number;
  readonly poison: number;
}

export interface ReapContext {
  readonly redis: RedisClient;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly retriesKey: string;
  deadLetter(id: string, reason: DeadLetterReason, fields?: Record<string, string>): Promise<void>;
  dispatch(id: string, fields: Record<string, string>): void;
}

export async function reapIdleEntries(ctx: ReapContext, options: ReapOptions): Promise<ReapReport> {
  const { redis } = ctx;
  let claimed = 0;
  let trimmed = 0;
  let poison = 0;
  let cursor = "0-0";
  for (let page = 0; page < options.maxPages; page++) {
    const reply = await redis.xAutoClaim(
      ctx.stream,
      ctx.group,
      ctx.consumer,
      options.minIdleMs,
      cursor,
      { COUNT: options.pageSize },
    );
    for (const id of reply.deletedMessages) {
      trimmed++;
      await ctx.deadLetter(id, "trimmed");
    }
    for (const entry of reply.messages) {
      if (!entry) continue;
      if ((await redis.zScore(ctx.retriesKey, entry.id)) !== null) continue; // retry timer's
      const [info] = await redis.xPendingRange(ctx.stream, ctx.group, entry.id, entry.id, 1);
      if ((info?.deliveriesCounter ?? 0) > options.maxDeliveries) {
        poison++;
        await ctx.deadLetter(entry.id, "poison", entry.message as Record<string, string>);
        continue;
      }
      claimed++;
      ctx.dispatch(entry.id, entry.message as Record<string, string>);
    }
    cursor = reply.nextId;
    if (cursor === "0-0") break;
  }
  return { claimed, trimmed, poison };
}
