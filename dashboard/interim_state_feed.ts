/**
 * Interim publisher of the state feed, in the contract's format, until the
 * library's own `stateFeed` option lands: follows the supervisor's stream
 * actors and XADDs one entry per transition. To be removed then.
 */
import process from "node:process";
import type { AnyActorRef } from "xstate";
import type { StreamClient } from "../mod.ts";
import type { RedisClient } from "../src/redis/client.ts";

type Fields = Record<string, string>;

/** Starts publishing; the returned function publishes `consumer.stopped` and stops. */
export function publishInterimStateFeed(
  client: StreamClient,
  redis: { xAdd: RedisClient["xAdd"] },
  service: string,
): () => Promise<void> {
  const key = `${service}-state-feed`;
  const runtime = (globalThis as { Deno?: unknown }).Deno
    ? "deno"
    : (globalThis as { Bun?: unknown }).Bun
    ? "bun"
    : "node";
  const add = (fields: Fields) =>
    redis.xAdd(key, "*", fields, {
      TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: 10_000 },
    }).catch(() => {});
  const consumerEntry = (event: string) =>
    add({
      consumer: client.id,
      stream: "",
      idInLbs: "",
      from: "",
      to: "",
      event,
      fence: "0",
      at: String(Date.now()),
      runtime,
      pid: String(process.pid),
    });
  void consumerEntry("consumer.started");
  const followed = new WeakSet<AnyActorRef>();
  const follow = (ref: AnyActorRef) => {
    followed.add(ref);
    let last = "";
    const publish = (snapshot: { value: unknown; context: StreamContextLike }, event: string) => {
      const to = String(snapshot.value);
      if (to === last) return;
      const { acquisition } = snapshot.context;
      void add({
        consumer: client.id,
        stream: acquisition.dataStreamName,
        idInLbs: acquisition.idInLbs,
        from: last,
        to,
        event,
        fence: String(acquisition.fence),
        at: String(Date.now()),
      });
      last = to;
    };
    publish(ref.getSnapshot(), "xstate.init");
    ref.subscribe((snapshot: { value: unknown; context: StreamContextLike }) =>
      publish(snapshot, "transition")
    );
  };
  const subscription = client.supervisor.subscribe((snapshot: SupervisorLike) => {
    for (const ref of snapshot.context.streams.values()) if (!followed.has(ref)) follow(ref);
  });
  return async () => {
    subscription.unsubscribe();
    await consumerEntry("consumer.stopped");
  };
}

interface StreamContextLike {
  readonly acquisition: { dataStreamName: string; idInLbs: string; fence: number };
}
interface SupervisorLike {
  readonly context: { streams: Map<string, AnyActorRef> };
}
