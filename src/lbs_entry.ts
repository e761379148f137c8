/**
 * The LBS entry format shared with redis-stream-client-go: one field,
 * `lbs-input`, holding `{"DataStreamName": "...", "Info": {...}}`.
 */
import { MalformedLbsEntryError } from "./errors.ts";
import { LBS_FIELD } from "./keys.ts";

/** What a producer asks for: a data stream to hand out, with free-form info. */
export interface LbsAssignment {
  readonly dataStreamName: string;
  readonly info: Readonly<Record<string, unknown>>;
}

const encoder = new TextEncoder();

/** Encodes an assignment as LBS entry fields. @throws {TypeError} on a bad assignment. */
export function encodeLbsEntry(assignment: LbsAssignment): Record<string, string> {
  const { dataStreamName, info } = assignment ?? {};
  if (typeof dataStreamName !== "string" || dataStreamName === "") {
    throw new TypeError("dataStreamName must be a non-empty string");
  }
  if (info !== undefined && !isPlainObject(info)) {
    throw new TypeError("info must be a plain object");
  }
  return { [LBS_FIELD]: JSON.stringify({ DataStreamName: dataStreamName, Info: info ?? {} }) };
}

/**
 * Decodes LBS entry fields.
 * @throws {MalformedLbsEntryError} naming what is wrong; the caller dead-letters the entry.
 */
export function decodeLbsEntry(
  fields: Readonly<Record<string, string>>,
  maxBytes: number,
): LbsAssignment {
  const raw = fields[LBS_FIELD];
  if (typeof raw !== "string") {
    const present = Object.keys(fields).join(", ") || "none";
    throw new MalformedLbsEntryError(
      "missing-field",
      `no "${LBS_FIELD}" field (fields: ${present})`,
    );
  }
  // A UTF-16 code unit takes at most 3 bytes of UTF-8: most entries are proven small uncounted.
  if (raw.length * 3 > maxBytes) {
    const size = encoder.encode(raw).byteLength;
    if (size > maxBytes) {
      throw new MalformedLbsEntryError(
        "oversized",
        `${size} bytes exceeds the limit of ${maxBytes}`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw new MalformedLbsEntryError("not-json", (cause as Error).message, { cause });
  }
  if (!isPlainObject(parsed)) {
    throw new MalformedLbsEntryError(
      "not-an-object",
      `expected a JSON object, got ${kind(parsed)}`,
    );
  }
  const name = parsed.DataStreamName;
  if (typeof name !== "string" || name === "") {
    throw new MalformedLbsEntryError(
      "missing-stream-name",
      "DataStreamName must be a non-empty string",
    );
  }
  const info = parsed.Info ?? {};
  if (!isPlainObject(info)) {
    throw new MalformedLbsEntryError("invalid-info", `Info must be an object, got ${kind(info)}`);
  }
  return { dataStreamName: name, info };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : typeof value;
}
