/**
 * A throwaway redis-server for the examples: started on a free loopback port
 * in a temp dir, with no persistence, and removed by `stop()`. Needs
 * `redis-server` on PATH. Not part of the published package.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";

/** A running local redis-server. */
export interface LocalRedis {
  readonly url: string;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

/** Starts a redis-server and resolves once it answers PING (10 s at most). */
export async function startLocalRedis(): Promise<LocalRedis> {
  const dir = await mkdtemp(join(tmpdir(), "rsc-example-"));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child = spawn("redis-server", [
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
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(url))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server did not start on port ${port} (is it on PATH?)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { url, stop };
}

/** Whether a redis-server answers PING at `url` (one short-lived connection). */
export async function answersPing(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
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
