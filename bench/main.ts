/**
 * `npm run bench`: runs every scenario against redis-servers it starts itself,
 * writes bench/results.json and regenerates BENCHMARKS.md.
 *
 *   BENCH_SCALE=smoke|default|full npm run bench     (default: "default")
 *   BENCH_ONLY=burst npm run bench    (only scenario 6; the other results are kept)
 *   BENCH_ONLY=cost npm run bench     (only scenarios 3 and 4, likewise)
 *   BENCH_ONLY=feed npm run bench     (only scenario 7, the state feed's cost)
 *   deno run -A bench/main.ts   |   bun bench/main.ts
 */
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { renderReport } from "./report.ts";
import {
  runBenchmarks,
  runBurstSpread,
  runOwnershipCost,
  runStateFeedCost,
  type Scale,
} from "./run.ts";

const scale = (process.env.BENCH_SCALE ?? "default") as Scale;
const only = process.env.BENCH_ONLY;
if (only !== undefined && only !== "burst" && only !== "cost" && only !== "feed") {
  throw new RangeError(`BENCH_ONLY must be "burst", "cost" or "feed"`);
}
const kept = () => readFile(new URL("./results.json", import.meta.url), "utf8").then(JSON.parse);
const results = only === "burst"
  ? { ...await kept(), burst: await runBurstSpread(scale) }
  : only === "cost"
  ? { ...await kept(), cost: await runOwnershipCost(scale) }
  : only === "feed"
  ? { ...await kept(), feed: await runStateFeedCost(scale) }
  : await runBenchmarks(scale);
await writeFile(
  new URL("./results.json", import.meta.url),
  JSON.stringify(results, null, 2) + "\n",
);
await writeFile(new URL("../BENCHMARKS.md", import.meta.url), renderReport(results));
console.log("wrote bench/results.json and BENCHMARKS.md");
process.exit(0);
