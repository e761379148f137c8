/**
 * The one guard through which the library calls user code: logger methods,
 * metrics hooks and the XState inspection observer. A hook that throws (or returns a promise that rejects)
 * is reported once, through the user's logger, or through console.error when
 * the logger itself is what throws, and the client goes on: user code must
 * never stop a client.
 */
import type { InspectionEvent, Observer } from "xstate";
import { describeError } from "./errors.ts";
import {
  type Logger,
  LOGGER_METHODS,
  METRIC_HOOKS,
  type MetricsRecorder,
} from "./observability.ts";

/** An XState inspection callback or observer, as the `inspect` option takes it. */
export type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** Guarded versions of a user's logger and recorder. */
export interface GuardedHooks {
  readonly logger: Logger;
  readonly metrics: MetricsRecorder;
  /** The same guard around an inspection callback or observer (undefined stays undefined). */
  inspect(inspector: Inspector | undefined): Inspector | undefined;
}

/**
 * Wraps `logger` and `metrics` (checked beforehand) so that no call of theirs
 * can throw into the library. The recorder keeps exactly the hooks the user's
 * has, so the library can still tell which ones are absent.
 */
export function guardHooks(logger: Logger, metrics: MetricsRecorder): GuardedHooks {
  const reported = new Set<string>();
  const tell = (hook: string, error: unknown) => {
    if (reported.has(hook)) return;
    reported.add(hook);
    const message = `${hook} threw; the library ignores it and goes on (reported once per hook)`;
    const fields: Record<string, unknown> = { hook, error: describeError(error) };
    if (!hook.startsWith("logger.")) {
      try {
        logger.error(message, fields);
        return;
      } catch (loggerError) {
        reported.add("logger.error");
        fields.loggerError = describeError(loggerError);
      }
    }
    try {
      console.error(`[redis-stream-client] ${message}`, fields);
    } catch {
      // Nowhere left to tell.
    }
  };
  const call = (hook: string, self: object, fn: UserFunction, args: unknown[]) => {
    try {
      const result = fn.apply(self, args);
      if (isThenable(result)) result.then(undefined, (error: unknown) => tell(hook, error));
    } catch (error) {
      tell(hook, error);
    }
  };

  const guardedLogger = {} as Record<(typeof LOGGER_METHODS)[number], Logger["info"]>;
  for (const method of LOGGER_METHODS) {
    guardedLogger[method] = (...args) =>
      call(`logger.${method}`, logger, logger[method] as UserFunction, args);
  }
  const guardedMetrics: Record<string, UserFunction> = {};
  for (const hook of METRIC_HOOKS) {
    const fn = metrics[hook] as UserFunction | undefined;
    if (typeof fn !== "function") continue;
    guardedMetrics[hook] = (...args) => call(`metrics.${hook}`, metrics, fn, args);
  }
  const inspect = (inspector: Inspector | undefined): Inspector | undefined => {
    if (inspector === undefined) return undefined;
    if (typeof inspector === "function") {
      return (event) => call("inspect", inspector, inspector as UserFunction, [event]);
    }
    const observer: Observer<InspectionEvent> = {};
    for (const method of ["next", "error", "complete"] as const) {
      const fn = inspector[method] as UserFunction | undefined;
      if (typeof fn !== "function") continue;
      observer[method] = (...args: unknown[]) => call(`inspect.${method}`, inspector, fn, args);
    }
    return observer;
  };
  return { logger: guardedLogger, metrics: guardedMetrics as MetricsRecorder, inspect };
}

type UserFunction = (...args: unknown[]) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
