/**
 * BullMQ's recovery of a dead worker's jobs, with lockDuration and
 * stalledInterval equal to our liveness timeout: a worker process holding K
 * jobs is SIGKILLed; a second worker's stalled-job check moves them back and
 * takes them. Time from the kill until the survivor starts each job.
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Queue, Worker } from "bullmq";
import { RedisServer } from "../tests/fixture/redis_server.ts";
import { waitUntil } from "../tests/fixture/wait.ts";
import { summarize } from "./stats.ts";
import type { AlternativeResult } from "./takeover_alternatives.ts";

const WORKER = fileURLToPath(new URL("./bullmq_worker.ts", import.meta.url));

export async function bullmqStalledRecovery(
  jobs: number,
  timeoutMs: number,
  waitMs: number,
): Promise<AlternativeResult> {
  const server = await RedisServer.start();
  const connection = { host: "127.0.0.1", port: server.port, maxRetriesPerRequest: null };
  const queue = new Queue("bench", { connection });
  try {
    await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: "job", data: { i } })));
    const child = spawn("node", ["--import", "tsx", WORKER], {
      env: {
        ...process.env,
        REDIS_PORT: String(server.port),
        TIMEOUT_MS: String(timeoutMs),
        CONCURRENCY: String(jobs),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let active = 0;
    child.stdout!.on("data", (chunk: Buffer) => {
      active += chunk.toString().split("\n").filter((l) => l === "active").length;
    });
    await waitUntil(() => active >= jobs, { timeoutMs: 60_000, message: "jobs active" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const killedAt = Date.now();
    child.kill("SIGKILL");
    await exited;
    const started: number[] = [];
    const survivor = new Worker("bench", () => {
      started.push(Date.now() - killedAt);
      return Promise.resolve();
    }, { connection, concurrency: jobs, lockDuration: timeoutMs, stalledInterval: timeoutMs });
    await waitUntil(() => started.length >= jobs, { timeoutMs: waitMs }).catch(() => {});
    await survivor.close(true);
    return { delay: summarize(started), missing: jobs - started.length, waitedMs: waitMs };
  } finally {
    await queue.close();
    await server.stop();
  }
}
