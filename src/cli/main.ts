/**
 * The `rsc` command line: operate a service's LBS, owners, streams, groups
 * and dead letters. Run it with `npx rsc`, `bunx rsc`, `deno task rsc` or
 * `deno run -A jsr:@rsc/redis-stream-client/cli`.
 *
 * The CLI is the library's one runtime-specific place: it uses `node:process`
 * (argv, exit code, signals, TTY), which Node, Deno and Bun all provide.
 *
 * @example
 * ```sh
 * rsc owners orders --url redis://127.0.0.1:6379
 * ```
 * @module
 */
import process from "node:process";
import { terminalIo } from "./io.ts";
import { runCli } from "./run.ts";

const stop = new AbortController();
const onSignal = () => {
  // A second Ctrl-C while stopping ends the process at once.
  if (stop.signal.aborted) process.exit(130);
  stop.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
const code = await runCli(process.argv.slice(2), terminalIo(), stop.signal);
process.off("SIGINT", onSignal);
process.off("SIGTERM", onSignal);
process.exitCode = code;
