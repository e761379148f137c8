/** `rsc dead peek|size|replay|replay-all|purge`: a stream's dead letters. */
import type { Command } from "commander";
import { Progress } from "../io.ts";
import { positiveInteger } from "../options.ts";
import type { CliSession } from "../session.ts";
import { table } from "../table.ts";
import { printJson } from "./output.ts";

// Library code is loaded when a command runs, so `--help` and usage errors start fast.
const deadLetters = () => import("../../messages/dead_letters.ts");

export function registerDeadCommands(program: Command, session: CliSession): void {
  const { io } = session;
  const dead = program.command("dead")
    .description("A stream's dead letters (<stream>-dead): peek, size, replay, replay-all, purge");
  const lettersOf = async (stream: string) => {
    const { DeadLetters } = await deadLetters();
    return new DeadLetters(await session.redis(), { stream });
  };
  const groupOption = ["--group <group>", "only the dead letters of this consumer group"] as const;

  dead.command("peek")
    .description("The oldest dead letters, without removing them")
    .argument("<stream>", "the stream whose dead letters to show")
    .option(...groupOption)
    .option("--count <n>", "at most this many", positiveInteger, 10)
    .option("--json", "print a JSON document")
    .action(async (stream: string, options) => {
      const letters = await (await lettersOf(stream)).peek(options.count, { group: options.group });
      const deadLetters = letters.map((letter) => ({ ...letter, message: letter.message ?? null }));
      if (options.json) return printJson(io, { stream, deadLetters });
      io.out(table(
        ["ID", "ORIGINAL ID", "REASON", "GROUP", "ATTEMPTS", "REPLAYS", "TYPE", "LAST ERROR"],
        letters.map((l) => [
          l.id,
          l.originalId,
          l.reason,
          l.consumerGroup,
          l.totalAttempts,
          l.replayCount,
          l.message?.type,
          l.lastError,
        ]),
        io.color,
      ));
    });

  dead.command("size")
    .description("How many dead letters there are")
    .argument("<stream>", "the stream whose dead letters to count")
    .option(...groupOption)
    .option("--json", "print a JSON document")
    .action(async (stream: string, options) => {
      const size = await (await lettersOf(stream)).size({ group: options.group });
      if (options.json) printJson(io, { stream, group: options.group ?? null, size });
      else io.out(String(size));
    });

  dead.command("replay")
    .description("Publish one dead letter's message to its stream again and remove the letter")
    .argument("<stream>", "the stream whose dead letter it is")
    .argument("<id>", "the dead letter's id (see peek)")
    .option("--json", "print a JSON document")
    .action(async (stream: string, id: string, options) => {
      const newId = await (await lettersOf(stream)).replay(id);
      if (options.json) printJson(io, { stream, deadLetterId: id, newId });
      else io.out(newId);
    });

  dead.command("replay-all")
    .description("Replay every dead letter that may be replayed; count the refused")
    .argument("<stream>", "the stream whose dead letters to replay")
    .option(...groupOption)
    .option("--json", "print a JSON document")
    .action(async (stream: string, options) => {
      const letters = await lettersOf(stream);
      const progress = new Progress(io, "replay-all");
      const total = await letters.size({ group: options.group });
      const counts = await letters.replayAll({
        group: options.group,
        onProgress: ({ replayed, refused }) =>
          progress.update(`${replayed + refused}/${total} (${refused} refused)`),
      });
      progress.done();
      if (options.json) printJson(io, { stream, group: options.group ?? null, ...counts });
      else io.out(`replayed ${counts.replayed}, refused ${counts.refused}`);
    });

  dead.command("purge")
    .description("Delete the dead letters")
    .argument("<stream>", "the stream whose dead letters to delete")
    .option(...groupOption)
    .option("--json", "print a JSON document")
    .action(async (stream: string, options) => {
      const letters = await lettersOf(stream);
      const progress = new Progress(io, "purge");
      const deleted = await letters.purge({
        group: options.group,
        onProgress: (n) => progress.update(`${n} deleted`),
      });
      progress.done();
      if (options.json) printJson(io, { stream, group: options.group ?? null, deleted });
      else io.out(`deleted ${deleted}`);
    });
}
