/**
 * The threshold test of exact.ts without its O(n · w) inner loop (docs/checkpointing.md, "The
 * threshold test in O(n log n)"). For a fixed T, a left end l can serve a right end r iff
 *
 *   (i)   best[l] + fn[l+1]                  <= T
 *   (ii)  best[l] + max M0[l+2..r]           <= T
 *   (iii) best[l] - Q[l] + max M2[l+1..r]    <= T
 *   (iv)  best[l] - Q[l] + max M1[l+1..r]    <= T - 2a[r]
 *
 * (i)-(iii) only get harder as r grows, so each l has a death time d(l). Only (iv) is not monotone
 * in r. A left end l is dominated by a later l' with best[l'] <= best[l] (cost(l', r) <= cost(l, r)
 * for every r > l'), so the candidates form a stack with best increasing left to right and the
 * answer for r is the leftmost live candidate that passes (iv). Two ways to find it:
 *
 * - scan: walk the candidates from the left; O(n + skips), skips = candidates failing (iv) alone;
 * - tree: a segment tree over l holding best[l] - Q[l] + max M1[l+1..r]; moving r to r+1 raises
 *   max M1[l+1..r] to M1[r+1] on a suffix of the l's (a monotone stack finds it), one lazy range
 *   assignment; the query is a leftmost-leaf-below-bound descent. O(n log n), death times found by
 *   binary lifting on sparse tables.
 *
 * planAtThresholdFast runs the scan under a skip budget and the tree past it.
 */
import type { Prep } from './segments.js';
import { unwind } from './segments.js';

/** Range-maximum sparse table with "first index past a bound" search by binary lifting. */
export class SparseMax {
  private readonly levels: Float64Array[];

  constructor(values: Float64Array) {
    this.levels = [values];
    for (let k = 1; 1 << k <= values.length; k++) {
      const prev = this.levels[k - 1]!;
      const half = 1 << (k - 1);
      const cur = new Float64Array(values.length - (1 << k) + 1);
      for (let i = 0; i < cur.length; i++) cur[i] = Math.max(prev[i]!, prev[i + half]!);
      this.levels.push(cur);
    }
  }

  /** max values[lo..hi] (inclusive, lo <= hi) in O(1). */
  max(lo: number, hi: number): number {
    const k = 31 - Math.clz32(hi - lo + 1);
    const level = this.levels[k]!;
    const x = level[lo]!;
    const y = level[hi - (1 << k) + 1]!;
    return x > y ? x : y;
  }

  /** The smallest i in [from, end) with values[i] > bound, or end when there is none. */
  firstAbove(from: number, end: number, bound: number): number {
    let pos = from;
    for (let k = this.levels.length - 1; k >= 0; k--) {
      const level = this.levels[k]!;
      if (pos + (1 << k) <= end && level[pos]! <= bound) pos += 1 << k;
    }
    return pos;
  }
}

/** Per-chain tables the fast test reuses across thresholds. */
export interface FastTables {
  readonly M0: SparseMax;
  readonly M1: SparseMax;
  readonly M2: SparseMax;
}

export function fastTables(p: Prep): FastTables {
  return { M0: new SparseMax(p.M0), M1: new SparseMax(p.M1), M2: new SparseMax(p.M2) };
}

const NO_TAG = -1; // M1 values are >= 0, so a negative tag means "none"

/**
 * Min over leaves of u[l] + X[l] under "assign X := x on a range", with u = Infinity for leaves
 * that are not live candidates. Leaves keep their X in their own tag slot.
 */
class CandidateTree {
  private readonly size: number;
  private readonly minU: Float64Array;
  private readonly minV: Float64Array;
  private readonly tag: Float64Array;

  constructor(n: number) {
    let size = 1;
    while (size < n) size *= 2;
    this.size = size;
    this.minU = new Float64Array(2 * size).fill(Infinity);
    this.minV = new Float64Array(2 * size).fill(Infinity);
    this.tag = new Float64Array(2 * size).fill(NO_TAG);
    this.tag.fill(0, size); // leaves: X = 0 until assigned (never read before that)
  }

  private apply(x: number, v: number): void {
    this.tag[x] = v;
    this.minV[x] = this.minU[x]! + v;
  }

