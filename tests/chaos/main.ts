/** The long chaos run: `npm run chaos -- [seconds] [seed]`. */
import process from "node:process";
import { formatReport, runChaos } from "./chaos_run.ts";

const seconds = Number(process.argv[2] ?? 120);
const seed = Number(process.argv[3] ?? Date.now() % 100_000);
console.log(`chaos: ${seconds} s, seed ${seed}`);
const report = await runChaos({
  durationMs: seconds * 1000,
  consumers: 5,
  streams: 200,
  malformed: 10,
  heartbeatMs: 500,
  runtimes: ["node", "deno", "bun"],
  seed,
  faultEveryMs: 2000,
});
console.log(formatReport(report));
process.exit(report.violations.length === 0 ? 0 : 1);
