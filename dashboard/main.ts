/**
 * `npm run demo`: the dashboard. Starts its own redis-server unless REDIS_URL
 * is set, three consumer processes (Node, Deno, Bun) unless pointed at an
 * existing Redis, and serves the page on 127.0.0.1.
 *
 *   npm run demo -- --port 8080 --consumers 4
 *   REDIS_URL=redis://127.0.0.1:6379 SERVICE=orders npm run demo   # show what is there
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { runDashboard } from "./run_dashboard.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    port: { type: "string" },
    consumers: { type: "string" },
    service: { type: "string" },
  },
});

const dashboard = await runDashboard({
  port: values.port === undefined ? undefined : Number(values.port),
  consumers: values.consumers === undefined ? undefined : Number(values.consumers),
  service: values.service ?? process.env.SERVICE,
  redisUrl: process.env.REDIS_URL || undefined,
});
console.log("open the page above; Ctrl-C stops everything this command started");

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await dashboard.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
