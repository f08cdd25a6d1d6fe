/**
 * Exact planners built on the threshold test (docs/checkpointing.md, "The threshold test"):
 * for a bound T on PeakBytes - base, best[r] is the least checkpoint-byte sum S(r) over checkpoint
 * prefixes ending at r whose events all stay <= T. A smaller sum dominates (every later event
 * depends on the prefix only through it), so best[] follows from one pass, and T is achievable iff
 * some l has best[l] + last(l) <= T. Among the achievable plans, recompute cost depends on the last
 * checkpoint alone, so the cheapest is read off directly.
 */
import { assert, fail } from '../errors.js';
import { stageCount, validateChain, type Chain } from './chain.js';
import { simulate } from './simulate.js';
import { prepare, relativeLowerBound, relativePeak, unwind, type Prep } from './segments.js';

export interface ThresholdOptions {
  /**
   * Stop at the first (cheapest) last checkpoint instead of filling best[] for every stage; the
   * answer is the same since recompute cost only grows with the last checkpoint.
   */
  readonly stopEarly?: boolean;
}

/**
 * The plan with the least recompute cost among those with PeakBytes - base <= T, or undefined.
 * Ties in recompute cost go to the earliest last checkpoint. O(n · w) where w <= n is the number of
 * left ends l with cost(l, r) <= T for a right end r (the scan stops at the first that exceeds T,
 * since cost only grows as l moves left).
 */
export function planAtThreshold(p: Prep, T: number, opts: ThresholdOptions = {}): number[] | undefined {
  const { n, a, fn, Q, M0, M1, M2, last, timeTo } = p;
  const best = new Float64Array(n).fill(Infinity);
  const parent = new Int32Array(n);
  best[0] = 0;
  let bestLast = -1;
  const consider = (l: number): void => {
    if (best[l]! + last[l]! <= T && (bestLast < 0 || timeTo[l]! < timeTo[bestLast]!)) bestLast = l;
  };
  consider(0);
  for (let r = 1; r < n; r++) {
    if (opts.stopEarly && bestLast >= 0) break;
    const twoAr = 2 * a[r]!;
    let m0 = -Infinity;
    let m1 = -Infinity;
    let m2 = -Infinity;
    let cand = Infinity;
    let arg = -1;
    for (let l = r - 1; l >= 0; l--) {
      if (M1[l + 1]! > m1) m1 = M1[l + 1]!;
      if (M2[l + 1]! > m2) m2 = M2[l + 1]!;
      if (l + 2 <= r && M0[l + 2]! > m0) m0 = M0[l + 2]!;
      const ql = Q[l]!;
      let c = fn[l + 1]!;
      if (m0 > c) c = m0;
      if (m2 - ql > c) c = m2 - ql;
      if (twoAr + m1 - ql > c) c = twoAr + m1 - ql;
      if (c > T) break;
      const bl = best[l]!;
      if (bl < cand && bl + c <= T) {
        cand = bl;
        arg = l;
      }
    }
    if (arg >= 0) {
      best[r] = cand + a[r]!;
      parent[r] = arg;
      consider(r);
    }
  }
  return bestLast < 0 ? undefined : unwind(parent, bestLast);
}

/** Relative peak of the exact optimum: binary search on T over integers, O(n · w · log V). */
function optimumByBisection(chain: Chain, p: Prep): number {
  let lo = relativeLowerBound(chain);
  let hi = p.last[0]!; // store-all always fits its own peak
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const plan = planAtThreshold(p, mid);
    if (plan === undefined) {
      lo = mid + 1;
    } else {
      // The plan found may beat mid by a wide margin: jump straight to its peak.
      const peak = relativePeak(p, plan);
      assert(peak <= mid, `threshold plan peaks at ${peak} > ${mid}`);
      hi = peak;
    }
  }
  return hi;
}

/**
 * `dp`: the exact minimum of PeakBytes over all subsets of {1..n-1}, ties broken by the least
 * recompute cost. Binary search over the integer threshold with the threshold test.
 */
export function planDp(chain: Chain): number[] {
  validateChain(chain);
  const p = prepare(chain);
  const T = optimumByBisection(chain, p);
  const plan = planAtThreshold(p, T, { stopEarly: true });
  assert(plan !== undefined, 'the optimum threshold must be feasible');
  return plan;
}

/** Largest n bruteForce accepts: 2^(n-1) subsets, each simulated in O(n). */
export const BRUTE_FORCE_MAX_STAGES = 18;

/**
 * Exhaustive search over all 2^(n-1) subsets with simulate() as the objective: the reference the
 * other planners are tested against. Least peak, then least recompute cost, then fewest
 * checkpoints, then the lexicographically smallest set.
 */
export function planBruteForce(chain: Chain): number[] {
  validateChain(chain);
  const n = stageCount(chain);
  if (n > BRUTE_FORCE_MAX_STAGES) fail('INVALID_ARGUMENT', `brute force is limited to n <= ${BRUTE_FORCE_MAX_STAGES} stages, got ${n}`);
  let bestSet: number[] = [];
  let bestKey: [number, number, number] | undefined;
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    const C: number[] = [];
    for (let c = 1; c < n; c++) if (mask & (1 << (c - 1))) C.push(c);
    const sim = simulate(chain, C, { validate: false });
    const key: [number, number, number] = [sim.peakBytes, sim.recomputeCost, C.length];
    if (bestKey === undefined || lexLess(key, bestKey) || (lexEqual(key, bestKey) && lexLess(C, bestSet))) {
      bestKey = key;
      bestSet = C;
    }
  }
  return bestSet;
}

function lexLess(x: readonly number[], y: readonly number[]): boolean {
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
  return x.length < y.length;
}

function lexEqual(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
