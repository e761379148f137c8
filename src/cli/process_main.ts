/**
 * Runs `rsc` as the process: its arguments, its exit code, Ctrl-C. The CLI
 * is the library's one runtime-specific place: it uses `node:process`, which
 * Node, Deno and Bun all provide.
 */
import process from "node:process";
import { terminalIo } from "./io.ts";
import { type CliExtras, runCli } from "./run.ts";

/** Runs the CLI on `process.argv` and sets `process.exitCode`. */
export async function runInProcess(extras: CliExtras = {}): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => {
    // A second Ctrl-C while stopping ends the process at once.
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    process.exitCode = await runCli(process.argv.slice(2), terminalIo(), stop.signal, extras);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
