/** A client of a fresh service, started on its own connection, for tests. */
import {
  addStream,
  createStreamClient,
  NotificationType,
  type StreamClient,
  type StreamClientOptions,
} from "../../mod.ts";
import type { RedisClient } from "../../src/redis/client.ts";
import { type RedisServer, uniqueName } from "../fixture/redis_server.ts";
import { NotificationLog } from "./notifications.ts";

export interface StartedOwner {
  readonly redis: RedisClient;
  readonly service: string;
  readonly client: StreamClient;
  readonly log: NotificationLog;
  /** The LBS id of the one stream the client was assigned. */
  readonly id: string;
}

/** Starts a client and waits until it has been assigned one stream. */
export async function startOwner(
  server: RedisServer,
  options: StreamClientOptions,
  dataStreamName = "s",
): Promise<StartedOwner> {
  const redis = await server.connect();
  const service = uniqueName();
  const client = createStreamClient(redis, service, options);
  const log = new NotificationLog(await client.init());
  const id = await addStream(redis, service, { dataStreamName, info: {} });
  await log.next((n) => n.type === NotificationType.StreamAdded);
  return { redis, service, client, log, id };
}
