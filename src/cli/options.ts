/** Parsers for option values: a bad value is a usage error (exit 2) naming the option. */
import { InvalidArgumentError } from "commander";

/** A whole number ≥ 1. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("Expected a whole number ≥ 1.");
  return n;
}

/** A whole number ≥ 0. */
export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("Expected a whole number ≥ 0.");
  return n;
}

/** A JSON object (an LBS entry's Info). */
export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`Expected JSON: ${(error as Error).message}.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError("Expected a JSON object.");
  }
  return parsed as Record<string, unknown>;
}
