/**
 * The consumer processes the dashboard starts: one child process each, on
 * Node, Deno or Bun, which it can kill (SIGKILL, no cleanup), stall (SIGSTOP,
 * then SIGCONT) and stop (SIGTERM: `done()`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** A runtime a consumer can run on. */
export type Runtime = "node" | "deno" | "bun";

/** The runtimes in the order new consumers cycle through them. */
export const RUNTIMES: readonly Runtime[] = ["node", "deno", "bun"];

/** What the dashboard knows of a process it started. */
export interface ConsumerProcessInfo {
  readonly id: string;
  readonly runtime: Runtime;
  readonly pid: number;
  state: "starting" | "alive" | "stalled" | "dead";
  readonly startedAt: number;
  killedAt?: number;
  stalledAt?: number;
  stalledUntil?: number;
}

export interface ConsumerProcessesOptions {
  readonly redisUrl: string;
  readonly service: string;
  readonly heartbeatMs: number;
  readonly eventsStream: string;
  /** Called whenever a process changes state. */
  readonly onChange: () => void;
  readonly log: (line: string) => void;
}

const MAIN = fileURLToPath(new URL("./consumer_main.ts", import.meta.url));

/** The command that runs a TypeScript file on a runtime, so that its pid is the consumer's own. */
export function runtimeCommand(runtime: Runtime, file: string): [string, string[]] {
  if (runtime === "deno") return [binary("deno"), ["run", "-A", "--no-check", file]];
  if (runtime === "bun") return [binary("bun"), [file]];
  // `node --import tsx` rather than the tsx binary, which runs node as a child of its own.
  const node = currentRuntime() === "node" ? process.execPath : "node";
  return [node, ["--import", "tsx", file]];
}

function currentRuntime(): Runtime {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  return g.Deno ? "deno" : g.Bun ? "bun" : "node";
}

/** The project's own Deno or Bun (devDependencies), else the one on PATH. */
function binary(name: string): string {
  if (currentRuntime() === name) return process.execPath;
  const local = fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
  return existsSync(local) ? local : name;
}

/** The dashboard's consumer processes. */
export class ConsumerProcesses {
  readonly #options: ConsumerProcessesOptions;
  readonly #children = new Map<string, { info: ConsumerProcessInfo; child: ChildProcess }>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #started = 0;

  constructor(options: ConsumerProcessesOptions) {
    this.#options = options;
  }

  /** Every process started, dead ones included. */
  list(): ConsumerProcessInfo[] {
    return [...this.#children.values()].map(({ info }) => ({ ...info }));
  }

  get(id: string): ConsumerProcessInfo | undefined {
    return this.#children.get(id)?.info;
  }

  /** Starts a consumer (on the next runtime in turn unless told); resolves once it reads. */
  start(
    runtime: Runtime = RUNTIMES[this.#started % RUNTIMES.length]!,
  ): Promise<ConsumerProcessInfo> {
    const id = `${runtime}-${++this.#started}`;
    const [command, args] = runtimeCommand(runtime, MAIN);
    const { redisUrl, service, heartbeatMs, eventsStream } = this.#options;
    const child = spawn(command, args, {
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        SERVICE: service,
        CONSUMER_ID: id,
        HEARTBEAT_MS: String(heartbeatMs),
        EVENTS_STREAM: eventsStream,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const info: ConsumerProcessInfo = {
      id,
      runtime,
      pid: child.pid ?? -1,
      state: "starting",
      startedAt: Date.now(),
    };
    this.#children.set(id, { info, child });
    this.#options.onChange();
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      for (const line of chunk.split("\n")) if (line.trim()) this.#options.log(`${id}: ${line}`);
    });
    return new Promise((resolve, reject) => {
      child.stdout!.setEncoding("utf8");
      child.stdout!.on("data", (chunk: string) => {
        if (info.state === "starting" && chunk.includes("ready")) {
          info.state = "alive";
          this.#options.onChange();
          resolve({ ...info });
        }
      });
      child.once("exit", (code, signal) => {
        const wasStarting = info.state === "starting";
        info.state = "dead";
        this.#options.onChange();
        if (wasStarting) reject(new Error(`${id} exited before it was ready (${signal ?? code})`));
      });
      child.once("error", (error) => {
        info.state = "dead";
        this.#options.onChange();
        reject(new Error(`${id} could not start: ${error.message}`, { cause: error }));
      });
    });
  }

  /** SIGKILL: the consumer dies without releasing anything, as in a crash. */
  kill(id: string): ConsumerProcessInfo {
    const entry = this.#live(id);
    entry.info.killedAt = Date.now();
    signal(entry.info.pid, "SIGKILL"); // a stopped process dies too
    this.#options.onChange();
    return { ...entry.info };
  }

  /** SIGSTOP for `ms`, then SIGCONT: the consumer stalls past its locks' TTL and wakes up. */
  stall(id: string, ms: number): ConsumerProcessInfo {
    const entry = this.#live(id);
    if (entry.info.state === "stalled") throw new Error(`${id} is stalled already`);
    process.kill(entry.info.pid, "SIGSTOP");
    entry.info.state = "stalled";
    entry.info.stalledAt = Date.now();
    entry.info.stalledUntil = entry.info.stalledAt + ms;
    this.#options.onChange();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#wake(entry.info);
    }, ms);
    this.#timers.add(timer);
    return { ...entry.info };
  }

  /** SIGTERM to every live process (each calls `done()`), SIGKILL to those still there after `graceMs`. */
  async stopAll(graceMs = 5000): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const live = [...this.#children.values()].filter(({ info }) => info.state !== "dead");
    await Promise.all(live.map(async ({ info, child }) => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      this.#wake(info);
      signal(info.pid, "SIGTERM");
      const timer = setTimeout(() => signal(info.pid, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }));
  }

  #wake(info: ConsumerProcessInfo): void {
    if (info.state !== "stalled") return;
    signal(info.pid, "SIGCONT");
    info.state = "alive";
    info.stalledUntil = undefined;
    this.#options.onChange();
  }

  #live(id: string) {
    const entry = this.#children.get(id);
    if (!entry) throw new RangeError(`no consumer ${id}`);
    if (entry.info.state === "dead") throw new Error(`${id} is dead already`);
    return entry;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}
