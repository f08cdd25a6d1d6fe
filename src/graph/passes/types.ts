import type { Graph } from '../ir.js';
import type { Inferred } from '../infer.js';

export interface PassContext {
  /** Shapes and known values for the graph the pass receives (bound to concrete input shapes). */
  readonly inferred: Inferred;
}

/** A graph-to-graph rewrite. Passes never mutate their input graph. */
export interface GraphPass {
  readonly name: string;
  run(graph: Graph, ctx: PassContext): Graph;
}
