/**
 * Domain errors callers are meant to catch. Bad arguments and options throw
 * the built-in TypeError / RangeError instead.
 */

/** Another consumer holds the stream's lock, so this claim lost the race. */
export class AlreadyClaimedError extends Error {
  override readonly name = "AlreadyClaimedError";
  readonly dataStreamName: string;
  /** The consumer that holds the lock, when its lock value tells (it does for this library). */
  readonly holder: string | undefined;

  constructor(dataStreamName: string, holder?: string, options?: ErrorOptions) {
    super(
      `Claim of stream "${dataStreamName}" failed: it is held by ${holder ?? "another consumer"}`,
      options,
    );
    this.dataStreamName = dataStreamName;
    this.holder = holder;
  }
}

/** The LBS entry behind a claim is no longer pending: the stream was finished. */
export class StreamNotPendingError extends Error {
  override readonly name = "StreamNotPendingError";
  readonly dataStreamName: string;
  readonly idInLbs: string;

  constructor(dataStreamName: string, idInLbs: string, options?: ErrorOptions) {
    super(
      `Claim of stream "${dataStreamName}" failed: LBS entry ${idInLbs} is no longer pending`,
      options,
    );
    this.dataStreamName = dataStreamName;
    this.idInLbs = idInLbs;
  }
}

/** An operation named a stream this consumer does not own. */
export class StreamNotOwnedError extends Error {
  override readonly name = "StreamNotOwnedError";
  readonly dataStreamName: string;

  constructor(dataStreamName: string, options?: ErrorOptions) {
    super(`Stream "${dataStreamName}" is not owned by this consumer`, options);
    this.dataStreamName = dataStreamName;
  }
}

/** A claim was refused: this consumer owns `maxOwnedStreams` streams already. */
export class OwnershipLimitError extends Error {
  override readonly name = "OwnershipLimitError";
  readonly dataStreamName: string;
  /** The cap it reached (the client's maxOwnedStreams). */
  readonly limit: number;

  constructor(dataStreamName: string, limit: number, options?: ErrorOptions) {
    super(
      `Claim of stream "${dataStreamName}" refused: this consumer owns its maximum of ${limit} streams`,
      options,
    );
    this.dataStreamName = dataStreamName;
    this.limit = limit;
  }
}

/** The client was closed (done() or abort) or never initialised. */
export class ClientClosedError extends Error {
  override readonly name = "ClientClosedError";

  constructor(message = "The stream client is closed", options?: ErrorOptions) {
    super(message, options);
  }
}

/** Redis did not answer an operation in time (an outage, or a frozen server). */
export class DeadlineExceededError extends Error {
  override readonly name = "DeadlineExceededError";
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number, options?: ErrorOptions) {
    super(`${what} did not complete within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** A fenced write was refused: the writer no longer owns the stream. */
export class OwnershipLostError extends Error {
  override readonly name = "OwnershipLostError";
  readonly dataStreamName: string;
  readonly fence: number;

  constructor(dataStreamName: string, fence: number, options?: ErrorOptions) {
    super(
      `Write for stream "${dataStreamName}" refused: fence ${fence} no longer owns the stream`,
      options,
    );
    this.dataStreamName = dataStreamName;
    this.fence = fence;
  }
}

/** Why an LBS entry could not be decoded. */
export type LbsEntryProblem =
  | "missing-field"
  | "not-json"
  | "not-an-object"
  | "missing-stream-name"
  | "invalid-info"
  | "oversized";

/** An LBS entry that cannot be assigned; it goes to the dead-letter stream. */
export class MalformedLbsEntryError extends Error {
  override readonly name = "MalformedLbsEntryError";
  readonly problem: LbsEntryProblem;

  constructor(problem: LbsEntryProblem, detail: string, options?: ErrorOptions) {
    super(`Malformed LBS entry (${problem}): ${detail}`, options);
    this.problem = problem;
  }
}

/**
 * A Redis command the library sent failed (the server answered an error, or
 * the connection failed under it); `cause` is node-redis's error, and the
 * message carries Redis's own text, e.g. "OOM command not allowed …".
 */
export class RedisCommandError extends Error {
  override readonly name = "RedisCommandError";
  /** What the library was doing, e.g. `claim of stream "orders-1"`. */
  readonly operation: string;

  constructor(operation: string, options: ErrorOptions & { cause: unknown }) {
    super(`${operation} failed: ${describeError(options.cause)}`, options);
    this.operation = operation;
  }
}

/**
 * The error a caller gets: one of the library's own (or a TypeError /
 * RangeError for a bad argument) as it is, anything else wrapped in a
 * RedisCommandError naming `operation`, with the original as `cause`.
 */
export function asLibraryError(operation: string, error: unknown): Error {
  if (error instanceof TypeError || error instanceof RangeError || isLibraryError(error)) {
    return error as Error;
  }
  return new RedisCommandError(operation, { cause: error });
}

/**
 * Runs one of the library's operations; whatever fails in it reaches the
 * caller as {@link asLibraryError} makes it (Redis refusals as RedisCommandError).
 */
export async function libraryCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asLibraryError(operation, error);
  }
}

/**
 * The library's error classes (here and in the message layer) declare `name`
 * as a field, so their instances own it; node-redis's classes leave it to
 * Error.prototype. That tells them apart without a list to keep in step.
 */
function isLibraryError(error: unknown): boolean {
  return error instanceof Error && Object.hasOwn(error, "name") && error.name !== "Error";
}

/**
 * One line for any thrown value: `Name: message` (node-redis's unnamed error
 * classes by their class, e.g. `SimpleError: OOM command not allowed …`),
 * followed by what its cause or a MULTI's failed replies add. Never a bare "Error".
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) {
    if (typeof error === "string") return error;
    try {
      return JSON.stringify(error) ?? String(error);
    } catch {
      return String(error);
    }
  }
  const generic = !error.name || error.name === "Error";
  const name = generic ? error.constructor?.name || "Error" : error.name;
  let text = error.message ? `${name}: ${error.message}` : name;
  const inner = innerErrors(error);
  if (inner.length > 0) text += ` (${inner.map(describeError).join("; ")})`;
  if (error.cause !== undefined) {
    const cause = describeError(error.cause);
    if (!text.includes(cause)) text += ` (cause: ${cause})`;
  }
  return text;
}

/** The errors an AggregateError or a node-redis MULTI error (`replies`, `errorIndexes`) holds. */
function innerErrors(error: Error): unknown[] {
  if (error instanceof AggregateError) return error.errors;
  const { replies, errorIndexes } = error as { replies?: unknown; errorIndexes?: unknown };
  if (Array.isArray(replies) && Array.isArray(errorIndexes)) {
    return errorIndexes.map((i: number) => replies[i]);
  }
  return [];
}
