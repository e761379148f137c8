/**
 * The drawable shape of a machine, read from its definition (`machine.root`):
 * states with their kind, initial child and invoked actors, and transitions
 * with a readable label. Both renderers (Mermaid, DOT) draw from this, so
 * they agree on what a machine looks like.
 */
import type { AnyStateMachine, AnyStateNode } from "xstate";

/** A state of the machine, as a diagram draws it. */
export interface DiagramState {
  /** Unique across the machine (the state's path, joined by "_"); safe as a diagram id. */
  readonly id: string;
  readonly key: string;
  readonly kind: "atomic" | "compound" | "parallel" | "final" | "history";
  readonly children: readonly DiagramState[];
  /** The child a compound state starts in. */
  readonly initial?: string;
  /** Names of the actors the state invokes while in it. */
  readonly invokes: readonly string[];
}

/** One transition; `target` undefined means it changes no state (actions only). */
export interface DiagramTransition {
  readonly source: string;
  readonly target: string | undefined;
  readonly label: string;
}

/** A machine's states (the root's children) and all its transitions, in definition order. */
export interface MachineGraph {
  readonly id: string;
  readonly states: readonly DiagramState[];
  readonly transitions: readonly DiagramTransition[];
  /** Labels of transitions the root itself takes in every state without changing state. */
  readonly everywhere: readonly string[];
}

/** Reads the graph of a machine. @throws {TypeError} when `machine` is not an XState machine. */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = (machine as { root?: AnyStateNode } | undefined)?.root;
  if (!root || typeof root !== "object" || !(root.transitions instanceof Map)) {
    throw new TypeError("machine must be an XState machine (created with createMachine or setup)");
  }
  const transitions: DiagramTransition[] = [];
  const everywhere: string[] = [];
  const states = Object.values(root.states).map((node) => readState(node, transitions));
  for (const transition of transitionsOf(root)) {
    if (transition.target === undefined) everywhere.push(transition.label);
    else transitions.push(transition);
  }
  return { id: root.id, states, transitions, everywhere };
}

function readState(node: AnyStateNode, transitions: DiagramTransition[]): DiagramState {
  transitions.push(...transitionsOf(node));
  const children = Object.values(node.states).map((child) => readState(child, transitions));
  const initial = node.type === "compound" ? node.initial?.target[0] : undefined;
  return {
    id: diagramId(node),
    key: node.key,
    kind: node.type,
    children,
    initial: initial ? diagramId(initial) : undefined,
    invokes: node.invoke.map((invoke) => String(invoke.src)),
  };
}

function transitionsOf(node: AnyStateNode): DiagramTransition[] {
  const found: DiagramTransition[] = [];
  const source = diagramId(node);
  for (const [eventType, candidates] of node.transitions) {
    for (const candidate of candidates) {
      found.push({
        source,
        target: candidate.target?.[0] ? diagramId(candidate.target[0]) : undefined,
        label: labelOf(eventLabel(node, eventType), candidate.guard),
      });
    }
  }
  for (const candidate of node.always ?? []) {
    if (!candidate.target?.[0]) continue; // an eventless transition without a target draws nothing
    found.push({
      source,
      target: diagramId(candidate.target[0]),
      label: labelOf("", candidate.guard),
    });
  }
  return found;
}

/** The state's path joined by "_": unique, and an identifier in Mermaid and DOT alike. */
function diagramId(node: AnyStateNode): string {
  const path = node.path.length === 0 ? [node.key] : node.path;
  return path.map((part: string) => part.replace(/[^A-Za-z0-9_]/g, "_")).join("_");
}

/** XState's internal event names, told as what they mean. */
function eventLabel(node: AnyStateNode, eventType: string): string {
  const invoked = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (invoked) {
    const invoke = node.invoke.find((candidate) => candidate.id === invoked[2]);
    return `${invoke ? String(invoke.src) : invoked[2]} ${invoked[1]}`;
  }
  const delayed = node.after.find((after) => after.eventType === eventType);
  if (delayed) return `after ${String(delayed.delay)}`;
  if (eventType.startsWith("xstate.done.state.")) return "done";
  return eventType;
}

function labelOf(event: string, guard: unknown): string {
  const name = guardName(guard);
  if (!name) return event;
  return event ? `${event} [${name}]` : `[${name}]`;
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === "string") return guard;
  if (typeof guard === "object" && typeof (guard as { type?: unknown }).type === "string") {
    return (guard as { type: string }).type;
  }
  if (typeof guard === "function") return guard.name || "guard";
  return "guard";
}
