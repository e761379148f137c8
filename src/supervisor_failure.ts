/**
 * What happens when the supervisor itself fails (an error thrown inside one
 * of its actions). Its actor has then stopped, and with it the heartbeat, so
 * the client ends: the user is told why (StreamTerminated carries the error),
 * the readers are stopped, and each stream whose lock the client still held
 * is handed back through the normal release path, whose compare-and-delete
 * touches a lock only if its value is this acquisition's. Locks whose state
 * is unknown (given up while Redis was unreachable) are left to expire.
 */
import type { AnyActorRef } from "xstate";
import { withDeadline } from "./actors/deadline.ts";
import { handBack } from "./actors/release_stream.ts";
import { leave } from "./actors/startup.ts";
import { describeError } from "./errors.ts";
import { owningStreams, type SupervisorContext } from "./machines/supervisor_machine.ts";
import { terminatedNotification } from "./notifications.ts";

/**
 * Ends a client whose supervisor failed with `error`.
 * @param context the supervisor's last context (kept in its error snapshot).
 * @param children its invoked actors (readers, heartbeat, sweeper), still running.
 * @returns when the streams it held are handed back (bounded by a deadline).
 */
export async function endAfterSupervisorFailure(
  context: SupervisorContext,
  children: readonly AnyActorRef[],
  error: unknown,
): Promise<void> {
  const { runtime } = context;
  const reason = `supervisor failed: ${describeError(error)}`;
  // Streams being released finish on their own; the held ones are handed back below.
  const held = owningStreams(context.streams);
  runtime.options.logger.error("the client stopped: its supervisor failed", {
    error: describeError(error),
    held: held.length,
  });
  // XState does not stop an errored actor's children (the readers would read on), and a child
  // cannot be stopped from outside but through the internal its parent's stopChild calls.
  for (const child of children) stopChild(child);
  for (const ref of held) {
    ref.getSnapshot().context.ownershipEnded.end();
    stopChild(ref);
  }
  runtime.queue.pushUrgent(terminatedNotification(reason));
  runtime.queue.close();
  const handBacks = held.map((ref) => {
    const { acquisition } = ref.getSnapshot().context;
    return handBack(runtime, acquisition);
  });
  const deadlineMs = Math.max(5000, 2 * runtime.options.heartbeatMs);
  try {
    await withDeadline(Promise.all(handBacks), deadlineMs, "handing back after a failure");
    await leave(runtime);
  } catch (cleanupError) {
    // Whatever was not handed back expires with its TTL.
    runtime.options.logger.warn("could not hand back every stream after the failure", {
      error: describeError(cleanupError),
    });
  }
}

function stopChild(child: AnyActorRef): void {
  try {
    (child as unknown as { _stop?: () => void })._stop?.();
  } catch {
    // Already stopped.
  }
}
