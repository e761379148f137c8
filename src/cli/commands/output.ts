/** Machine-readable output: one JSON document per read command. */
import type { CliIo } from "../io.ts";

/** Prints one JSON document (two-space indented) on stdout. */
export function printJson(io: CliIo, document: unknown): void {
  io.out(JSON.stringify(document, null, 2));
}
