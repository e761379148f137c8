/** README's main command: the dashboard starts, prints its URL line, serves the page, and stops clean. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import { currentRuntime, runtimeCommand } from "../fixture/consumer_process.ts";
import { waitUntil } from "../fixture/wait.ts";

const MAIN = fileURLToPath(new URL("../../dashboard/main.ts", import.meta.url));

describe("dashboard command", () => {
  it("prints its URL on a line of its own, serves the page and its live feed, and stops what it started", async () => {
    const [command, args] = runtimeCommand(MAIN);
    const env = { ...process.env, REDIS_URL: "" };
    const child = spawn(command, [...args, "--port", "0", "--consumers", "0"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const url = (await waitUntil(
        () => /^dashboard: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output)?.[1],
        { timeoutMs: 60_000, message: "the dashboard's URL line" },
      ))!;
      const redisUrl = /^redis: (redis:\/\/127\.0\.0\.1:\d+) \(started/m.exec(output)?.[1];
      assert.ok(redisUrl, output);

      const page = await fetch(url);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<script type="module" src="\/assets\/app\.js"><\/script>/);
      assert.doesNotMatch(html, /https?:\/\//, "the page loads nothing from elsewhere");
      for (const asset of ["/assets/app.js", "/assets/app.css"]) {
        const response = await fetch(url + asset);
        assert.equal(response.status, 200, asset);
        // No URL but loopback's, and the SVG namespace (a name, never fetched).
        const text = (await response.text()).replaceAll("http://www.w3.org/2000/svg", "");
        assert.doesNotMatch(text, /https?:\/\/(?!127\.0\.0\.1)/, asset);
      }

      // The live feed: the stream machine's layout, then a snapshot of the fleet.
      const abort = new AbortController();
      const events = await fetch(`${url}/events`, { signal: abort.signal });
      assert.equal(events.headers.get("content-type")?.split(";")[0], "text/event-stream");
      const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!/event: snapshot\ndata: .*\n/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      abort.abort();
      await reader.cancel().catch(() => {});
      const chart = JSON.parse(/event: chart\ndata: (.*)\n/.exec(text)![1]!);
      assert.deepEqual(
        chart.compact.nodes.map((n: { id: string }) => n.id).sort(),
        [
          "acquired",
          "assigned",
          "claimed",
          "disowned",
          "expired",
          "heartbeating",
          "lost",
          "released",
          "releasing",
        ],
      );
      const snapshot = JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)![1]!);
      assert.equal(snapshot.service, "demo");
      assert.equal(snapshot.ownRedis, true);

      process.kill(child.pid!, "SIGTERM");
      assert.equal(await exited, 0, output);
      // Its own redis-server went with it.
      const probe = createClient({ url: redisUrl, socket: { reconnectStrategy: false } });
      probe.on("error", () => {});
      await assert.rejects(probe.connect());
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    }
  });

  // The commands README gives, each through its own tool: a task that resolves a runtime wrongly
  // (deno task ran node_modules/.bin/deno as a script) fails here. Run from Node only: it
  // starts all three runtimes itself.
  const commands: [string, string[]][] = [
    ["npm", ["run", "demo", "--", "--port", "0", "--consumers", "0"]],
    ["deno", ["task", "demo", "--port", "0", "--consumers", "0"]],
    ["npm", ["run", "demo:bun", "--", "--port", "0", "--consumers", "0"]],
  ];
  for (const [tool, toolArgs] of commands) {
    it(`\`${tool} ${toolArgs.slice(0, 2).join(" ")}\` prints the URL line and stops on Ctrl-C`, {
      skip: currentRuntime() === "node" ? false : "run from Node only (it starts every runtime)",
    }, async () => {
      const bin = fileURLToPath(new URL("../../node_modules/.bin", import.meta.url));
      const child = spawn(tool, toolArgs, {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        env: { ...process.env, REDIS_URL: "", PATH: `${bin}:${process.env.PATH}` },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true, // its own process group, which Ctrl-C (SIGINT to the group) reaches whole
      });
      let output = "";
      child.stdout!.on("data", (chunk) => (output += chunk));
      child.stderr!.on("data", (chunk) => (output += chunk));
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        await waitUntil(() => /^dashboard: http:\/\/127\.0\.0\.1:\d+$/m.test(output), {
          timeoutMs: 60_000,
          message: `${tool} ${toolArgs[1]} to print the URL line`,
        }).catch((error) => assert.fail(`${error.message}; output:\n${output}`));
        process.kill(-child.pid!, "SIGINT");
        await exited;
        assert.match(output, /^dashboard: http:\/\/127\.0\.0\.1:\d+$/m);
      } finally {
        if (child.exitCode === null && child.signalCode === null) {
          process.kill(-child.pid!, "SIGKILL");
        }
        await exited;
      }
    });
  }
});