  private push(x: number): void {
    const t = this.tag[x]!;
    if (t !== NO_TAG) {
      this.apply(2 * x, t);
      this.apply(2 * x + 1, t);
      this.tag[x] = NO_TAG;
    }
  }

  private pull(x: number): void {
    const l = 2 * x;
    this.minU[x] = Math.min(this.minU[l]!, this.minU[l + 1]!);
    this.minV[x] = Math.min(this.minV[l]!, this.minV[l + 1]!);
  }

  /** Sets leaf i's u (Infinity: not a candidate). */
  setU(i: number, u: number): void {
    let x = 1;
    let lo = 0;
    let hi = this.size;
    while (x < this.size) {
      this.push(x);
      const mid = (lo + hi) >> 1;
      if (i < mid) {
        x = 2 * x;
        hi = mid;
      } else {
        x = 2 * x + 1;
        lo = mid;
      }
    }
    this.minU[x] = u;
    this.minV[x] = u + this.tag[x]!;
    for (x >>= 1; x >= 1; x >>= 1) this.pull(x);
  }

  /** X := v on leaves [from, to]. */
  assign(from: number, to: number, v: number): void {
    this.assignRec(1, 0, this.size - 1, from, to, v);
  }

  private assignRec(x: number, lo: number, hi: number, from: number, to: number, v: number): void {
    if (to < lo || hi < from) return;
    if (from <= lo && hi <= to) {
      this.apply(x, v);
      return;
    }
    this.push(x);
    const mid = (lo + hi) >> 1;
    this.assignRec(2 * x, lo, mid, from, to, v);
    this.assignRec(2 * x + 1, mid + 1, hi, from, to, v);
    this.pull(x);
  }

  /** The leftmost leaf with u + X <= bound, or -1. */
  leftmostAtMost(bound: number): number {
    if (!(this.minV[1]! <= bound)) return -1;
    let x = 1;
    while (x < this.size) {
      this.push(x);
      x = this.minV[2 * x]! <= bound ? 2 * x : 2 * x + 1;
    }
    return x - this.size;
  }
}

/**
 * Same contract as planAtThreshold (exact.ts): the least-recompute plan with PeakBytes - base <= T,
 * or undefined. O(n log n) always.
 */
export function planAtThresholdTree(p: Prep, tables: FastTables, T: number, opts: { stopEarly?: boolean } = {}): number[] | undefined {
  const { n, a, fn, Q, M1, last, timeTo } = p;
  const best = new Float64Array(n).fill(Infinity);
  const parent = new Int32Array(n);
  const tree = new CandidateTree(n);
  // Candidates stack (best increasing) and death buckets: dieHead[r] lists the l that fail (ii) or
  // (iii) from r on, chained through dieNext.
  const stack = new Int32Array(n);
  let top = 0;
  const dieHead = new Int32Array(n + 1).fill(-1);
  const dieNext = new Int32Array(n).fill(-1);
  // Blocks of l sharing max M1[l+1..r]: starts and values, values decreasing bottom to top.
  const blockStart = new Int32Array(n);
  const blockVal = new Float64Array(n);
  let blocks = 0;

  let bestLast = -1;
  const consider = (l: number): void => {
    if (best[l]! + last[l]! <= T && (bestLast < 0 || timeTo[l]! < timeTo[bestLast]!)) bestLast = l;
  };
  // A left end with a finite best becomes a candidate unless (i) already fails; it dies at the
  // first r where (ii) or (iii) fails.
  let pending = -1;
  const admit = (l: number): void => {
    const slack = T - best[l]!;
    if (fn[l + 1]! > slack) return;
    const d = Math.min(tables.M0.firstAbove(l + 2, n, slack), tables.M2.firstAbove(l + 1, n, slack + Q[l]!));
    if (d <= l + 1) return; // fails at r = l + 1 already
    dieNext[l] = dieHead[d]!;
    dieHead[d] = l;
    while (top > 0 && best[stack[top - 1]!]! >= best[l]!) tree.setU(stack[--top]!, Infinity);
    stack[top++] = l;
    pending = l;
  };

  best[0] = 0;
  consider(0);
  admit(0);
  for (let r = 1; r < n; r++) {
    if (opts.stopEarly && bestLast >= 0) break;
    if (pending >= 0) {
      tree.setU(pending, best[pending]! - Q[pending]!);
      pending = -1;
    }
    // max M1[l+1..r] becomes M1[r] for every l whose old maximum was below it (a suffix of l's).
    let from = r - 1;
    while (blocks > 0 && blockVal[blocks - 1]! <= M1[r]!) from = blockStart[--blocks]!;
    blockStart[blocks] = from;
    blockVal[blocks++] = M1[r]!;
    tree.assign(from, r - 1, M1[r]!);
    for (let l = dieHead[r]!; l >= 0; l = dieNext[l]!) tree.setU(l, Infinity);
    const l = tree.leftmostAtMost(T - 2 * a[r]!);
    if (l < 0) continue;
    best[r] = best[l]! + a[r]!;
    parent[r] = l;
    consider(r);
    admit(r);
  }
  return bestLast < 0 ? undefined : unwind(parent, bestLast);
}

