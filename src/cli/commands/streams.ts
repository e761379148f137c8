/** Commands about data streams and consumer groups: produce, consume, groups, consumers, group-pending. */
import type { Command } from "commander";
import type { Message } from "../../messages/envelope.ts";
import { Progress } from "../io.ts";
import { nonNegativeInteger, positiveInteger } from "../options.ts";
import { type CliSession, whenAborted } from "../session.ts";
import { duration, table } from "../table.ts";
import { printJson } from "./output.ts";

// Library code is loaded when a command runs, so `--help` and usage errors start fast.
const messageAdmin = () => import("../../messages/admin.ts");
const groupConsumer = () => import("../../messages/group_consumer.ts");
const messageProducer = () => import("../../messages/producer.ts");

/** Messages per pipeline when producing many. */
const PRODUCE_BATCH = 1000;

export function registerStreamCommands(program: Command, session: CliSession): void {
  const { io } = session;

  program.command("produce")
    .description("Publish messages (thinrsmq v1 envelopes) to a stream")
    .argument("<stream>", "stream name")
    .requiredOption("--type <type>", "message type")
    .requiredOption("--payload <payload>", "message payload (any string)")
    .option("--count <n>", "publish this many copies", positiveInteger, 1)
    .option("--maxlen <n>", "keep about this many entries (MAXLEN ~)", nonNegativeInteger)
    .option("--json", "print a JSON document")
    .action(async (stream: string, options) => {
      const redis = await session.redis();
      const { publishBatch } = await messageProducer();
      const message = { type: options.type, payload: options.payload };
      const retention = options.maxlen === undefined ? undefined : { maxLen: options.maxlen };
      const progress = new Progress(io, "produce");
      let firstId: string | undefined;
      let lastId: string | undefined;
      for (let produced = 0; produced < options.count;) {
        const n = Math.min(PRODUCE_BATCH, options.count - produced);
        const ids = await publishBatch(redis, stream, Array(n).fill(message), { retention });
        firstId ??= ids[0];
        lastId = ids.at(-1);
        produced += n;
        if (options.count > 1) progress.update(`${produced}/${options.count}`);
      }
      if (options.count > 1) progress.done();
      if (options.json) printJson(io, { stream, produced: options.count, firstId, lastId });
      else if (options.count === 1) io.out(firstId!);
      else io.out(`produced ${options.count} messages to ${stream} (${firstId} … ${lastId})`);
    });

  program.command("consume")
    .description("Read a stream through a consumer group, print each message and ack it")
    .argument("<stream>", "stream name")
    .requiredOption("--group <group>", "consumer group (created if missing)")
    .option("--from <id>", "where a new group starts: $ (new messages) or 0 (all)", "$")
    .option("--consumer <name>", "consumer name in the group (default: a random one)")
    .option("--count <n>", "stop after this many messages", positiveInteger)
    .option("--timeout <ms>", "stop after this many milliseconds", positiveInteger)
    .option("--json", "print each message as a JSON line")
    .addHelpText("after", "\nRuns until Ctrl-C, --count or --timeout; the last ack lands first.")
    .action(async (stream: string, options) => {
      const redis = await session.redis();
      const { createGroupConsumer } = await groupConsumer();
      let consumed = 0;
      const finished = new AbortController();
      const consumer = createGroupConsumer(redis, {
        stream,
        group: options.group,
        consumer: options.consumer,
        startId: options.from,
        reaper: false,
        handler: (message: Message, { id }) => {
          printMessage(id, message);
          if (++consumed === options.count) finished.abort();
        },
      });
      // Stopping from inside the handler ends the read loop before it reads one more.
      finished.signal.addEventListener("abort", () => void consumer.stop(), { once: true });
      const stops = [session.signal, finished.signal];
      if (options.timeout) stops.push(AbortSignal.timeout(options.timeout));
      const stop = AbortSignal.any(stops);
      await consumer.start();
      await whenAborted(stop);
      await consumer.stop({ timeoutMs: 5000 });
      io.err(`consumed ${consumed} message${consumed === 1 ? "" : "s"} from ${stream}`);

      function printMessage(id: string, message: Message): void {
        if (options.json) io.out(JSON.stringify({ id, ...message }));
        else io.out(`${id}  ${message.type}  ${message.payload}`);
      }
    });

  program.command("groups")
    .description("The consumer groups of a stream: consumers, pending, lag, last delivered id")
    .argument("<stream>", "stream name")
    .option("--json", "print a JSON document")
    .action(async (stream: string, options) => {
      const { groupsInfo } = await messageAdmin();
      const groups = await groupsInfo(await session.redis(), stream);
      if (options.json) return printJson(io, { stream, groups });
      io.out(table(
        ["GROUP", "CONSUMERS", "PENDING", "LAG", "LAST DELIVERED"],
        groups.map((g) => [g.name, g.consumers, g.pending, g.lag, g.lastDeliveredId]),
        io.color,
      ));
    });

  program.command("consumers")
    .description("The consumers of a group: pending entries and idle time")
    .argument("<stream>", "stream name")
    .argument("<group>", "consumer group")
    .option("--json", "print a JSON document")
    .action(async (stream: string, group: string, options) => {
      const { consumersInfo } = await messageAdmin();
      const consumers = await consumersInfo(await session.redis(), stream, group);
      if (options.json) return printJson(io, { stream, group, consumers });
      io.out(table(
        ["CONSUMER", "PENDING", "IDLE"],
        consumers.map((c) => [c.name, c.pending, duration(c.idleMs)]),
        io.color,
      ));
    });

  program.command("group-pending")
    .description("A group's pending entries with their consumers, idle times and delivery counts")
    .argument("<stream>", "stream name")
    .argument("<group>", "consumer group")
    .option("--count <n>", "at most this many", positiveInteger, 100)
    .option("--consumer <name>", "only this consumer's")
    .option("--json", "print a JSON document")
    .action(async (stream: string, group: string, options) => {
      const { pendingEntries } = await messageAdmin();
      const pending = await pendingEntries(await session.redis(), stream, group, {
        count: options.count,
        consumer: options.consumer,
      });
      if (options.json) return printJson(io, { stream, group, pending });
      io.out(table(
        ["ID", "CONSUMER", "IDLE", "DELIVERIES"],
        pending.map((p) => [p.id, p.consumer, duration(p.idleMs), p.deliveries]),
        io.color,
      ));
    });
}
