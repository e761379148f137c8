/** The `rsc` command tree, built on commander. */
import { Command, CommanderError } from "commander";
import { styles } from "./io.ts";
import { positiveInteger } from "./options.ts";
import { DEFAULT_REDIS_URL } from "./redis_url.ts";
import type { CliSession } from "./session.ts";
import { registerDeadCommands } from "./commands/dead.ts";
import { registerLiveCommands } from "./commands/live.ts";
import { registerServiceCommands } from "./commands/service.ts";
import { registerStreamCommands } from "./commands/streams.ts";

/** Exit codes: done, failed, bad usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Builds the program; actions run against `session`. Errors come back as CommanderError. */
export function buildProgram(session: CliSession): Command {
  const { io } = session;
  const { red } = styles(io.color);
  const program = new Command("rsc")
    .description("Operate @rsc/redis-stream-client services: LBS, owners, streams, dead letters")
    .option(
      "--url <url>",
      `Redis URL, redis:// or rediss:// (default: $REDIS_URL, else ${DEFAULT_REDIS_URL})`,
    )
    .option("--connect-timeout <ms>", "give up connecting after this long", positiveInteger, 3000)
    .option(
      "--tls-ca <file>",
      "PEM file of the CA that signed the server's certificate (rediss://)",
    )
    // Settings below are copied to every sub-command created after them.
    .exitOverride()
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, "")),
      writeErr: (text) => io.errRaw(text),
      outputError: (text, write) => write(red(text)),
    });
  program.hook("preAction", (_, action) => {
    const { url, connectTimeout, tlsCa } = action.optsWithGlobals();
    session.options = { url, connectTimeout, tlsCa };
  });
  registerServiceCommands(program, session);
  registerStreamCommands(program, session);
  registerDeadCommands(program, session);
  registerLiveCommands(program, session);
  return program;
}

/** The exit code for an error out of parsing or an action (commander has printed its own). */
export function exitCodeOf(error: unknown): number {
  if (!(error instanceof CommanderError)) return EXIT.failed;
  if (error.code === "commander.helpDisplayed" || error.code === "commander.version") {
    return EXIT.ok;
  }
  // `rsc` or `rsc dead` without a sub-command shows help with code 1: a usage error.
  if (error.code === "commander.help") return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  return EXIT.usage;
}
