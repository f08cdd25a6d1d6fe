/**
 * The ordered list of graph passes run by compile(). Order matters:
 * identity elimination first (fewer nodes for everything after), then constant folding
 * (needs shapes bound), then dead-code elimination (folding orphans the shape subgraphs' inputs).
 * Any pass can be switched off by name through compile's `disablePasses`.
 */
import { fail } from '../../errors.js';
import { inferShapes } from '../infer.js';
import type { Graph } from '../ir.js';
import { constantFolding } from './constant-folding.js';
import { deadCodeElimination } from './dead-code-elimination.js';
import { identityElimination } from './identity-elimination.js';
import type { GraphPass } from './types.js';

export const DEFAULT_PASSES: readonly GraphPass[] = [identityElimination, constantFolding, deadCodeElimination];

export function runPasses(graph: Graph, inputShapes: ReadonlyMap<string, readonly number[]>, disabled: readonly string[] = []): Graph {
  for (const name of disabled) {
    if (!DEFAULT_PASSES.some((p) => p.name === name)) fail('INVALID_ARGUMENT', `unknown pass '${name}' (passes: ${DEFAULT_PASSES.map((p) => p.name).join(', ')})`);
  }
  let g = graph;
  for (const pass of DEFAULT_PASSES) {
    if (disabled.includes(pass.name)) continue;
    g = pass.run(g, { inferred: inferShapes(g, inputShapes) });
  }
  return g;
}

export { constantFolding, deadCodeElimination, identityElimination };
export type { GraphPass, PassContext } from './types.js';
