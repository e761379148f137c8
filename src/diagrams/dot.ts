/** Renders a machine as Graphviz DOT (`dot -Tsvg`), offline. */
import type { AnyStateMachine } from "xstate";
import { type DiagramState, machineGraph } from "./machine_graph.ts";

/**
 * The machine as a Graphviz `digraph`, from its definition alone: compound
 * and parallel states as clusters (parallel ones dashed), a point for each
 * initial transition, final states as double circles, event names (and guards
 * as `[guard]`) on edges, invoked actors in the state's label. Edges into or out
 * of a cluster attach to it through `lhead`/`ltail`.
 * @throws {TypeError} when `machine` is not an XState machine.
 */
export function toDot(machine: AnyStateMachine): string {
  const graph = machineGraph(machine);
  const clusters = new Set<string>();
  collectClusters(graph.states, clusters);
  const lines = [
    `digraph ${quote(graph.id)} {`,
    "  compound=true;",
    "  rankdir=LR;",
    '  fontname="Helvetica";',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  if (graph.everywhere.length > 0) {
    lines.push(`  label=${quote(`in every state: ${graph.everywhere.join(", ")}`)};`);
    lines.push("  labelloc=b;");
  }
  const first = graph.states[0];
  if (first) {
    lines.push('  "__initial" [shape=point, width=0.15, label=""];');
    lines.push(`  "__initial" -> ${endpoint(first.id, clusters, "lhead")};`);
  }
  renderStates(graph.states, "  ", lines, clusters);
  for (const transition of graph.transitions) {
    const target = transition.target ?? transition.source;
    const attributes = [`label=${quote(transition.label)}`];
    const from = anchor(transition.source, clusters);
    const to = anchor(target, clusters);
    // A cluster's self-loop stays on its hidden point: Graphviz clips no edge to its own cluster.
    if (target !== transition.source) {
      if (clusters.has(transition.source)) {
        attributes.push(`ltail=${quote(cluster(transition.source))}`);
      }
      if (clusters.has(target)) attributes.push(`lhead=${quote(cluster(target))}`);
    }
    lines.push(`  ${quote(from)} -> ${quote(to)} [${attributes.join(", ")}];`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

function renderStates(
  states: readonly DiagramState[],
  indent: string,
  lines: string[],
  clusters: Set<string>,
): void {
  for (const state of states) {
    const kind = state.kind === "parallel" ? " (parallel)" : "";
    const invokes = state.invokes.map((invoked) => `invoke ${invoked}`);
    const label = [state.key + kind, ...invokes].join("\\n");
    if (!clusters.has(state.id)) {
      const shape = state.kind === "final" ? ", shape=doublecircle, style=solid" : "";
      lines.push(`${indent}${quote(state.id)} [label=${quoteLabel(label)}${shape}];`);
      continue;
    }
    lines.push(`${indent}subgraph ${quote(cluster(state.id))} {`);
    const inner = indent + "  ";
    lines.push(`${inner}label=${quoteLabel(label)};`);
    lines.push(`${inner}style=${state.kind === "parallel" ? "dashed" : "rounded"};`);
    lines.push(
      `${inner}${quote(anchor(state.id, clusters))} [shape=point, style=invis, label=""];`,
    );
    if (state.initial) {
      const start = `${state.id}__initial`;
      lines.push(`${inner}${quote(start)} [shape=point, width=0.1, label=""];`);
      lines.push(`${inner}${quote(start)} -> ${endpoint(state.initial, clusters, "lhead")};`);
    }
    renderStates(state.children, inner, lines, clusters);
    lines.push(`${indent}}`);
  }
}

function collectClusters(states: readonly DiagramState[], into: Set<string>): void {
  for (const state of states) {
    if (state.children.length > 0) into.add(state.id);
    collectClusters(state.children, into);
  }
}

function cluster(id: string): string {
  return `cluster_${id}`;
}

/** The node an edge attaches to: the state itself, or the hidden point inside its cluster. */
function anchor(id: string, clusters: Set<string>): string {
  return clusters.has(id) ? `${id}__anchor` : id;
}

function endpoint(id: string, clusters: Set<string>, side: "lhead" | "ltail"): string {
  const node = quote(anchor(id, clusters));
  return clusters.has(id) ? `${node} [${side}=${quote(cluster(id))}]` : node;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Like quote, but keeps the `\n` line breaks DOT reads in a label. */
function quoteLabel(text: string): string {
  return `"${text.replace(/"/g, '\\"')}"`;
}
