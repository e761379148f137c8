/**
 * Regenerates the state diagrams embedded in README.md and docs/ARCHITECTURE.md
 * from the machines (`npm run diagrams`, `deno task diagrams`). With `--check`
 * it only reports the files whose diagrams are out of date, and exits 1.
 */
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { embedDiagrams } from "../src/diagrams/embed.ts";

/** The files that embed diagrams, relative to the repository root. */
export const DIAGRAM_FILES: readonly string[] = ["README.md", "docs/ARCHITECTURE.md"];

const root = new URL("../", import.meta.url);
const check = process.argv.includes("--check");
const stale: string[] = [];
for (const file of DIAGRAM_FILES) {
  const url = new URL(file, root);
  const text = readFileSync(url, "utf8");
  const fresh = embedDiagrams(text);
  if (fresh === text) continue;
  stale.push(file);
  if (!check) writeFileSync(url, fresh);
}
if (check && stale.length > 0) {
  console.error(`diagrams out of date in ${stale.join(", ")}: run npm run diagrams`);
  process.exit(1);
}
console.log(
  stale.length === 0 ? "diagrams up to date" : `diagrams rewritten in ${stale.join(", ")}`,
);