/** What planAtThresholdScan returns when it ran out of skips. */
export const GAVE_UP = 'gave-up';

/**
 * The same test by walking the candidate list from its left end (least best) and taking the first
 * candidate that passes (iv). Candidates that fail (ii) or (iii) are removed for good, so apart from
 * candidates that fail only (iv) every step is paid for once: O(n + skips) with O(1) range maxima.
 * Returns GAVE_UP after maxSkips such skips, so a caller can bound the work and switch to the tree.
 */
export function planAtThresholdScan(p: Prep, tables: FastTables, T: number, opts: { stopEarly?: boolean; maxSkips?: number } = {}): number[] | undefined | typeof GAVE_UP {
  const { n, a, fn, Q, last, timeTo } = p;
  const maxSkips = opts.maxSkips ?? Infinity;
  const best = new Float64Array(n).fill(Infinity);
  const parent = new Int32Array(n);
  // Candidates as a doubly linked list in position order (best increases along it).
  const next = new Int32Array(n).fill(-1);
  const prev = new Int32Array(n).fill(-1);
  let head = -1;
  let tail = -1;
  const unlink = (l: number): void => {
    const pl = prev[l]!;
    const nl = next[l]!;
    if (pl >= 0) next[pl] = nl;
    else head = nl;
    if (nl >= 0) prev[nl] = pl;
    else tail = pl;
  };
  const admit = (l: number): void => {
    // A later left end with no larger best dominates, whether or not it is usable itself.
    while (tail >= 0 && best[tail]! >= best[l]!) unlink(tail);
    if (fn[l + 1]! > T - best[l]!) return;
    prev[l] = tail;
    next[l] = -1;
    if (tail >= 0) next[tail] = l;
    else head = l;
    tail = l;
  };
  let bestLast = -1;
  const consider = (l: number): void => {
    if (best[l]! + last[l]! <= T && (bestLast < 0 || timeTo[l]! < timeTo[bestLast]!)) bestLast = l;
  };
  let skips = 0;
  best[0] = 0;
  consider(0);
  admit(0);
  for (let r = 1; r < n; r++) {
    if (opts.stopEarly && bestLast >= 0) break;
    const bound = T - 2 * a[r]!;
    let l = head;
    while (l >= 0) {
      const slack = T - best[l]!;
      const nl = next[l]!;
      if ((l + 2 <= r && tables.M0.max(l + 2, r) > slack) || tables.M2.max(l + 1, r) - Q[l]! > slack) {
        unlink(l);
      } else if (best[l]! - Q[l]! + tables.M1.max(l + 1, r) > bound) {
        if (++skips > maxSkips) return GAVE_UP;
      } else {
        break;
      }
      l = nl;
    }
    if (l < 0) continue;
    best[r] = best[l]! + a[r]!;
    parent[r] = l;
    consider(r);
    admit(r);
  }
  return bestLast < 0 ? undefined : unwind(parent, bestLast);
}

/**
 * The threshold test with a guaranteed O(n log n): the scan, which is O(n) unless many candidates
 * fail on the recompute bound alone, and the tree once the scan has skipped more than 4n of those.
 */
export function planAtThresholdFast(p: Prep, tables: FastTables, T: number, opts: { stopEarly?: boolean } = {}): number[] | undefined {
  const scanned = planAtThresholdScan(p, tables, T, { ...opts, maxSkips: 4 * p.n });
  return scanned === GAVE_UP ? planAtThresholdTree(p, tables, T, opts) : scanned;
}
