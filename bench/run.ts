/** Every benchmark scenario, at a chosen scale; bench/main.ts runs it and writes the report. */
import { bareAssignments, libraryAssignments } from "./assignment_throughput.ts";
import { ownershipCost } from "./heartbeat_cost.ts";
import { median } from "./stats.ts";
import { measureTakeover } from "./takeover.ts";
import { keyspaceOnly, xautoclaimReaper } from "./takeover_alternatives.ts";
import { bullmqStalledRecovery } from "./takeover_bullmq.ts";
import { machineInfo } from "./machine.ts";
import { bareMessages, libraryMessages } from "./message_throughput.ts";
import { bareBurst, libraryBurst } from "./burst_spread.ts";
import { type FeedRun, feedRun } from "./state_feed_cost.ts";

export type Scale = "smoke" | "default" | "full";

export const SCALES = {
  smoke: {
    repeats: 1,
    comparisonRepeats: 1,
    takeoverStreams: [1, 10],
    ttlKeys: [0, 1000],
    alternativesStreams: 10,
    keyspaceWaitMs: 3000,
    assignments: 200,
    ownedStreams: [10],
    costWindowMs: 1000,
    messages: 200,
    burstRepeats: 1,
    burstStreams: [100],
    feedStreams: [100],
  },
  default: {
    repeats: 3,
    /** Runs of each library-against-bare comparison: they are short and noisy. */
    comparisonRepeats: 5,
    takeoverStreams: [1, 100, 1000, 10_000],
    ttlKeys: [0, 10_000, 100_000],
    alternativesStreams: 100,
    keyspaceWaitMs: 30_000,
    assignments: 20_000,
    ownedStreams: [10, 1000, 10_000],
    costWindowMs: 5000,
    messages: 20_000,
    burstRepeats: 5,
    burstStreams: [100, 1000],
    feedStreams: [1000, 5000],
  },
  full: {
    repeats: 5,
    comparisonRepeats: 7,
    takeoverStreams: [1, 100, 1000, 10_000],
    ttlKeys: [0, 10_000, 100_000],
    alternativesStreams: 1000,
    keyspaceWaitMs: 30_000,
    assignments: 50_000,
    ownedStreams: [10, 1000, 10_000],
    costWindowMs: 10_000,
    messages: 100_000,
    burstRepeats: 10,
    burstStreams: [100, 1000],
    feedStreams: [1000, 10_000],
  },
} as const;

const HEARTBEAT_MS = 2000;

export async function runBenchmarks(scale: Scale, log: (line: string) => void = console.log) {
  const s = SCALES[scale];
  const takeover = [];
  for (const ttlKeys of s.ttlKeys) {
    for (const streams of s.takeoverStreams) {
      for (const notifications of [true, false]) {
        if (!notifications && ttlKeys !== 0) continue; // the sweeper alone is key-count blind
        const runs = [];
        for (let r = 0; r < s.repeats; r++) {
          runs.push(
            await measureTakeover({ streams, ttlKeys, notifications, heartbeatMs: HEARTBEAT_MS }),
          );
        }
        const result = {
          streams,
          ttlKeys,
          notifications,
          heartbeatMs: HEARTBEAT_MS,
          goalMs: runs[0]!.goalMs,
          p50: median(runs.map((x) => x.delay.p50)),
          p99: median(runs.map((x) => x.delay.p99)),
          max: Math.max(...runs.map((x) => x.delay.max)),
          afterExpiryP50: median(runs.map((x) => x.afterExpiry.p50)),
          afterExpiryP99: median(runs.map((x) => x.afterExpiry.p99)),
          afterExpiryMax: Math.max(...runs.map((x) => x.afterExpiry.max)),
          /** The fewest streams any run claimed within its wait (all of them when every run finished). */
          claimed: Math.min(...runs.map((x) => x.claimed)),
          repeats: runs.length,
        };
        log(`takeover ${JSON.stringify(result)}`);
        takeover.push(result);
      }
    }
  }
  const alternatives = [];
  for (const ttlKeys of [0, s.ttlKeys.at(-1)!]) {
    const keyspace = await keyspaceOnly(
      s.alternativesStreams,
      ttlKeys,
      HEARTBEAT_MS,
      s.keyspaceWaitMs,
    );
    alternatives.push({ design: "keyspace events alone (Go client)", ttlKeys, ...keyspace });
    log(`alternative keyspace-only ${ttlKeys} ${JSON.stringify(keyspace)}`);
  }
  const reaper = await xautoclaimReaper(s.alternativesStreams, HEARTBEAT_MS);
  alternatives.push({ design: "XAUTOCLAIM reaper every timeout/2", ttlKeys: 0, ...reaper });
  log(`alternative reaper ${JSON.stringify(reaper)}`);
  const bullmq = await bullmqStalledRecovery(
    s.alternativesStreams,
    HEARTBEAT_MS,
    10 * HEARTBEAT_MS,
  );
  alternatives.push({
    design: "BullMQ stalled-job check (lockDuration = stalledInterval)",
    ttlKeys: 0,
    ...bullmq,
  });
  log(`alternative bullmq ${JSON.stringify(bullmq)}`);

  const throughput = [];
  for (const consumers of [1, 4]) {
    const row = {
      consumers,
      entries: s.assignments,
      ...await againstBare(
        s.comparisonRepeats,
        () => libraryAssignments(s.assignments, consumers),
        () => bareAssignments(s.assignments, consumers),
      ),
    };
    log(`throughput ${JSON.stringify(row)}`);
    throughput.push(row);
  }

  const cost = await runOwnershipCost(scale, log);
  const messages = [];
  for (const batchSize of [1, 10, 100]) {
    const row = {
      batchSize,
      entries: s.messages,
      ...await againstBare(
        s.comparisonRepeats,
        () => libraryMessages(s.messages, batchSize),
        () => bareMessages(s.messages, batchSize),
      ),
    };
    log(`messages ${JSON.stringify(row)}`);
    messages.push(row);
  }
  const burst = await runBurstSpread(scale, log);
  const feed = await runStateFeedCost(scale, log);
  return {
    scale,
    machine: machineInfo(),
    takeover,
    alternatives,
    throughput,
    cost,
    messages,
    burst,
    feed,
  };
}

