/**
 * Ordered pass pipelines. The reference backend runs the graph as written (it is the oracle), only
 * simplified; the fast backends also fuse. Order matters:
 *  1. identity elimination — fewer nodes for everything after;
 *  2. constant folding — needs shapes bound; resolves exporters' shape subgraphs;
 *  3. dead-code elimination — folding orphans the shape subgraphs' inputs;
 *  4. conv-bn fusion — BN disappears into weights before anything pattern-matches on Conv;
 *  5. conv-add fusion before 6. activation fusion, so conv → add → relu becomes one node.
 * Any pass can be switched off by name (compile's `disablePasses`).
 */
import { fail } from '../../errors.js';
import { inferShapes } from '../infer.js';
import type { Graph } from '../ir.js';
import { constantFolding } from './constant-folding.js';
import { convActivationFusion } from './conv-activation-fusion.js';
import { convAddFusion } from './conv-add-fusion.js';
import { convBnFusion } from './conv-bn-fusion.js';
import { deadCodeElimination } from './dead-code-elimination.js';
import { identityElimination } from './identity-elimination.js';
import type { GraphPass } from './types.js';

export const SIMPLIFY_PASSES: readonly GraphPass[] = [identityElimination, constantFolding, deadCodeElimination];
export const FUSION_PASSES: readonly GraphPass[] = [...SIMPLIFY_PASSES, convBnFusion, convAddFusion, convActivationFusion];
export const ALL_PASSES: readonly GraphPass[] = FUSION_PASSES;
/** The fusing passes by name: disabled where a conv's own output must stay a value (calibration, reconstruction). */
export const FUSION_PASS_NAMES: readonly string[] = [convBnFusion, convAddFusion, convActivationFusion].map((p) => p.name);

export function runPasses(graph: Graph, inputShapes: ReadonlyMap<string, readonly number[]>, disabled: readonly string[] = [], pipeline: readonly GraphPass[] = SIMPLIFY_PASSES): Graph {
  for (const name of disabled) {
    if (!ALL_PASSES.some((p) => p.name === name)) fail('INVALID_ARGUMENT', `unknown pass '${name}' (passes: ${ALL_PASSES.map((p) => p.name).join(', ')})`);
  }
  let g = graph;
  for (const pass of pipeline) {
    if (disabled.includes(pass.name)) continue;
    g = pass.run(g, { inferred: inferShapes(g, inputShapes) });
  }
  return g;
}

export { constantFolding, convActivationFusion, convAddFusion, convBnFusion, deadCodeElimination, identityElimination };
export type { GraphPass, PassContext } from './types.js';
