/**
 * The stream machine as a drawing: its states and transitions read from the
 * machine definition itself (event transitions and eventless `always` ones),
 * laid out once with dagre. The page draws it as SVG and lights the state
 * each stream's actor is in.
 */
import { Graph, layout } from "@dagrejs/dagre";
import type { AnyStateMachine } from "xstate";

/** A state's box, centred on (x, y). */
export interface ChartNode {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly final: boolean;
  /** Left at once (an `always` transition): the actor never rests there. */
  readonly transient: boolean;
}

/** A transition, as the points of its line and where its label goes. */
export interface ChartEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly points: readonly { x: number; y: number }[];
  readonly labelAt: { x: number; y: number };
}

export interface Chart {
  readonly width: number;
  readonly height: number;
  readonly initial: string;
  readonly nodes: readonly ChartNode[];
  readonly edges: readonly ChartEdge[];
}

interface StateNodeLike {
  readonly key: string;
  readonly type: string;
  readonly always?: readonly TransitionLike[];
  readonly transitions: Map<string, readonly TransitionLike[]>;
}
interface TransitionLike {
  readonly eventType: string;
  readonly guard?: { type?: string } | string;
  readonly target?: readonly { key: string }[];
}

/** Short labels for the events the diagram would otherwise spell out in full. */
function eventLabel(eventType: string): string {
  if (eventType.startsWith("xstate.done.actor.")) return "done";
  if (eventType.startsWith("xstate.error.actor.")) return "error";
  return eventType;
}

function guardLabel(transition: TransitionLike): string {
  const guard = typeof transition.guard === "string" ? transition.guard : transition.guard?.type;
  return guard ? `[${guard}]` : "[else]";
}

/** The states and transitions of a machine's top level (self-transitions left out). */
export function machineGraph(machine: AnyStateMachine) {
  const root = machine.root as unknown as {
    states: Record<string, StateNodeLike>;
    initial?: { target?: readonly { key: string }[] };
  };
  const states = Object.values(root.states);
  const edges = new Map<string, { from: string; to: string; labels: string[] }>();
  const add = (from: string, to: string, label: string) => {
    const key = `${from}->${to}`;
    const edge = edges.get(key) ?? { from, to, labels: [] };
    if (!edge.labels.includes(label)) edge.labels.push(label);
    edges.set(key, edge);
  };
  for (const state of states) {
    for (const t of state.always ?? []) {
      for (const target of t.target ?? []) add(state.key, target.key, guardLabel(t));
    }
    for (const [eventType, transitions] of state.transitions) {
      for (const t of transitions) {
        for (const target of t.target ?? []) {
          if (target.key !== state.key) add(state.key, target.key, eventLabel(eventType));
        }
      }
    }
  }
  return {
    initial: root.initial?.target?.[0]?.key ?? states[0]!.key,
    states: states.map((s) => ({
      id: s.key,
      final: s.type === "final",
      transient: (s.always?.length ?? 0) > 0,
    })),
    edges: [...edges.values()].map((e) => ({
      from: e.from,
      to: e.to,
      label: e.labels.join(" / "),
    })),
  };
}

/**
 * Lays the machine out left to right. With `labels`, room is made for each
 * transition's event (the large chart); without, the chart is compact (one per stream).
 */
export function layoutChart(machine: AnyStateMachine, { labels = false } = {}): Chart {
  const { initial, states, edges } = machineGraph(machine);
  const g = new Graph({ multigraph: false });
  g.setGraph({
    rankdir: "LR",
    nodesep: labels ? 14 : 10,
    ranksep: labels ? 40 : 26,
    edgesep: 8,
    marginx: 4,
    marginy: 4,
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of states) {
    g.setNode(s.id, { width: 6.6 * s.id.length + 18, height: 22 });
  }
  for (const e of edges) {
    g.setEdge(
      e.from,
      e.to,
      labels ? { width: 5.4 * e.label.length, height: 10, labelpos: "c" } : {},
    );
  }
  layout(g);
  const graph = g.graph();
  return {
    width: Math.ceil(graph.width ?? 0),
    height: Math.ceil(graph.height ?? 0),
    initial,
    nodes: states.map((s) => {
      const n = g.node(s.id);
      return { ...s, x: n.x, y: n.y, width: n.width, height: n.height };
    }),
    edges: edges.map((e) => {
      const laid = g.edge(e.from, e.to) as unknown as {
        points: { x: number; y: number }[];
        x: number;
        y: number;
      };
      return { ...e, points: laid.points, labelAt: { x: laid.x, y: laid.y } };
    }),
  };
}
