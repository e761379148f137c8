/**
 * Keeps the diagrams embedded in Markdown in step with the machines. A block
 * sits between marker comments naming its machine:
 *
 *     <!-- diagram:stream:begin -->
 *
 *     ```mermaid
 *     stateDiagram-v2
 *     ...
 *     ```
 *
 *     <!-- diagram:stream:end -->
 *
 * `npm run diagrams` rewrites every block; a test fails when one differs.
 */
import type { AnyStateMachine } from "xstate";
import { supervisorMachine } from "../machines/supervisor_machine.ts";
import { streamMachine } from "../machines/stream_machine.ts";
import { toMermaid } from "./mermaid.ts";

/** The machines the docs draw, by the name their markers use. */
export const DOCUMENTED_MACHINES: Readonly<Record<string, AnyStateMachine>> = {
  stream: streamMachine,
  supervisor: supervisorMachine,
};

const BLOCK = /(<!-- diagram:([\w-]+):begin -->\n)([\s\S]*?)(<!-- diagram:\2:end -->)/g;

/** The ```mermaid block for one machine, as it sits between its markers. */
export function mermaidBlock(machine: AnyStateMachine): string {
  return "```mermaid\n" + toMermaid(machine) + "```\n";
}

/** The machine names of the blocks in `markdown`, in order. */
export function embeddedDiagramNames(markdown: string): string[] {
  return [...markdown.matchAll(BLOCK)].map((match) => match[2]!);
}

/**
 * `markdown` with every block re-rendered from its machine.
 * @throws {RangeError} when a marker names no known machine.
 */
export function embedDiagrams(
  markdown: string,
  machines: Readonly<Record<string, AnyStateMachine>> = DOCUMENTED_MACHINES,
): string {
  return markdown.replace(BLOCK, (_all, begin: string, name: string, _old, end: string) => {
    const machine = machines[name];
    if (!machine) {
      throw new RangeError(
        `diagram marker names an unknown machine "${name}"; known: ${
          Object.keys(machines).join(", ")
        }`,
      );
    }
    // Blank lines around the block: how Markdown formatters (deno fmt) leave it.
    return `${begin}\n${mermaidBlock(machine)}\n${end}`;
  });
}
