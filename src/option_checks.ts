/**
 * Checks shared by every options object the library takes: names it does not
 * know (with the closest one it does), numbers given as strings, loggers and
 * recorders of the wrong shape. Each throws TypeError / RangeError naming the option.
 */
import {
  type Logger,
  LOGGER_METHODS,
  METRIC_HOOKS,
  type MetricsRecorder,
} from "./observability.ts";

/**
 * Throws a TypeError for the first own property of `options` not in `known`,
 * naming the closest known one when it is a likely typo.
 * @param where how the caller calls the object, e.g. "option" or "retry option".
 */
export function rejectUnknownOptions(
  where: string,
  options: object,
  known: readonly string[],
): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const closest = closestName(name, known);
    const hint = closest === undefined ? "." : `; did you mean "${closest}"?`;
    throw new TypeError(`Unknown ${where} "${name}"${hint} Known: ${known.join(", ")}`);
  }
}

/** The known name nearest to `name` by edit distance, if near enough to be a typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const known = candidate.toLowerCase();
    // A name cut short or run on ("heartbeat", "heartbeatMsec") is as near as one typo.
    const truncated = known.startsWith(lower) || lower.startsWith(known);
    const distance = truncated ? 1 : editDistance(lower, known);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  // A typo changes a few characters: "maxRetry" → "maxRetries" (3), "bufferSise" → "bufferSize" (1).
  return bestDistance <= Math.max(2, Math.floor(name.length / 2)) ? best : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * An integer option at least `min`, or `fallback` when absent.
 * @throws {TypeError} when it is not a number ("must be a number") or not whole.
 * @throws {RangeError} when it is below `min`.
 */
export function integerOption(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number; got ${typeof value} ${JSON.stringify(value)}`);
  }
  if (!Number.isInteger(value)) throw new TypeError(`${name} must be an integer; got ${value}`);
  if (value < min) throw new RangeError(`${name} must be at least ${min}; got ${value}`);
  return value;
}

/** Checks that `value` is an object (when given) before its fields are read. */
export function objectOption(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw new TypeError(`${name} must be an object; got ${value === null ? "null" : typeof value}`);
  }
}

/**
 * Checks a logger has every method the library calls.
 * @throws {TypeError} naming the first missing method.
 */
export function checkLogger(name: string, logger: unknown): asserts logger is Logger {
  if (typeof logger !== "object" || logger === null) {
    throw new TypeError(`${name} must be an object with ${LOGGER_METHODS.join(", ")} methods`);
  }
  for (const method of LOGGER_METHODS) {
    if (typeof (logger as Record<string, unknown>)[method] !== "function") {
      throw new TypeError(
        `${name} lacks the method ${method}(): a logger needs ${LOGGER_METHODS.join(", ")}`,
      );
    }
  }
}

/**
 * Checks a metrics recorder: an object whose hooks, where present, are functions.
 * @throws {TypeError} naming the hook that is not a function.
 */
export function checkMetrics(name: string, metrics: unknown): asserts metrics is MetricsRecorder {
  if (typeof metrics !== "object" || metrics === null) {
    throw new TypeError(`${name} must be an object (a metrics recorder)`);
  }
  for (const hook of METRIC_HOOKS) {
    const value = (metrics as Record<string, unknown>)[hook];
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(`${name}.${hook} must be a function; got ${typeof value}`);
    }
  }
}