/**
 * Scenarios 3 and 4 alone (`BENCH_ONLY=cost`): for each K, the client without
 * and with the idle-time refresh of held LBS entries, one after the other.
 */
export async function runOwnershipCost(scale: Scale, log: (line: string) => void = console.log) {
  const s = SCALES[scale];
  const cost = [];
  for (const streams of s.ownedStreams) {
    for (const idleRefresh of [false, true]) {
      const row = await ownershipCost(streams, HEARTBEAT_MS, s.costWindowMs, idleRefresh);
      log(`cost ${JSON.stringify(row)}`);
      cost.push(row);
    }
  }
  return cost;
}

/**
 * Scenario 7 alone (`BENCH_ONLY=feed`): the state feed's cost per transition.
 * Runs with the feed off and on alternate; per row the medians of client and
 * redis-server CPU per transition, and their difference.
 */
export async function runStateFeedCost(scale: Scale, log: (line: string) => void = console.log) {
  const s = SCALES[scale];
  const rows = [];
  for (const streams of s.feedStreams) {
    const off: FeedRun[] = [];
    const on: FeedRun[] = [];
    for (let r = 0; r < s.comparisonRepeats; r++) {
      off.push(await feedRun(streams, false));
      on.push(await feedRun(streams, true));
    }
    const perTransitionUs = (runs: FeedRun[], pick: (x: FeedRun) => number) =>
      median(runs.map((x) => (1000 * pick(x)) / x.transitions));
    const row = {
      streams,
      transitions: on[0]!.transitions,
      feedEntries: Math.min(...on.map((x) => x.feedEntries)),
      clientOffUs: perTransitionUs(off, (x) => x.clientCpuMs),
      clientOnUs: perTransitionUs(on, (x) => x.clientCpuMs),
      redisOffUs: perTransitionUs(off, (x) => x.redisCpuMs),
      redisOnUs: perTransitionUs(on, (x) => x.redisCpuMs),
      repeats: off.length,
      date: new Date().toISOString(),
    };
    log(`feed ${JSON.stringify(row)}`);
    rows.push(row);
  }
  return rows;
}

/**
 * Scenario 6 alone (`BENCH_ONLY=burst`): bursts over 1 and 4 consumers, the
 * library against bare XREADGROUP readers. Per row, the medians over the
 * repeats of the largest and smallest consumer's share and of the time until
 * every stream was owned, and the worst run's largest share.
 */
export async function runBurstSpread(scale: Scale, log: (line: string) => void = console.log) {
  const s = SCALES[scale];
  const rows = [];
  for (const streams of s.burstStreams) {
    for (const consumers of [1, 4]) {
      for (const design of ["library", "bare"] as const) {
        if (design === "bare" && consumers === 1) continue; // nothing to spread
        const runs = [];
        for (let r = 0; r < s.burstRepeats; r++) {
          runs.push(
            design === "library"
              ? await libraryBurst(streams, consumers)
              : await bareBurst(streams, consumers),
          );
        }
        const row = {
          design,
          streams,
          consumers,
          fairShare: Math.ceil(streams / consumers),
          maxPerConsumer: median(runs.map((x) => x.perConsumer[0]!)),
          worstMaxPerConsumer: Math.max(...runs.map((x) => x.perConsumer[0]!)),
          minPerConsumer: median(runs.map((x) => x.perConsumer.at(-1)!)),
          allOwnedMs: median(runs.map((x) => x.allOwnedMs)),
          worstAllOwnedMs: Math.max(...runs.map((x) => x.allOwnedMs)),
          repeats: runs.length,
          date: new Date().toISOString(),
        };
        log(`burst ${JSON.stringify(row)}`);
        rows.push(row);
      }
    }
  }
  return rows;
}

/** Runs the library and the bare loop alternately, `repeats` times, and compares medians. */
async function againstBare(
  repeats: number,
  library: () => Promise<number>,
  bare: () => Promise<number>,
) {
  const libraryRates = [];
  const bareRates = [];
  for (let r = 0; r < repeats; r++) {
    libraryRates.push(await library());
    bareRates.push(await bare());
  }
  return {
    libraryPerSecond: median(libraryRates),
    barePerSecond: median(bareRates),
    ratio: median(libraryRates) / median(bareRates),
  };
}
