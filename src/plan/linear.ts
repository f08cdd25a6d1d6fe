/**
 * `linear`: the fast exact planner (docs/checkpointing.md, "The suffix recurrence" and "linear").
 *
 * Additive offsets commute with max, so the optimum needs no threshold search. Let h[l] be the
 * least peak, relative to S(l), of the steps from checkpoint l onwards (later checkpoints' bytes
 * counted from l's successor on). Then
 *
 *   h[l] = min( last(l), min_{l<r<n} max( cost(l, r), a[r] + h[r] ) )
 *
 * and the optimum is base + h[0]. Right to left, each row l scans r = l+1.. and stops as soon as a
 * lower bound on every remaining candidate reaches the best value so far: the interval-monotone
 * part of cost(l, r) only grows with r, and a[r'] + h[r'] is bounded below by its suffix minimum.
 *
 * Complexity, honestly: the recurrence is O(n · w) where w is the mean scan length: about 10 on
 * realistic chains of 1,000 stages, but up to n/2 when one transient dwarfs every activation (the
 * scans then cannot stop early), i.e. O(n²). So it runs under a step budget of n · (16 + 2 log2 n);
 * past it the planner switches to bisection on the threshold with the O(n log n) threshold test,
 * O(n log n log V) with V the store-all peak. Worst case O(n log n log V); it is not O(n).
 * A final threshold test at the optimum, stopped at the first feasible last checkpoint, picks the
 * cheapest of the optimal plans: O(n log n).
 */
import { assert } from '../errors.js';
import { validateChain, type Chain } from './chain.js';
import { fastTables, planAtThresholdFast, type FastTables } from './fast-threshold.js';
import { prepare, relativeLowerBound, relativePeak, type Prep } from './segments.js';

export interface SuffixOptimum {
  /** h[l], l = 0..n-1; h[0] = PeakBytes - base of the optimal plan. */
  readonly h: Float64Array;
  /** An optimal successor of each l (n: l is the last checkpoint). */
  readonly next: Int32Array;
  /** Total inner-loop iterations: the w·n of the complexity bound, for benchmarks. */
  readonly steps: number;
}

/**
 * The suffix recurrence, right to left, with the exact pruning described above; undefined once it
 * has run more than maxSteps inner iterations.
 */
export function suffixOptimum(p: Prep, maxSteps = Infinity): SuffixOptimum | undefined {
  const { n, a, fn, Q, M0, M1, M2, last } = p;
  const h = new Float64Array(n);
  const next = new Int32Array(n);
  // sufW[r] = min_{r<=r'<n} a[r'] + h[r'], a lower bound on every later candidate's value.
  const sufW = new Float64Array(n + 1).fill(Infinity);
  let steps = 0;
  for (let l = n - 1; l >= 0; l--) {
    let best = last[l]!;
    let arg = n;
    const ql = Q[l]!;
    const f1 = fn[l + 1]!;
    let m0 = -Infinity;
    let m1 = -Infinity;
    let m2 = -Infinity;
    for (let r = l + 1; r < n; r++) {
      if (sufW[r]! >= best) break;
      if (M1[r]! > m1) m1 = M1[r]!;
      if (M2[r]! > m2) m2 = M2[r]!;
      if (r >= l + 2 && M0[r]! > m0) m0 = M0[r]!;
      let mono = f1;
      if (m0 > mono) mono = m0;
      if (m2 - ql > mono) mono = m2 - ql;
      if (m1 - ql > mono) mono = m1 - ql;
      if (mono >= best) break;
      if (++steps > maxSteps) return undefined;
      let e = mono;
      const rec = 2 * a[r]! + m1 - ql;
      if (rec > e) e = rec;
      const w = a[r]! + h[r]!;
      if (w > e) e = w;
      if (e < best) {
        best = e;
        arg = r;
      }
    }
    h[l] = best;
    next[l] = arg;
    if (l >= 1) sufW[l] = Math.min(a[l]! + best, sufW[l + 1]!);
  }
  return { h, next, steps };
}

/** The optimal plan the recurrence itself records (not necessarily the cheapest optimal one). */
export function suffixPlan(so: SuffixOptimum): number[] {
  const out: number[] = [];
  const n = so.next.length;
  for (let c = so.next[0]!; c < n; c = so.next[c]!) out.push(c);
  return out;
}

export interface LinearOptions {
  /**
   * Inner-loop iterations the suffix recurrence may spend before the planner switches to the
   * bisection with the O(n log n) threshold test (default: n · (16 + 2 log2 n), a few times the
   * cost of that fallback). 0 forces the fallback (tests use it).
   */
  readonly maxSteps?: number;
}

/** The default step budget of the suffix recurrence: n · (16 + 2 log2 n). */
export function defaultMaxSteps(n: number): number {
  return n * (16 + 2 * Math.ceil(Math.log2(n + 1)));
}

/** Relative optimum by bisection on T with the fast threshold test: O(n log n log V). */
function optimumByFastBisection(chain: Chain, p: Prep, tables: FastTables): number {
  let lo = relativeLowerBound(chain);
  let hi = p.last[0]!;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const plan = planAtThresholdFast(p, tables, mid);
    if (plan === undefined) lo = mid + 1;
    else hi = relativePeak(p, plan);
  }
  return hi;
}

/**
 * `linear`: the exact minimum of PeakBytes (equal to `dp`), ties broken by the least recompute
 * cost. The suffix recurrence finds the optimum without a threshold search on ordinary chains; when
 * its scans run long (a transient that dwarfs every activation) it hands over to the bisection
 * with the O(n log n) threshold test, so the worst case is O(n log n log V) rather than O(n²).
 * The cheapest optimal plan comes from one more fast threshold test at the optimum.
 */
export function planLinear(chain: Chain, opts: LinearOptions = {}): number[] {
  validateChain(chain);
  const p = prepare(chain);
  const n = p.n;
  const maxSteps = opts.maxSteps ?? defaultMaxSteps(n);
  const so = suffixOptimum(p, maxSteps);
  const tables = fastTables(p);
  let T: number;
  if (so !== undefined) {
    T = so.h[0]!;
    assert(relativePeak(p, suffixPlan(so)) === T, 'suffix recurrence plan must achieve h[0]');
  } else {
    T = optimumByFastBisection(chain, p, tables);
  }
  const plan = planAtThresholdFast(p, tables, T, { stopEarly: true });
  assert(plan !== undefined, 'the optimum must pass its own threshold test');
  return plan;
}
