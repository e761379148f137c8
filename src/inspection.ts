/**
 * The one inspection observer a client registers on its supervisor's actor
 * system, when anything wants one: the user's `inspect` option and the state
 * feed. With neither, there is none, and XState does no inspection work.
 */
import type { InspectionEvent, Observer } from "xstate";

type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * Combines the observers. The user's comes guarded from option resolution
 * (see hook_guard.ts): XState calls inspectors inside the supervisor's
 * transitions, so one that throws would otherwise stop the client.
 */
export function systemInspector(
  user: Inspector | undefined,
  feed: ((event: InspectionEvent) => void) | undefined,
): ((event: InspectionEvent) => void) | undefined {
  const next = typeof user === "function" ? user : user?.next?.bind(user);
  if (!next) return feed;
  if (!feed) return next;
  return (event) => {
    feed(event);
    next(event);
  };
}
