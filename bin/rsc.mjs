#!/usr/bin/env node
// The `rsc` command for npx and bunx. An installed package runs its built
// JavaScript (dist/, made by npm pack); a checkout runs the TypeScript source:
// Bun and Deno as it is, Node through tsx.
import { existsSync } from "node:fs";

const built = new URL("../dist/src/cli/main.js", import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else if ("Bun" in globalThis || "Deno" in globalThis) {
  await import("../src/cli/main.ts");
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
