/** Exit codes, help on bad usage, and failing fast on an unreachable Redis without leaking its password. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { freePort } from "../fixture/redis_server.ts";
import { rsc } from "./run_rsc.ts";

describe("rsc usage and failures", () => {
  it("--help prints the commands and exits 0; a sub-command's --help shows its options", async () => {
    const [root, sub] = await Promise.all([rsc(["--help"]), rsc(["produce", "--help"])]);
    assert.equal(root.code, 0, root.stderr);
    for (const name of ["owners", "consumers-index", "pending", "dead-lbs", "watch", "diagram"]) {
      assert.match(root.stdout, new RegExp(`^  ${name} `, "m"));
    }
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /Usage: rsc produce \[options\] <stream>/);
    assert.match(sub.stdout, /--payload <payload>/);
  });

  it("bad usage exits 2 and prints the help of that sub-command", async () => {
    const cases = await Promise.all([
      rsc([]),
      rsc(["dead"]),
      rsc(["produce", "s", "--type", "t"]), // --payload missing
      rsc(["pending", "svc", "--count", "zero"]),
      rsc(["add", "svc", "s", "--info", "[1]"]),
      rsc(["diagram", "nope"]),
      rsc(["no-such-command"]),
      rsc(["groups"]),
    ]);
    const [none, dead, produce, pending, add, diagram, unknown, groups] = cases;
    for (const result of cases) assert.equal(result.code, 2, result.stderr);
    assert.match(none!.stderr, /Usage: rsc \[options\] \[command\]/);
    assert.match(dead!.stderr, /Usage: rsc dead/);
    assert.match(produce!.stderr, /required option '--payload <payload>' not specified/);
    assert.match(produce!.stderr, /Usage: rsc produce/);
    assert.match(pending!.stderr, /Expected a whole number ≥ 1/);
    assert.match(pending!.stderr, /Usage: rsc pending/);
    assert.match(add!.stderr, /Expected a JSON object/);
    assert.match(diagram!.stderr, /Allowed choices are stream, supervisor/);
    assert.match(unknown!.stderr, /unknown command 'no-such-command'/);
    assert.match(groups!.stderr, /missing required argument 'stream'/);
    assert.match(groups!.stderr, /Usage: rsc groups/);
  });

  it("an unreachable Redis fails with exit 1 within seconds, naming the URL without its password", async () => {
    const port = await freePort(); // nothing listens there
    const byOption = await rsc([
      "owners",
      "svc",
      "--url",
      `redis://ops:s3cret-pw@127.0.0.1:${port}`,
    ]);
    const byEnv = await rsc(["groups", "s"], {
      env: { REDIS_URL: `rediss://ops:s3cret-pw@127.0.0.1:${port}/2` },
    });
    for (const result of [byOption, byEnv]) {
      assert.equal(result.code, 1, result.stderr);
      assert.doesNotMatch(result.stdout + result.stderr, /s3cret-pw/);
      assert.ok(result.ms < 10_000, `took ${result.ms} ms`);
    }
    assert.match(
      byOption.stderr,
      new RegExp(
        `Cannot connect to Redis at redis://ops:\\*\\*\\*@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`,
      ),
    );
    assert.match(byEnv.stderr, new RegExp(`rediss://ops:\\*\\*\\*@127\\.0\\.0\\.1:${port}/2`));
  });

  it("a server that accepts but never answers fails after --connect-timeout, password redacted", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, "127.0.0.1", resolve));
    try {
      const result = await rsc([
        "pending",
        "svc",
        "--url",
        `redis://:hunter2@127.0.0.1:${port}`,
        "--connect-timeout",
        "1000",
      ]);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(`Cannot connect to Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
      );
      assert.doesNotMatch(result.stderr, /hunter2/);
      assert.ok(result.ms < 8000, `took ${result.ms} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
