/** Runs the `rsc` CLI as a child process of the current runtime, as a user would. */
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtimeCommand } from "../fixture/consumer_process.ts";

const MAIN = fileURLToPath(new URL("../../bin/rsc.mjs", import.meta.url));

export interface RscResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RscOptions {
  /** Extra environment (REDIS_URL, NO_COLOR, …); REDIS_URL is unset otherwise. */
  readonly env?: Record<string, string>;
  /** Kill it after this long (a test bug, not an outcome). @default 30000 */
  readonly timeoutMs?: number;
  /** Called with the child once it runs (to send it SIGINT). */
  readonly started?: (child: ReturnType<typeof spawn>) => void;
}

/** Runs `rsc ...args` to its end. */
export function rsc(args: readonly string[], options: RscOptions = {}): Promise<RscResult> {
  const [command, runtimeArgs] = runtimeCommand(MAIN);
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (!options.env?.REDIS_URL) delete env.REDIS_URL;
  const began = Date.now();
  const child = spawn(command, [...runtimeArgs, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  options.started?.(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - began });
    })
  );
}

/** Runs `rsc ...args --json` and parses its one JSON document; fails on a non-zero exit. */
export async function rscJson<T = Record<string, unknown>>(
  args: readonly string[],
  options?: RscOptions,
): Promise<T> {
  const result = await rsc([...args, "--json"], options);
  if (result.code !== 0) {
    throw new Error(`rsc ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}
