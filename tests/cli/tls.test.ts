/** rsc over TLS (rediss://) with AUTH: a CA made by the test, a user with a password. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { freePort, RedisServer } from "../fixture/redis_server.ts";
import { makeTestCertificates, type TestCertificates, tlsServerArgs } from "../fixture/tls.ts";
import { rsc, rscJson } from "./run_rsc.ts";

describe("rsc over TLS with AUTH", () => {
  let certs: TestCertificates;
  let server: RedisServer;
  let tlsPort: number;

  before(async () => {
    certs = await makeTestCertificates();
    tlsPort = await freePort();
    server = await RedisServer.start({ args: tlsServerArgs(certs, tlsPort) });
    const admin = await server.connect();
    await admin.sendCommand(["ACL", "SETUSER", "ops", "on", ">tls-pa55", "~*", "&*", "+@all"]);
    admin.destroy();
  });
  after(async () => {
    await server?.stop();
    await certs?.remove();
  });

  it("works with --tls-ca and the URL's user and password; fails clearly without them", async () => {
    const url = `rediss://ops:tls-pa55@127.0.0.1:${tlsPort}`;
    const tls = ["--url", url, "--tls-ca", certs.caFile];
    const produced = await rsc(["produce", "secure", "--type", "t", "--payload", "p", ...tls]);
    assert.equal(produced.code, 0, produced.stderr);
    const [groups, untrusted, wrongPassword] = await Promise.all([
      rscJson(["groups", "secure", ...tls]),
      rsc(["groups", "secure", "--url", url]),
      rsc([
        "groups",
        "secure",
        "--url",
        url.replace("tls-pa55", "nope-pw"),
        "--tls-ca",
        certs.caFile,
      ]),
    ]);
    assert.deepEqual(groups, { stream: "secure", groups: [] });
    for (const failed of [untrusted, wrongPassword]) {
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(
        failed.stderr,
        new RegExp(`Cannot connect to Redis at rediss://ops:\\*\\*\\*@127`),
      );
      assert.doesNotMatch(failed.stderr + failed.stdout, /tls-pa55|nope-pw/);
    }
    assert.match(wrongPassword.stderr, /WRONGPASS/);
  });
});
