/** Offline diagrams of the library's machines (or any XState v5 machine). */
export { toMermaid } from "./mermaid.ts";
export { toDot } from "./dot.ts";
