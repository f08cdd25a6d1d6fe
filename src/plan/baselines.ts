/**
 * The baselines the exact planners are compared with. They look at the stage count only, not at
 * the bytes, which is exactly their weakness on chains whose activations shrink with depth.
 */
import { fail } from '../errors.js';

function checkStages(n: number): void {
  if (!Number.isInteger(n) || n < 1) fail('INVALID_ARGUMENT', `a chain needs n >= 1 stages, got ${String(n)}`);
}

/** Keep everything: no checkpoint, the whole chain is the last segment. */
export function storeAllPlan(n: number): number[] {
  checkStages(n);
  return [];
}

/** A checkpoint at every k-th stage: k, 2k, ... < n. */
export function uniformPlan(n: number, k: number): number[] {
  checkStages(n);
  if (!Number.isInteger(k) || k < 1) fail('INVALID_ARGUMENT', `uniform:k needs an integer k >= 1, got ${String(k)}`);
  const out: number[] = [];
  for (let c = k; c < n; c += k) out.push(c);
  return out;
}

/** Chen et al. 2016: a checkpoint every ⌈√n⌉ stages. */
export function sqrtPlan(n: number): number[] {
  checkStages(n);
  return uniformPlan(n, Math.ceil(Math.sqrt(n)));
}

/**
 * PyTorch's checkpoint_sequential(functions, segments): segments of ⌊n/s⌋ stages, the last one
 * taking the remainder; every segment but the last runs checkpointed, so its end is a checkpoint.
 */
export function sequentialPlan(n: number, segments: number): number[] {
  checkStages(n);
  if (!Number.isInteger(segments) || segments < 1) fail('INVALID_ARGUMENT', `sequential:s needs an integer s >= 1, got ${String(segments)}`);
  if (segments > n) fail('INVALID_ARGUMENT', `sequential:${segments} needs at least ${segments} stages, the chain has ${n}`);
  const size = Math.floor(n / segments);
  const out: number[] = [];
  for (let m = 1; m < segments; m++) out.push(m * size);
  return out;
}
