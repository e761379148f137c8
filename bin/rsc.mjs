#!/usr/bin/env node
// The `rsc` command for npx, bunx and `deno task rsc`. In a checkout it runs
// the TypeScript source (Bun and Deno as it is, Node through tsx) and offers
// the dashboard; an installed package runs its built JavaScript (dist/).
import { existsSync } from "node:fs";

const source = new URL("../src/cli/process_main.ts", import.meta.url);
const checkout = existsSync(source);
if (checkout && !("Bun" in globalThis || "Deno" in globalThis)) {
  const { register } = await import("tsx/esm/api");
  register();
}
const entry = checkout ? source : new URL("../dist/src/cli/process_main.js", import.meta.url);
const { runInProcess } = await import(entry.href);
const dashboard = new URL("../dashboard/mod.ts", import.meta.url);
await runInProcess({
  loadDashboard: existsSync(dashboard)
    ? async () => (await import(dashboard.href)).runDashboard
    : undefined,
});
