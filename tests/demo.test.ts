/** The terminal failover demo (`npm run demo:terminal`) runs to the end: it must not rot unnoticed. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runtimeCommand } from "./fixture/consumer_process.ts";

describe("failover demo", () => {
  it("takes the crashed consumer's streams over and ends cleanly", async () => {
    const demo = fileURLToPath(new URL("../examples/failover_demo.ts", import.meta.url));
    const [command, args] = runtimeCommand(demo);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    assert.equal(code, 0, output);
    assert.match(output, /all \d+ orphaned streams taken over/);
    assert.match(output, /\bdone\n/);
  });
});
