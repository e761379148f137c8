/** Renders a machine as a Mermaid `stateDiagram-v2`, which GitHub draws in ```mermaid blocks. */
import type { AnyStateMachine } from "xstate";
import { type DiagramState, type DiagramTransition, machineGraph } from "./machine_graph.ts";

/**
 * The machine as Mermaid `stateDiagram-v2` text, from its definition alone:
 * nested states as composites, parallel regions split by `--`, initial and
 * final states as `[*]`, event names (and guards, as `[guard]`) on edges, an
 * invoked actor as the state's description (in a composite's label). Transitions that change no state
 * are self-loops; the root's own are a note.
 * @throws {TypeError} when `machine` is not an XState machine.
 */
export function toMermaid(machine: AnyStateMachine): string {
  const graph = machineGraph(machine);
  const bySource = groupBySource(graph.transitions);
  const parentOf = parents(graph.states);
  const lines = ["stateDiagram-v2"];
  const crossing: DiagramTransition[] = [];
  const first = graph.states[0];
  if (first) lines.push(`  [*] --> ${first.id}`);
  renderStates(graph.states, "root", "  ", lines, bySource, parentOf, crossing);
  for (const transition of crossing) lines.push(`  ${edge(transition)}`);
  if (graph.everywhere.length > 0 && first) {
    lines.push(`  note right of ${first.id}`);
    lines.push(`    in every state: ${graph.everywhere.map(escape).join(", ")}`);
    lines.push("  end note");
  }
  return lines.join("\n") + "\n";
}

function renderStates(
  states: readonly DiagramState[],
  parent: string,
  indent: string,
  lines: string[],
  bySource: Map<string, DiagramTransition[]>,
  parentOf: Map<string, string>,
  crossing: DiagramTransition[],
): void {
  for (const state of states) {
    const composite = state.children.length > 0;
    // Mermaid gives a composite a label only, no description: its invoked actors go in the label.
    const invokes = state.invokes.map((invoked) => `invoke ${invoked}`);
    const label = composite && invokes.length > 0
      ? `${state.key} (${invokes.join(", ")})`
      : state.key;
    // A state with a description and no declared label would show the description alone.
    if (label !== state.id || invokes.length > 0) {
      lines.push(`${indent}state "${escape(label)}" as ${state.id}`);
    }
    if (composite) {
      lines.push(`${indent}state ${state.id} {`);
      const inner = indent + "  ";
      if (state.kind === "parallel") {
        state.children.forEach((region, i) => {
          if (i > 0) lines.push(`${inner}--`);
          renderStates([region], state.id, inner, lines, bySource, parentOf, crossing);
        });
      } else {
        if (state.initial) lines.push(`${inner}[*] --> ${state.initial}`);
        renderStates(state.children, state.id, inner, lines, bySource, parentOf, crossing);
      }
      lines.push(`${indent}}`);
    }
    if (!composite) { for (const line of invokes) lines.push(`${indent}${state.id} : ${line}`); }
    if (state.kind === "final") lines.push(`${indent}${state.id} --> [*]`);
    for (const transition of edgesOf(state, bySource.get(state.id) ?? [])) {
      const target = transition.target ?? transition.source;
      // An edge drawn inside a composite declares its ends there: only siblings' edges go inside.
      if ((parentOf.get(target) ?? "root") === parent) lines.push(`${indent}${edge(transition)}`);
      else crossing.push(transition);
    }
  }
}

/** A composite's self-loops as one edge: Mermaid draws only one of several. */
function edgesOf(state: DiagramState, transitions: DiagramTransition[]): DiagramTransition[] {
  if (state.children.length === 0) return transitions;
  const loops = transitions.filter((t) => (t.target ?? t.source) === t.source);
  if (loops.length < 2) return transitions;
  const loop = { source: state.id, target: state.id, label: loops.map((t) => t.label).join(", ") };
  return [loop, ...transitions.filter((t) => !loops.includes(t))];
}

function edge(transition: DiagramTransition): string {
  const target = transition.target ?? transition.source;
  const label = transition.label ? ` : ${escape(transition.label)}` : "";
  return `${transition.source} --> ${target}${label}`;
}

function groupBySource(transitions: readonly DiagramTransition[]) {
  const bySource = new Map<string, DiagramTransition[]>();
  for (const transition of transitions) {
    const list = bySource.get(transition.source) ?? [];
    list.push(transition);
    bySource.set(transition.source, list);
  }
  return bySource;
}

function parents(
  states: readonly DiagramState[],
  parent = "root",
  into = new Map<string, string>(),
) {
  for (const state of states) {
    into.set(state.id, parent);
    parents(state.children, state.id, into);
  }
  return into;
}

/** Mermaid reads `:` and `;` as syntax and `"` ends a name. */
function escape(text: string): string {
  return text.replace(/[:;"]/g, " ");
}
