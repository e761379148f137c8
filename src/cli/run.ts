/** Runs the CLI once: parse, act, report, and tell the exit code. */
import { CommanderError } from "commander";
import { type CliIo, styles } from "./io.ts";
import { buildProgram, EXIT, exitCodeOf } from "./program.ts";
import { CliSession, type RunDashboard } from "./session.ts";

/** What a repository checkout adds to the published CLI. */
export interface CliExtras {
  /** Loads the dashboard (in the checkout's `dashboard/`, not in the published package). */
  readonly loadDashboard?: () => Promise<RunDashboard>;
}

/**
 * Runs `rsc` with `args` (without the runtime and script). Long-running
 * commands stop when `signal` aborts.
 * @returns the exit code: 0 done, 2 bad usage (the sub-command's help printed), 1 anything else.
 */
export async function runCli(
  args: readonly string[],
  io: CliIo,
  signal: AbortSignal,
  extras: CliExtras = {},
): Promise<number> {
  const session = new CliSession(io, signal, extras.loadDashboard);
  try {
    await buildProgram(session).parseAsync([...args], { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof CommanderError)) {
      io.err(styles(io.color).red(`rsc: ${messageOf(error)}`));
    }
    return exitCodeOf(error);
  } finally {
    await session.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
