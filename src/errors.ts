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
