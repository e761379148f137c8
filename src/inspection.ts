/**
 * The one inspection observer a client registers on its supervisor's actor
 * system, when anything wants one: the user's `inspect` option and the state
 * feed. With neither, there is none, and XState does no inspection work.
 */
import type { InspectionEvent, Observer } from "xstate";
import type { Logger } from "./observability.ts";

type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * Combines the observers. The user's runs behind a guard: XState calls
 * inspectors inside the supervisor's transitions, so one that throws would
 * stop the client; its failure is logged once and it goes on being called.
 */
export function systemInspector(
  user: Inspector | undefined,
  feed: ((event: InspectionEvent) => void) | undefined,
  logger: Logger,
): ((event: InspectionEvent) => void) | undefined {
  const next = typeof user === "function" ? user : user?.next?.bind(user);
  if (!next) return feed;
  let warned = false;
  const guarded = (event: InspectionEvent) => {
    try {
      next(event);
    } catch (error) {
      if (warned) return;
      warned = true;
      logger.error("the inspect observer threw; it goes on being called, this is logged once", {
        error: String(error),
      });
    }
  };
  if (!feed) return guarded;
  return (event) => {
    feed(event);
    guarded(event);
  };
}
