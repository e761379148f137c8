/**
 * A chaos run: consumer processes on Node, Deno and Bun share streams while
 * faults are injected at random (seeded), and an observer checks invariants:
 *
 * - fencing: a stream's committed fence never goes backwards (a stale owner
 *   that wakes up cannot commit);
 * - takeover: no stream stays without a live lock longer than the bound
 *   (outside the seconds right after a Redis restart);
 * - accounting: at the end every LBS entry is owned, done or dead-lettered.
 */
import { addStream, lbsDeadLetterKey, lbsStreamKey, lockKey } from "../../mod.ts";
import { ConsumerProcess, type Runtime } from "../fixture/consumer_process.ts";
import { RedisServer, uniqueName } from "../fixture/redis_server.ts";
import { waitUntil } from "../fixture/wait.ts";

export interface ChaosOptions {
  readonly durationMs: number;
  readonly consumers: number;
  readonly streams: number;
  readonly malformed: number;
  readonly heartbeatMs: number;
  readonly runtimes: readonly Runtime[];
  readonly seed: number;
  readonly faultEveryMs: number;
}

export interface ChaosReport {
  readonly actions: Record<string, number>;
  readonly observed: Record<string, number>;
  readonly violations: string[];
}

const FAULTS = ["kill-restart", "stop-cont", "redis-restart", "kill-subscribers"] as const;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const random = mulberry32(options.seed);
  const server = await RedisServer.start({
    args: ["--appendonly", "yes", "--appendfsync", "always"],
  });
  const redis = await server.connect();
  const service = uniqueName("chaos");
  const actions: Record<string, number> = Object.fromEntries(FAULTS.map((f) => [f, 0]));
  const violations: string[] = [];
  const reconcileMs = 1000;
  const boundMs = options.heartbeatMs + reconcileMs + 1500;

  const env = (id: string) => ({
    REDIS_URL: server.url,
    SERVICE: service,
    CONSUMER_ID: id,
    HEARTBEAT_MS: String(options.heartbeatMs),
    AUTO_CLAIM: "1",
    FINISH_AFTER_MS: String(options.durationMs / 2),
    COMMIT_EVERY_MS: "100",
    RECONCILE_MS: String(reconcileMs),
  });
  const slots = Array.from({ length: options.consumers }, (_, i) => {
    const id = `chaos-${i}`;
    const runtime = options.runtimes[i % options.runtimes.length]!;
    return {
      id,
      runtime,
      process: new ConsumerProcess(env(id), runtime),
      history: [] as ConsumerProcess[],
    };
  });
  await Promise.all(slots.map((s) => s.process.ready(60_000)));

  const names = new Map<string, string>(); // LBS id → stream name
  const malformedIds: string[] = [];
  const lastFence = new Map<string, number>();
  const orphanSince = new Map<string, number>();
  const orphanDurations: number[] = [];
  let quietUntil = 0; // orphan checks pause right after a Redis restart
  const started = Date.now();

  // Produce: streams spread over the first third, malformed entries among them. A producer
  // retries through a Redis restart (a retry after a lost reply may add a duplicate entry,
  // which is then one more stream to account for).
  const produce = async (add: () => Promise<string>): Promise<string> => {
    for (;;) {
      try {
        return await add();
      } catch {
        await sleep(100);
      }
    }
  };
  const producing = (async () => {
    for (let i = 0; i < options.streams; i++) {
      const name = `chaos-stream-${i}`;
      names.set(
        await produce(() => addStream(redis, service, { dataStreamName: name, info: { i } })),
        name,
      );
      if (i % Math.ceil(options.streams / Math.max(1, options.malformed)) === 0) {
        if (malformedIds.length < options.malformed) {
          malformedIds.push(
            await produce(() => redis.xAdd(lbsStreamKey(service), "*", { "lbs-input": "{oops" })),
          );
        }
      }
      await sleep(options.durationMs / 3 / options.streams);
    }
  })();

  const observing = (async () => {
    while (Date.now() - started < options.durationMs) {
      await observe().catch(() => {/* Redis restarting: the next sample will see */});
      await sleep(50);
    }
  })();

  async function observe() {
    const ids = [...names.keys()];
    if (ids.length === 0) return;
    const now = Date.now();
    const [commits, locks, entries] = await Promise.all([
      redis.mGet(ids.map((id) => `${names.get(id)}:commit`)),
      redis.mGet(ids.map((id) => lockKey(names.get(id)!, id))),
      Promise.all(ids.map((id) => redis.xRange(lbsStreamKey(service), id, id))),
    ]);
    ids.forEach((id, i) => {
      const fence = Number(commits[i] ?? 0);
      const previous = lastFence.get(id) ?? 0;
      if (fence < previous) {
        violations.push(`fence of ${names.get(id)} went back from ${previous} to ${fence}`);
      }
      lastFence.set(id, Math.max(fence, previous));
      const pending = (entries[i]?.length ?? 0) > 0;
      if (!pending || locks[i] !== null) {
        const since = orphanSince.get(id);
        if (since !== undefined) orphanDurations.push(now - since);
        orphanSince.delete(id);
      } else if (!orphanSince.has(id)) {
        orphanSince.set(id, now);
      } else if (now > quietUntil && now - orphanSince.get(id)! > boundMs) {
        violations.push(`${names.get(id)} had no owner for over ${boundMs} ms`);
        orphanSince.set(id, Number.POSITIVE_INFINITY); // report once
      }
    });
  }

  // Faults, one at a time.
  while (Date.now() - started < options.durationMs - 1000) {
    await sleep(options.faultEveryMs * (0.5 + random()));
    const fault = FAULTS[Math.floor(random() * FAULTS.length)]!;
    const slot = slots[Math.floor(random() * slots.length)]!;
    actions[fault]! += 1;
    if (fault === "kill-restart") {
      await slot.process.kill();
      slot.history.push(slot.process);
      slot.process = new ConsumerProcess(env(slot.id), slot.runtime);
      await slot.process.ready(60_000);
    } else if (fault === "stop-cont") {
      slot.process.signal("SIGSTOP");
      await sleep(options.heartbeatMs * 2.5);
      slot.process.signal("SIGCONT");
    } else if (fault === "redis-restart") {
      quietUntil = Date.now() + 8000;
      orphanSince.clear();
      await server.restart();
    } else {
      await redis.clientKill({ filter: "TYPE", type: "pubsub" } as never).catch(() => {});
    }
  }
  await producing;
  await observing;

  // Accounting, once the faults stop: every entry ends owned, done (with fenced proof) or
  // dead-lettered. It is one condition with a deadline, not a one-off walk: a consumer starved
  // of CPU can still lose locks to expiry now, and a stream caught in the middle of a takeover
  // is not a lost one. What is unaccounted for at the deadline is a violation.
  const all = slots.flatMap((s) => [...s.history, s.process]);
  const doneIds = new Set(
    all.flatMap((p) => p.events).filter((e) => e.event === "done").map((e) => e.payload!.idInLbs),
  );
  const account = async () => {
    const ids = [...names.keys()];
    const [locks, proofs, entries] = await Promise.all([
      redis.mGet(ids.map((id) => lockKey(names.get(id)!, id))),
      redis.mGet(ids.map((id) => `${names.get(id)}:done`)), // written only by a fenced owner
      Promise.all(ids.map((id) => redis.xRange(lbsStreamKey(service), id, id))),
    ]);
    return ids.map((id, i) => ({
      id,
      name: names.get(id)!,
      pending: (entries[i]?.length ?? 0) > 0,
      locked: locks[i] !== null,
      finished: proofs[i] !== null,
    }));
  };
  type Account = Awaited<ReturnType<typeof account>>[number];
  const accountedFor = (a: Account) => (a.pending ? a.locked : a.finished);
  let accounts: Account[] = [];
  await waitUntil(async () => {
    accounts = await account();
    return accounts.every(accountedFor);
  }, { timeoutMs: 20_000, message: "every entry to be owned, done or dead-lettered" }).catch(
    () => {/* reported per entry below */},
  );
  const deadIds = new Set(
    ((await redis.xRange(lbsDeadLetterKey(service), "-", "+")) ?? []).map((e) =>
      e!.message.original_id
    ),
  );
  const owned = accounts.filter((a) => a.pending && a.locked).length;
  const finishedCount = accounts.filter((a) => !a.pending && a.finished).length;
  for (const { id, name, pending, locked, finished } of accounts.filter((a) => !accountedFor(a))) {
    const [pel] = await redis.xPendingRange(lbsStreamKey(service), `${service}-group`, id, id, 1);
    const story = slots.flatMap((slot) =>
      [...slot.history, slot.process].flatMap((p) =>
        p.events.filter((e) => e.payload?.idInLbs === id).map((e) =>
          `${slot.id}:${e.event}${e.type ? `/${e.type}` : ""}${e.fence ? `#${e.fence}` : ""}`
        )
      )
    );
    violations.push(
      `${name} (${id}) is neither owned, done nor dead-lettered ` +
        `(in LBS: ${pending}, pending for: ${pel?.consumer ?? "nobody"}, locked: ${locked}, ` +
        `done proof: ${finished}, dead-lettered: ${deadIds.has(id)}; ${story.join(" ")})`,
    );
  }
  for (const id of malformedIds) {
    if (!deadIds.has(id)) violations.push(`malformed entry ${id} was not dead-lettered`);
  }

  const events = all.flatMap((p) => p.events);
  const count = (pred: (e: (typeof events)[number]) => boolean) => events.filter(pred).length;
  orphanDurations.sort((a, b) => a - b);
  const observed = {
    "streams added": names.size,
    "malformed entries": malformedIds.length,
    "assignments (StreamAdded)": count((e) => e.type === "StreamAdded"),
    "takeovers (claimed)": count((e) => e.event === "claimed"),
    "claims lost to a peer": count((e) => e.event === "claim-failed"),
    "StreamDisowned": count((e) => e.type === "StreamDisowned"),
    "stale commits refused": count((e) => e.event === "commit-refused"),
    "streams done": doneIds.size,
    "streams finished (fenced proof)": finishedCount,
    "streams owned at the end": owned,
    "dead-lettered": deadIds.size,
    "orphan windows": orphanDurations.length,
    "orphan windows <= 250 ms (%)": orphanDurations.length === 0
      ? 100
      : Math.round(100 * orphanDurations.filter((d) => d <= 250).length / orphanDurations.length),
    "orphan p99 ms": percentile(orphanDurations, 0.99),
    "orphan max ms": orphanDurations.at(-1) ?? 0,
    "takeover bound ms": boundMs,
    violations: violations.length,
  };
  await Promise.all(all.map((p) => p.kill()));
  redis.destroy();
  await server.stop();
  return { actions, observed, violations };
}

/** Renders a report as two small tables. */
export function formatReport(report: ChaosReport): string {
  const rows = (record: Record<string, number>) =>
    Object.entries(record).map(([k, v]) => `| ${k.padEnd(31)} | ${String(v).padStart(8)} |`).join(
      "\n",
    );
  return [
    "| fault injected                  |    count |",
    "| ------------------------------- | -------: |",
    rows(report.actions),
    "",
    "| observed                        |    value |",
    "| ------------------------------- | -------: |",
    rows(report.observed),
    ...report.violations.map((v) => `VIOLATION: ${v}`),
  ].join("\n");
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small seeded PRNG so a failing run can be replayed. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
