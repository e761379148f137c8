/** What machine and runtimes produced the numbers. */
import { execFileSync } from "node:child_process";
import os from "node:os";
import process from "node:process";

export function machineInfo() {
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" }).split("\n")[0]!.trim();
    } catch {
      return "unavailable";
    }
  };
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    runtime: (globalThis as { Deno?: unknown }).Deno
      ? "deno"
      : (globalThis as { Bun?: unknown }).Bun
      ? "bun"
      : `node ${process.version}`,
    node: version("node", ["--version"]),
    deno: version("deno", ["--version"]),
    bun: version("bun", ["--version"]),
    redis: version("redis-server", ["--version"]),
    date: new Date().toISOString(),
  };
}
