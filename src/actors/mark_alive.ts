/** A client's mark in the consumer index, which also tells it who else is alive. */
import type { ClientRuntime } from "../runtime.ts";
import { LIVE_READ_LIMIT, liveClientsOf, markAlive } from "../scripts/consumer_liveness.ts";

/** Marks this client alive for a TTL, and keeps the live clients for sharing takeovers. */
export async function markClientAlive(runtime: ClientRuntime): Promise<void> {
  const reply = await markAlive.run(
    runtime.redis,
    [runtime.consumerIndex],
    [runtime.locks.prefix, runtime.options.heartbeatMs, LIVE_READ_LIMIT],
  );
  const { clients, serverNow } = liveClientsOf(reply);
  runtime.claimShares.update(clients, serverNow);
}
