/** Commands that show the system live: watch (the state feed), diagram, dashboard. */
import { Argument, type Command, Option } from "commander";
import type { AnyStateMachine } from "xstate";
import type { StateFeedEntry } from "../../state_feed/entry.ts";
import { styles } from "../io.ts";
import { nonNegativeInteger, positiveInteger } from "../options.ts";
import { type CliSession, whenAborted } from "../session.ts";

// Library code is loaded when a command runs, so `--help` and usage errors start fast.
const diagrams = () => import("../../diagrams/mod.ts");
const machines = () => import("../../machines/public.ts");
const stateFeed = () => import("../../state_feed/reader.ts");

export function registerLiveCommands(program: Command, session: CliSession): void {
  const { io } = session;

  program.command("watch")
    .description(
      "The service's live state feed: one line per transition (stream, consumer, from → to)",
    )
    .argument("<service>", "service name (clients need the stateFeed option)")
    .option("--from <id>", "start after this feed id: $ (now) or 0 (all that is kept)", "$")
    .option("--count <n>", "stop after this many entries", positiveInteger)
    .option("--timeout <ms>", "stop after this many milliseconds", positiveInteger)
    .option("--json", "print each entry as a JSON line")
    .addHelpText("after", "\nRuns until Ctrl-C, --count or --timeout.")
    .action(async (service: string, options) => {
      const { watchStateFeed } = await stateFeed();
      const redis = await session.redis();
      const stops = [session.signal];
      if (options.timeout) stops.push(AbortSignal.timeout(options.timeout));
      const signal = AbortSignal.any(stops);
      let seen = 0;
      for await (const entry of watchStateFeed(redis, service, { after: options.from, signal })) {
        io.out(options.json ? JSON.stringify(entry) : describeEntry(entry, io.color));
        if (++seen === options.count) break;
      }
    });

  program.command("diagram")
    .description("A state machine as a diagram, from its definition")
    .addArgument(
      new Argument("<machine>", "which machine").choices(["stream", "supervisor"]),
    )
    .addOption(
      new Option("--format <format>", "diagram language").choices(["mermaid", "dot"]).default(
        "mermaid",
      ),
    )
    .action(async (machine: "stream" | "supervisor", options) => {
      const [{ toDot, toMermaid }, { streamMachine, supervisorMachine }] = await Promise.all([
        diagrams(),
        machines(),
      ]);
      const definition: AnyStateMachine = machine === "stream" ? streamMachine : supervisorMachine;
      const render = options.format === "dot" ? toDot : toMermaid;
      io.out(render(definition).trimEnd());
    });

  program.command("dashboard")
    .description("The web dashboard (the README's main command); Ctrl-C stops it")
    .option("--port <port>", "port to listen on (default: a free one)", nonNegativeInteger)
    .option(
      "--consumers <n>",
      "demo consumers to run (default: 3 with its own Redis, else 0)",
      nonNegativeInteger,
    )
    .option("--service <name>", "service to show")
    .action(async (options) => {
      if (!session.loadDashboard) {
        throw new Error(
          "The dashboard ships with the repository (dashboard/), not with the package: " +
            "run rsc from a checkout (npx rsc, deno task rsc, bun run rsc)",
        );
      }
      const runDashboard = await session.loadDashboard();
      const given = session.options.url ?? io.env.REDIS_URL;
      const dashboard = await runDashboard({
        port: options.port,
        consumers: options.consumers,
        service: options.service,
        log: (line) => io.out(line), // its progress, and `dashboard: <url>` on a line of its own
        ...(given ? { redisUrl: given } : {}),
      });
      await whenAborted(session.signal);
      await dashboard.close();
    });
}

/** `12:00:01.250  orders:eu  alice  assigned → heartbeating  (HEARTBEAT_OK, fence 3)` */
export function describeEntry(entry: StateFeedEntry, color: boolean): string {
  const { dim, cyan, bold } = styles(color);
  const time = dim(new Date(entry.at).toISOString().slice(11, 23));
  if (entry.stream === "") {
    const what = entry.event.replace(/^consumer\./, "");
    const where = [entry.runtime, entry.pid === undefined ? undefined : `pid ${entry.pid}`]
      .filter(Boolean).join(", ");
    return `${time}  ${bold(entry.consumer)}  ${what}${where ? ` (${where})` : ""}`;
  }
  const from = entry.from === "" ? "∅" : entry.from;
  return `${time}  ${cyan(entry.stream)}  ${entry.consumer}  ${from} → ${bold(entry.to)}  ` +
    dim(`(${entry.event}, fence ${entry.fence})`);
}
