/**
 * Nothing the library starts keeps a process alive: once a group consumer is
 * stopped (or a stream client is done) and the caller's Redis is closed, the
 * process exits at once, on Node, Deno and Bun.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Runtime, runtimeCommand } from "./fixture/consumer_process.ts";
import { useRedis } from "./fixture/use_redis.ts";
import { withDeadline } from "./fixture/wait.ts";

const MAIN = fileURLToPath(new URL("./fixture/exit_main.ts", import.meta.url));
const EXIT_WITHIN_MS = 2000;

describe("a process that stops the library and closes Redis exits at once", () => {
  const db = useRedis();

  for (const runtime of ["node", "deno", "bun"] as const) {
    it(`after GroupConsumer.stop() on ${runtime}`, () => exitsAfterStop(runtime, "group"));
    it(`after StreamClient.done() on ${runtime}`, () => exitsAfterStop(runtime, "client"));
    it(`after a failed GroupConsumer.start() while Redis was down on ${runtime}`, () =>
      exitsAfterStop(runtime, "unreachable"));
  }

  async function exitsAfterStop(
    runtime: Runtime,
    mode: "group" | "client" | "unreachable",
  ): Promise<void> {
    const [command, args] = runtimeCommand(MAIN, runtime);
    const child = spawn(command, args, {
      env: { ...process.env, REDIS_URL: db.server.url, MODE: mode },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let stoppedAt: number | undefined;
    let markStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (markStopped = resolve));
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      if (stoppedAt === undefined && output.includes("stopped\n")) {
        stoppedAt = Date.now();
        markStopped();
      }
    });
    child.stderr!.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await withDeadline(Promise.race([stopped, exited]), 30_000, `the ${runtime} child to stop`);
      assert.ok(stoppedAt !== undefined, `the child stopped the library first:\n${output}`);
      const code = await withDeadline(exited, EXIT_WITHIN_MS, `the ${runtime} child to exit`)
        .catch((error) => {
          throw new Error(`${error.message}; it printed:\n${output}`);
        });
      assert.equal(code, 0, output);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }
});
