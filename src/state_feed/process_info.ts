/** Which runtime and process a client runs in, for the feed's consumer entries. */

/** "deno", "bun" or "node" (what answers for `process` otherwise). */
export function runtimeName(): "node" | "deno" | "bun" {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  return "node";
}

/** The process id, where the runtime tells it (0 otherwise). */
export function processId(): number {
  const g = globalThis as { Deno?: { pid?: number }; process?: { pid?: number } };
  return g.Deno?.pid ?? g.process?.pid ?? 0;
}
