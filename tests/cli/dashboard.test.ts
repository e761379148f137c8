/** rsc dashboard runs the README's dashboard on a given Redis until Ctrl-C. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import process from "node:process";
import { useRedis } from "../fixture/use_redis.ts";
import { waitUntil } from "../fixture/wait.ts";
import { rsc } from "./run_rsc.ts";

describe("rsc dashboard", () => {
  const db = useRedis();

  it("prints its URL on a line of its own, serves the page, and stops on SIGINT with exit 0", async () => {
    let child: ChildProcess | undefined;
    let output = "";
    const run = rsc(["dashboard", "--consumers", "0", "--url", db.server.url], {
      started: (c) => {
        child = c;
        c.stdout!.on("data", (chunk) => (output += chunk));
      },
      timeoutMs: 60_000,
    });
    const url = (await waitUntil(
      () => /^dashboard: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output)?.[1],
      { timeoutMs: 50_000, message: "the dashboard's URL line" },
    ))!;
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/assets\/app\.js">/);
    process.kill(child!.pid!, "SIGINT");
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
  });
});
