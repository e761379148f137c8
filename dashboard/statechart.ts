/**
 * The stream machine as a drawing: its states and transitions read from the
 * machine definition itself (through src/diagrams), laid out once with dagre. The page draws it as SVG and lights the state
 * each stream's actor is in.
 */
import { Graph, layout } from "@dagrejs/dagre";
import type { AnyStateMachine } from "xstate";
import { machineGraph } from "../src/diagrams/machine_graph.ts";

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

/**
 * The machine's top-level states and transitions, from the library's diagram
 * reader (the one Mermaid and DOT draw from); parallel transitions merged,
 * self-transitions left out. A state with an eventless (`always`) transition
 * is transient: the actor never rests there.
 */
export function chartGraph(machine: AnyStateMachine) {
  const graph = machineGraph(machine);
  const edges = new Map<string, { from: string; to: string; labels: string[] }>();
  const transient = new Set<string>();
  for (const t of graph.transitions) {
    if (t.target === undefined || t.target === t.source) continue;
    if (t.label === "" || t.label.startsWith("[")) transient.add(t.source);
    const key = `${t.source}->${t.target}`;
    const edge = edges.get(key) ?? { from: t.source, to: t.target, labels: [] };
    const label = t.label === "" ? "[else]" : t.label;
    if (!edge.labels.includes(label)) edge.labels.push(label);
    edges.set(key, edge);
  }
  const root = machine.root as unknown as { initial?: { target?: readonly { key: string }[] } };
  return {
    initial: root.initial?.target?.[0]?.key ?? graph.states[0]!.id,
    states: graph.states.map((s) => ({
      id: s.id,
      final: s.kind === "final",
      transient: transient.has(s.id),
    })),
    edges: [...edges.values()].map((e) => ({
      from: e.from,
      to: e.to,
      label: e.labels.join(" / ").replace(
        "releaseStream done / releaseStream error",
        "done / error",
      ),
    })),
  };
}

/**
 * Lays the machine out left to right. With `labels`, room is made for each
 * transition's event (the large chart); without, the chart is compact (one per stream).
 */
export function layoutChart(machine: AnyStateMachine, { labels = false } = {}): Chart {
  const { initial, states, edges } = chartGraph(machine);
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
    g.setNode(s.id, { width: 6.6 * s.id.length + (labels ? 18 : 12), height: 22 });
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
