/**
 * A private redis-server for the dashboard when no REDIS_URL is given: a free
 * port on loopback, a temp dir, nothing persisted, removed on stop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";

/** A running redis-server this process started and stops. */
export interface OwnRedisServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts redis-server (from PATH) and waits until it answers PING. */
export async function startRedisServer(): Promise<OwnRedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "rsc-dashboard-"));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child: ChildProcess = spawn("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
  ], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const failed = new Promise<never>((_, reject) =>
    child.once("error", (cause) => reject(new Error("redis-server could not start", { cause })))
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([answersPing(url), failed]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

async function answersPing(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      if (client.isOpen) client.destroy();
    }
  }
  throw new Error(`redis-server at ${url} did not answer PING within 10 s`);
}

/** Asks the OS for a free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
