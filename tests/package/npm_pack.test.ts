/**
 * The npm package: `npm pack` builds JavaScript and declarations, a fresh
 * project installs the tarball, plain `node` (no tsx) imports and runs it, and
 * tsc type-checks a small consumer against its declarations. Node only: it
 * tests what npm users get, and takes half a minute.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { currentRuntime } from "../fixture/consumer_process.ts";
import { RedisServer } from "../fixture/redis_server.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const onNode = currentRuntime() === "node";

/** Node binaries to run the package on: this one, plus any listed in RSC_EXTRA_NODES (CI). */
function nodeBinaries(): string[] {
  const extra = (process.env.RSC_EXTRA_NODES ?? "").split(":").filter(Boolean);
  return [process.execPath, ...extra];
}

const CONSUMER_TS = `
import { createClient } from "redis";
import { createStreamClient, NotificationType, type Notification } from "@rsc/redis-stream-client";

const redis = await createClient().connect();
const client = createStreamClient(redis, "orders", { heartbeatMs: 2000 });
for await (const n of await client.init()) {
  const type: Notification["type"] = n.type;
  if (type === NotificationType.StreamAdded) await client.doneStream(n.payload.dataStreamName);
}
// @ts-expect-error the service must be a string: fails if the declarations were not found
createStreamClient(redis, 42);
`;

const RUN_MJS = `
import { createClient } from "redis";
import { addStream, createStreamClient, NotificationType, silentLogger } from "@rsc/redis-stream-client";

const redis = createClient({ url: process.env.REDIS_URL });
redis.on("error", () => {});
await redis.connect();
const client = createStreamClient(redis, "packed", { heartbeatMs: 500, logger: silentLogger });
const notifications = await client.init();
await addStream(redis, "packed", { dataStreamName: "from-the-tarball", info: {} });
for await (const n of notifications) {
  if (n.type !== NotificationType.StreamAdded) continue;
  await client.doneStream(n.payload.dataStreamName);
  console.log("finished " + n.payload.dataStreamName + " on node " + process.versions.node);
  break;
}
await client.done();
redis.destroy();
`;

describe("the npm package", { skip: onNode ? false : "npm packaging is checked on Node" }, () => {
  let dir: string;
  let server: RedisServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "rsc-pack-"));
    server = await RedisServer.start();
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("installs from its tarball, runs on plain node and type-checks a consumer", async () => {
    await run("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT });
    const tarball = (await readdir(dir)).find((name) => name.endsWith(".tgz"));
    assert.ok(tarball, "npm pack wrote a tarball");
    const project = join(dir, "project");
    await run("mkdir", ["-p", project]);
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({ name: "pack-consumer", private: true, type: "module" }),
    );
    await run("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      join(dir, tarball),
      "redis",
      "@types/node@20",
    ], { cwd: project });

    // Only JavaScript and declarations are shipped, no TypeScript sources.
    const { stdout: listing } = await run("tar", ["-tzf", join(dir, tarball)]);
    const files = listing.trim().split("\n");
    assert.ok(files.includes("package/dist/mod.js") && files.includes("package/dist/mod.d.ts"));
    assert.deepEqual(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")), []);

    for (const node of nodeBinaries()) {
      await writeFile(join(project, "run.mjs"), RUN_MJS);
      const { stdout } = await run(node, ["run.mjs"], {
        cwd: project,
        env: { ...process.env, REDIS_URL: server.url },
        timeout: 30_000,
      });
      assert.match(stdout, /finished from-the-tarball on node \d+/);
    }

    // The rsc command, as npm installs it: plain node runs the built CLI.
    const bin = join(project, "node_modules", ".bin", "rsc");
    const help = await run(process.execPath, [bin, "--help"], { cwd: project });
    assert.match(help.stdout, /Usage: rsc \[options\] \[command\]/);
    const { stdout: groups } = await run(
      process.execPath,
      [bin, "groups", "packed-input", "--json", "--url", server.url],
      { cwd: project },
    );
    assert.equal(JSON.parse(groups).groups[0].name, "packed-group");

    await writeFile(join(project, "consumer.ts"), CONSUMER_TS);
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          types: ["node"],
        },
        files: ["consumer.ts"],
      }),
    );
    const tsc = join(ROOT, "node_modules", ".bin", "tsc");
    await run(tsc, ["-p", project]).catch((error) => {
      throw new Error(`tsc found errors in the consumer:\n${error.stdout}`);
    });
  });
});
