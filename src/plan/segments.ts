/**
 * The objective decomposed by segment, which is what makes exact planning cheap
 * (docs/checkpointing.md, "Decomposition"). With S(l) the bytes of the checkpoints <= l and
 * Q[i] = Σ_{j<=i} (a[j] + s[j]), every event of segment (l, r] is base + S(l) + a term that depends
 * on (l, r) only:
 *
 *   cost(l, r) = max( fn[l+1],                       forward, first stage
 *                     max_{l+2<=i<=r} M0[i],         forward, x_{i-1} still live
 *                     max_{l<i<=r} M2[i] - Q[l],     backward
 *                     2a[r] + max_{l<i<=r} M1[i] - Q[l] )   recompute next to x_r and dx_r
 *   last(l)    = max( max_{i>l} M1[i], Q[n] + loss, max_{i>l} M2[i] ) - Q[l]   (segment (l, n])
 *
 * with M0[i] = a[i-1] + fn[i], M1[i] = Q[i-1] + fs[i], M2[i] = Q[i] + a[i] + b[i].
 * PeakBytes(C) = base + max over segments (l, r] of S(l) + cost(l, r) (last(l) for the last one).
 *
 * Every term grows when the segment grows on either side ("interval monotone"); the planners'
 * pruning and their dominance arguments rest on that.
 */
import { stageCount, stageTime, type Chain } from './chain.js';

export interface Prep {
  readonly n: number;
  readonly base: number;
  readonly a: Float64Array;
  readonly fn: Float64Array;
  readonly Q: Float64Array;
  readonly M0: Float64Array;
  readonly M1: Float64Array;
  readonly M2: Float64Array;
  /** last(l) for l = 0..n-1. */
  readonly last: Float64Array;
  /** Σ_{i<=l} t[i]: the recompute cost of a plan whose last checkpoint is l. */
  readonly timeTo: Float64Array;
}

/** O(n). Assumes a validated chain. */
export function prepare(chain: Chain): Prep {
  const n = stageCount(chain);
  const a = Float64Array.from(chain.a);
  const fn = Float64Array.from(chain.fn);
  const Q = new Float64Array(n + 1);
  const M0 = new Float64Array(n + 1).fill(-Infinity);
  const M1 = new Float64Array(n + 1).fill(-Infinity);
  const M2 = new Float64Array(n + 1).fill(-Infinity);
  const timeTo = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) {
    Q[i] = Q[i - 1]! + a[i]! + chain.s[i]!;
    if (i >= 2) M0[i] = a[i - 1]! + fn[i]!;
    M1[i] = Q[i - 1]! + chain.fs[i]!;
    M2[i] = Q[i]! + a[i]! + chain.b[i]!;
    timeTo[i] = timeTo[i - 1]! + stageTime(chain, i);
  }
  const last = new Float64Array(n);
  let suffix = Q[n]! + chain.loss;
  for (let l = n - 1; l >= 0; l--) {
    suffix = Math.max(suffix, M1[l + 1]!, M2[l + 1]!);
    last[l] = suffix - Q[l]!;
  }
  return { n, base: chain.base, a, fn, Q, M0, M1, M2, last, timeTo };
}

/** cost(l, r) for one segment, O(r - l); the planners compute it incrementally instead. */
export function segmentCost(p: Prep, l: number, r: number): number {
  let m0 = -Infinity;
  let m1 = -Infinity;
  let m2 = -Infinity;
  for (let i = l + 1; i <= r; i++) {
    if (i >= l + 2) m0 = Math.max(m0, p.M0[i]!);
    m1 = Math.max(m1, p.M1[i]!);
    m2 = Math.max(m2, p.M2[i]!);
  }
  const ql = p.Q[l]!;
  return Math.max(p.fn[l + 1]!, m0, m2 - ql, 2 * p.a[r]! + m1 - ql);
}

/** PeakBytes(C) - base by the decomposition, O(n); C sorted, in 1..n-1. */
export function relativePeak(p: Prep, C: readonly number[]): number {
  let S = 0;
  let l = 0;
  let peak = 0;
  for (const r of C) {
    peak = Math.max(peak, S + segmentCost(p, l, r));
    S += p.a[r]!;
    l = r;
  }
  return Math.max(peak, S + p.last[l]!);
}

/**
 * A lower bound on PeakBytes - base that holds for every checkpoint set: each stage's backward
 * sees at least its own x_i, saved data and dx_i; stage n always runs in save mode before the
 * loss; every forward runs in one mode or the other.
 */
export function relativeLowerBound(chain: Chain): number {
  const n = stageCount(chain);
  const { a, s, fn, fs, b } = chain;
  let lb = Math.max(fs[n]!, a[n]! + s[n]! + chain.loss);
  for (let i = 1; i <= n; i++) lb = Math.max(lb, 2 * a[i]! + s[i]! + b[i]!, Math.min(fn[i]!, fs[i]!));
  return lb;
}

/** Checkpoints of a plan from parent links ending at `last` (0: no checkpoint). */
export function unwind(parent: Int32Array, last: number): number[] {
  const out: number[] = [];
  for (let c = last; c > 0; c = parent[c]!) out.push(c);
  return out.reverse();
}
