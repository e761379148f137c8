/** Admin views of a stream and its groups: what the dashboard and CLI show. */
import { type AnyRedisClient, asRedisClient } from "../redis/client.ts";
import { libraryCall } from "../errors.ts";

export interface StreamInfo {
  readonly length: number;
  readonly groups: number;
  readonly firstEntryId: string | null;
  readonly lastEntryId: string | null;
  readonly lastGeneratedId: string;
}

export interface GroupInfo {
  readonly name: string;
  readonly consumers: number;
  /** Delivered but not acked. */
  readonly pending: number;
  /** Not yet delivered to the group (null when Redis cannot tell). */
  readonly lag: number | null;
  readonly lastDeliveredId: string;
}

export interface ConsumerInfo {
  readonly name: string;
  readonly pending: number;
  /** Since the consumer's last attempted interaction. */
  readonly idleMs: number;
}

export interface PendingEntry {
  readonly id: string;
  readonly consumer: string;
  readonly idleMs: number;
  readonly deliveries: number;
}

type Loose = Record<string, unknown>;

function field(reply: Loose, ...names: string[]): unknown {
  for (const name of names) if (reply[name] !== undefined) return reply[name];
  return undefined;
}

function entryId(entry: unknown): string | null {
  if (!entry) return null;
  return (entry as { id?: string }).id ?? null;
}

export async function streamInfo(redis: AnyRedisClient, stream: string): Promise<StreamInfo> {
  const reply = await libraryCall(
    `XINFO STREAM of "${stream}"`,
    () => asRedisClient(redis).xInfoStream(stream),
  ) as unknown as Loose;
  return {
    length: Number(field(reply, "length")),
    groups: Number(field(reply, "groups")),
    firstEntryId: entryId(field(reply, "first-entry", "firstEntry")),
    lastEntryId: entryId(field(reply, "last-entry", "lastEntry")),
    lastGeneratedId: String(field(reply, "last-generated-id", "lastGeneratedId")),
  };
}

export async function groupsInfo(redis: AnyRedisClient, stream: string): Promise<GroupInfo[]> {
  const reply = await libraryCall(
    `XINFO GROUPS of "${stream}"`,
    () => asRedisClient(redis).xInfoGroups(stream),
  ) as unknown as Loose[];
  return reply.map((g) => {
    const lag = field(g, "lag");
    return {
      name: String(field(g, "name")),
      consumers: Number(field(g, "consumers")),
      pending: Number(field(g, "pending")),
      lag: lag === null || lag === undefined ? null : Number(lag),
      lastDeliveredId: String(field(g, "last-delivered-id", "lastDeliveredId")),
    };
  });
}

export async function consumersInfo(
  redis: AnyRedisClient,
  stream: string,
  group: string,
): Promise<ConsumerInfo[]> {
  const reply = await libraryCall(
    `XINFO CONSUMERS of "${stream}" group "${group}"`,
    () => asRedisClient(redis).xInfoConsumers(stream, group),
  ) as unknown as Loose[];
  return reply.map((c) => ({
    name: String(field(c, "name")),
    pending: Number(field(c, "pending")),
    idleMs: Number(field(c, "idle")),
  }));
}

/** Pending entries with their delivery counts (XPENDING extended form). */
export async function pendingEntries(
  redis: AnyRedisClient,
  stream: string,
  group: string,
  { count = 100, consumer }: { count?: number; consumer?: string } = {},
): Promise<PendingEntry[]> {
  const reply = await libraryCall(
    `XPENDING of "${stream}" group "${group}"`,
    () =>
      asRedisClient(redis).xPendingRange(
        stream,
        group,
        "-",
        "+",
        count,
        consumer ? { consumer } : undefined,
      ),
  );
  return reply.map((p) => ({
    id: p.id,
    consumer: p.consumer,
    idleMs: p.millisecondsSinceLastDelivery,
    deliveries: p.deliveriesCounter,
  }));
}
