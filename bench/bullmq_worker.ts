/** A BullMQ worker that takes jobs and never finishes them: SIGKILLed by the takeover benchmark. */
import process from "node:process";
import { Worker } from "bullmq";

const timeoutMs = Number(process.env.TIMEOUT_MS ?? 2000);
const [host, port] = [process.env.REDIS_HOST ?? "127.0.0.1", Number(process.env.REDIS_PORT)];
const worker = new Worker("bench", () => new Promise(() => {}), {
  connection: { host, port, maxRetriesPerRequest: null },
  concurrency: Number(process.env.CONCURRENCY ?? 100),
  lockDuration: timeoutMs,
  stalledInterval: timeoutMs,
});
worker.on("active", () => console.log("active"));
await worker.waitUntilReady();
console.log("ready");
