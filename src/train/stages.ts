/**
 * The stages of the checkpoint chain over a training program: src/plan's linearize() cuts the graph
 * where exactly one activation is live; here its node ranges are mapped onto the program's nodes
 * (which omit the constant-only nodes the program folded away).
 */
import { fail } from '../errors.js';
import { linearize } from '../plan/index.js';
import type { TrainProgram } from './program.js';

export interface Stage {
  /** Program node indices [start, end). */
  readonly start: number;
  readonly end: number;
  /** x_{i-1}: the single value the stage reads from before it. */
  readonly input: string;
  /** x_i. */
  readonly output: string;
}

export function programStages(p: TrainProgram): Stage[] {
  const index = new Map(p.nodes.map((pn, i) => [pn.node, i]));
  const stages: Stage[] = [];
  let next = 0;
  for (const s of linearize(p.graph)) {
    let end = next;
    for (let j = s.start; j < s.end; j++) if (index.has(p.graph.nodes[j]!)) end = index.get(p.graph.nodes[j]!)! + 1;
    if (end === next) continue; // a stage of constants only: nothing to run
    stages.push({ start: next, end, input: stages.length === 0 ? p.input : stages[stages.length - 1]!.output, output: s.output });
    next = end;
  }
  if (next !== p.nodes.length || stages.length === 0 || stages[stages.length - 1]!.output !== p.output) fail('UNSUPPORTED', `cannot cut ${p.graph.name} into a chain of stages ending at '${p.output}'`);
  return stages;
}
