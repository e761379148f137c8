/**
 * The diagrams README.md and docs/ARCHITECTURE.md embed are the machines as
 * they are: each block equals a fresh rendering (`npm run diagrams` rewrites them).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setup } from "xstate";
import { embeddedDiagramNames, embedDiagrams, mermaidBlock } from "../src/diagrams/embed.ts";
import { streamMachine } from "../mod.ts";

const root = new URL("../", import.meta.url);

describe("embedded diagrams", () => {
  for (const file of ["README.md", "docs/ARCHITECTURE.md"]) {
    it(`${file} embeds the stream and supervisor machines as they are in the code`, () => {
      const text = readFileSync(new URL(file, root), "utf8");
      const names = embeddedDiagramNames(text);
      assert.ok(names.includes("stream"), `${file} embeds the stream machine`);
      if (file !== "README.md") assert.ok(names.includes("supervisor"));
      assert.equal(embedDiagrams(text), text, `${file}: diagrams drifted; run npm run diagrams`);
    });
  }

  it("notices a block that no longer matches its machine, and rewrites it", () => {
    const block = mermaidBlock(streamMachine);
    const fresh = `<!-- diagram:stream:begin -->\n\n${block}\n<!-- diagram:stream:end -->`;
    const stale = fresh.replace("HEARTBEAT_OK", "BEAT");
    assert.notEqual(embedDiagrams(stale), stale);
    assert.equal(embedDiagrams(stale), fresh);
    const renamed = setup({}).createMachine({ id: "stream", initial: "a", states: { a: {} } });
    assert.notEqual(embedDiagrams(fresh, { stream: renamed }), fresh);
  });

  it("rejects a marker that names no machine", () => {
    assert.throws(
      () => embedDiagrams("<!-- diagram:nope:begin -->\n<!-- diagram:nope:end -->"),
      RangeError,
    );
  });
});
