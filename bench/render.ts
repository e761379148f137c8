/** Regenerates BENCHMARKS.md from bench/results.json without running anything. */
import { readFile, writeFile } from "node:fs/promises";
import { renderReport } from "./report.ts";

const results = JSON.parse(await readFile(new URL("./results.json", import.meta.url), "utf8"));
await writeFile(new URL("../BENCHMARKS.md", import.meta.url), renderReport(results));
console.log("wrote BENCHMARKS.md from bench/results.json");
