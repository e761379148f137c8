/** Commands about a service's LBS: add, owners, consumers-index, pending, dead-lbs. */
import type { Command } from "commander";
import { jsonObject, positiveInteger } from "../options.ts";
import type { CliSession } from "../session.ts";
import { duration, table } from "../table.ts";
import { printJson } from "./output.ts";

// Library code is loaded when a command runs, so `--help` and usage errors start fast.
const admin = () => import("../../admin/mod.ts");
const producer = () => import("../../producer.ts");

export function registerServiceCommands(program: Command, session: CliSession): void {
  const { io } = session;

  program.command("add")
    .description("Hand a data stream to the service's consumers (an LBS entry in the Go format)")
    .argument("<service>", "service name (its LBS is <service>-input)")
    .argument("<dataStream>", "data stream name")
    .option("--info <json>", "the entry's Info, a JSON object", jsonObject, {})
    .option("--json", "print a JSON document")
    .action(async (service: string, dataStream: string, options) => {
      const redis = await session.redis();
      const { addStream } = await producer();
      const idInLbs = await addStream(redis, service, {
        dataStreamName: dataStream,
        info: options.info,
      });
      if (options.json) printJson(io, { service, dataStream, idInLbs });
      else io.out(idInLbs);
    });

  program.command("owners")
    .description("Every data stream of the LBS with its owner, fence, lock TTL left and idle time")
    .argument("<service>", "service name")
    .option("--json", "print a JSON document")
    .action(async (service: string, options) => {
      const { streamOwners } = await admin();
      const streams = await streamOwners(await session.redis(), service);
      if (options.json) return printJson(io, { service, streams });
      io.out(table(
        ["STREAM", "ID IN LBS", "STATE", "OWNER", "FENCE", "LOCK TTL", "IDLE", "DELIVERIES"],
        streams.map((s) => [
          s.dataStream,
          s.idInLbs,
          s.state,
          s.owner,
          s.fence,
          duration(s.lockTtlMs),
          duration(s.idleMs),
          s.deliveries,
        ]),
        io.color,
      ));
    });

  program.command("consumers-index")
    .description("The service's live consumers with the deadlines of their next beats")
    .argument("<service>", "service name")
    .option("--json", "print a JSON document")
    .action(async (service: string, options) => {
      const { consumerIndex } = await admin();
      const consumers = await consumerIndex(await session.redis(), service);
      if (options.json) return printJson(io, { service, consumers });
      io.out(table(
        ["CONSUMER", "CLIENT", "DEADLINE IN", "OVERDUE", "LOCKS"],
        consumers.map((c) => [
          c.consumer,
          c.client,
          duration(c.msLeft),
          c.overdue ? "yes" : "no",
          c.locks,
        ]),
        io.color,
      ));
    });

  program.command("pending")
    .description("The LBS pending entries with idle time and delivery count")
    .argument("<service>", "service name")
    .option("--count <n>", "at most this many entries", positiveInteger)
    .option("--json", "print a JSON document")
    .action(async (service: string, options) => {
      const { lbsPending } = await admin();
      const pending = await lbsPending(await session.redis(), service, { count: options.count });
      if (options.json) return printJson(io, { service, pending });
      io.out(table(
        ["ID IN LBS", "STREAM", "CONSUMER", "IDLE", "DELIVERIES"],
        pending.map((p) => [p.idInLbs, p.dataStream, p.consumer, duration(p.idleMs), p.deliveries]),
        io.color,
      ));
    });

  program.command("dead-lbs")
    .description("Dead-lettered LBS entries (<service>-input-dead) with their reasons")
    .argument("<service>", "service name")
    .option("--count <n>", "at most this many", positiveInteger, 100)
    .option("--json", "print a JSON document")
    .action(async (service: string, options) => {
      const { lbsDeadLetters } = await admin();
      const deadLetters = await lbsDeadLetters(await session.redis(), service, {
        count: options.count,
      });
      if (options.json) return printJson(io, { service, deadLetters });
      io.out(table(
        ["ID", "ORIGINAL ID", "REASON", "CONSUMER", "FAILED AT", "DETAIL"],
        deadLetters.map((d) => [d.id, d.originalId, d.reason, d.consumer, d.failedAt, d.detail]),
        io.color,
      ));
    });
}
