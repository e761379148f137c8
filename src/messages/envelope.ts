/**
 * The message envelope, wire-compatible with thinrsmq's version 1: stream
 * entry fields `v`, `type`, `payload`, `produced_at`, and optional
 * `trace_id` and `producer`. Services in other languages can share a stream.
 */

export const ENVELOPE_VERSION = "1";

/** A message as a producer writes it. */
export interface MessageInput {
  readonly type: string;
  readonly payload: string;
  readonly traceId?: string;
  readonly producer?: string;
}

/** A message as a consumer reads it. */
export interface Message extends MessageInput {
  readonly version: string;
  /** ISO 8601 time of production. */
  readonly producedAt: string;
}

/** Why an entry is not a valid envelope. */
export class MalformedEnvelopeError extends Error {
  override readonly name = "MalformedEnvelopeError";
  readonly reason: string;

  constructor(reason: string, options?: ErrorOptions) {
    super(`Malformed message envelope: ${reason}`, options);
    this.reason = reason;
  }
}

/**
 * Encodes a message as stream entry fields.
 * @throws {TypeError} when type or payload is not a string, or type is empty.
 */
export function encodeEnvelope(
  message: MessageInput,
  now: Date = new Date(),
): Record<string, string> {
  if (typeof message?.type !== "string" || message.type === "") {
    throw new TypeError("message.type must be a non-empty string");
  }
  if (typeof message.payload !== "string") throw new TypeError("message.payload must be a string");
  const fields: Record<string, string> = {
    v: ENVELOPE_VERSION,
    type: message.type,
    payload: message.payload,
    produced_at: now.toISOString(),
  };
  if (message.traceId !== undefined) fields.trace_id = String(message.traceId);
  if (message.producer !== undefined) fields.producer = String(message.producer);
  return fields;
}

/**
 * Decodes stream entry fields into a message.
 * @throws {MalformedEnvelopeError} naming the first problem found.
 */
export function decodeEnvelope(
  fields: Readonly<Record<string, string>> | null | undefined,
): Message {
  if (!fields || typeof fields !== "object") {
    throw new MalformedEnvelopeError("entry has no fields");
  }
  const { v, type, payload, produced_at: producedAt } = fields;
  if (v === undefined) throw new MalformedEnvelopeError('missing field "v"');
  if (v !== ENVELOPE_VERSION) throw new MalformedEnvelopeError(`unsupported version "${v}"`);
  if (typeof type !== "string" || type === "") {
    throw new MalformedEnvelopeError('missing field "type"');
  }
  if (typeof payload !== "string") throw new MalformedEnvelopeError('missing field "payload"');
  if (typeof producedAt !== "string" || Number.isNaN(Date.parse(producedAt))) {
    throw new MalformedEnvelopeError('missing or invalid field "produced_at"');
  }
  return {
    version: v,
    type,
    payload,
    producedAt,
    ...(fields.trace_id !== undefined ? { traceId: fields.trace_id } : {}),
    ...(fields.producer !== undefined ? { producer: fields.producer } : {}),
  };
}
