/**
 * The chain model the checkpoint planners optimise and the training executor follows (see
 * docs/checkpointing.md). A training graph is cut into stages 1..n; x_0 is the input batch and x_i
 * the output of stage i. Every quantity is an integer number of bytes.
 *
 * Per-stage arrays have length n+1 and are indexed by stage number, so the code reads like the
 * maths; entry 0 of s, fn, fs, b and t stands for no stage and must be 0 (validation rejects
 * anything else, which catches off-by-one construction early).
 */
import { fail } from '../errors.js';

export interface Chain {
  /** Number of stages (>= 1); every per-stage array has n+1 entries. */
  readonly n: number;
  /** Bytes live for the whole step: weights, gradients, optimizer state, x_0, labels. */
  readonly base: number;
  /** a[i]: bytes of x_i, i = 0..n (a[0] is part of base and never counted again). */
  readonly a: readonly number[];
  /** s[i]: bytes stage i keeps for its backward in save mode, beyond x_{i-1} and x_i. */
  readonly s: readonly number[];
  /** fn[i]: peak above the live bytes at the start of a no-save forward of stage i (>= a[i]). */
  readonly fn: readonly number[];
  /** fs[i]: peak above live at the start of a save-mode forward of stage i (>= a[i] + s[i]). */
  readonly fs: readonly number[];
  /** b[i]: peak above live at the start of stage i's backward (includes the dx_{i-1} it creates). */
  readonly b: readonly number[];
  /** Peak above live during the loss computation (>= a[n]); afterwards dx_n (a[n] bytes) is live. */
  readonly loss: number;
  /** t[i]: forward time of stage i in any unit, for the recompute cost; 1 per stage when absent. */
  readonly t?: readonly number[];
}

/** Number of stages n of a chain. */
export function stageCount(chain: Chain): number {
  return chain.n;
}

/** g(j): bytes of the gradient dx_j; the input batch gets none. */
export function gradBytes(chain: Chain, j: number): number {
  return j === 0 ? 0 : chain.a[j]!;
}

/** Stage i's forward time (1 when the chain has no timings). */
export function stageTime(chain: Chain, i: number): number {
  return chain.t === undefined ? 1 : chain.t[i]!;
}

function checkBytes(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    fail('INVALID_ARGUMENT', `chain: ${what} must be a non-negative integer number of bytes, got ${String(v)}`);
  }
  return v;
}

function checkArray(name: string, arr: unknown, n: number, unusedZero: boolean): readonly number[] {
  if (!Array.isArray(arr)) fail('INVALID_ARGUMENT', `chain: ${name} must be an array of length n+1 = ${n + 1}`);
  if (arr.length !== n + 1) {
    fail('INVALID_ARGUMENT', `chain: ${name} has length ${arr.length}, expected n+1 = ${n + 1} (indexed by stage, entry 0 unused)`);
  }
  arr.forEach((v, i) => checkBytes(`${name}[${i}]`, v));
  if (unusedZero && arr[0] !== 0) fail('INVALID_ARGUMENT', `chain: ${name}[0] must be 0 (there is no stage 0), got ${String(arr[0])}`);
  return arr as readonly number[];
}

/**
 * Throws INVALID_ARGUMENT with the first problem found: wrong lengths, negative or non-integer
 * bytes, a violated lower bound (fn >= a, fs >= a + s, loss >= a[n]), n < 1, or sums too large to
 * add exactly in double precision.
 */
export function validateChain(chain: Chain): void {
  if (typeof chain !== 'object' || chain === null) fail('INVALID_ARGUMENT', 'chain: expected an object');
  const n = chain.n;
  if (!Number.isSafeInteger(n) || n < 1) fail('INVALID_ARGUMENT', `chain: n must be an integer >= 1 (the number of stages), got ${String(n)}`);
  checkBytes('base', chain.base);
  checkBytes('loss', chain.loss);
  const a = checkArray('a', chain.a, n, false);
  const s = checkArray('s', chain.s, n, true);
  const fn = checkArray('fn', chain.fn, n, true);
  const fs = checkArray('fs', chain.fs, n, true);
  checkArray('b', chain.b, n, true);
  let total = chain.base + chain.loss;
  for (let i = 1; i <= n; i++) {
    if (fn[i]! < a[i]!) fail('INVALID_ARGUMENT', `chain: fn[${i}] = ${fn[i]} < a[${i}] = ${a[i]} (a no-save forward at least writes x_${i})`);
    if (fs[i]! < a[i]! + s[i]!) {
      fail('INVALID_ARGUMENT', `chain: fs[${i}] = ${fs[i]} < a[${i}] + s[${i}] = ${a[i]! + s[i]!} (a save-mode forward at least writes x_${i} and its saved data)`);
    }
    total += 2 * a[i]! + s[i]! + fn[i]! + fs[i]! + chain.b[i]!;
  }
  if (chain.loss < a[n]!) fail('INVALID_ARGUMENT', `chain: loss = ${chain.loss} < a[n] = ${a[n]} (the loss writes dx_n)`);
  // The planners add up to about twice these bytes; keep every such sum exact in a double.
  if (!Number.isSafeInteger(2 * total)) fail('INVALID_ARGUMENT', 'chain: byte counts too large to add exactly (their total exceeds 2^52)');
  if (chain.t !== undefined) {
    if (!Array.isArray(chain.t) || chain.t.length !== n + 1) {
      fail('INVALID_ARGUMENT', `chain: t must have length n+1 = ${n + 1} (indexed by stage, entry 0 unused)`);
    }
    chain.t.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('INVALID_ARGUMENT', `chain: t[${i}] must be a finite non-negative time, got ${String(v)}`);
    });
    if (chain.t[0] !== 0) fail('INVALID_ARGUMENT', `chain: t[0] must be 0 (there is no stage 0), got ${String(chain.t[0])}`);
  }
}

/**
 * The seed paper's analytic chain: transients ignored, so a no-save forward peaks at its output
 * (fn = a), a save-mode forward at output plus saved data (fs = a + s), a backward at the gradient
 * it creates (b[i] = g(i-1)) and the loss at dx_n (loss = a[n]).
 *
 * `a` lists x_0..x_n; `s` lists stages 1..n (length n, unlike Chain.s) since that is how callers
 * have it; `t`, when given, also lists stages 1..n.
 */
export function paperChain(a: readonly number[], s: readonly number[], base: number, t?: readonly number[]): Chain {
  const n = a.length - 1;
  if (n < 1) fail('INVALID_ARGUMENT', `paperChain: a must list x_0..x_n for n >= 1 (length >= 2), got length ${a.length}`);
  if (s.length !== n) fail('INVALID_ARGUMENT', `paperChain: s must list stages 1..n (length ${n}), got length ${s.length}`);
  if (t !== undefined && t.length !== n) fail('INVALID_ARGUMENT', `paperChain: t must list stages 1..n (length ${n}), got length ${t.length}`);
  const s1 = [0, ...s];
  const chain: Chain = {
    n,
    base,
    a: [...a],
    s: s1,
    fn: a.map((v, i) => (i === 0 ? 0 : v)),
    fs: a.map((v, i) => (i === 0 ? 0 : v + s1[i]!)),
    b: a.map((_, i) => (i <= 1 ? 0 : a[i - 1]!)),
    loss: a[n]!,
    ...(t !== undefined ? { t: [0, ...t] } : {}),
  };
  validateChain(chain);
  return chain;
}
