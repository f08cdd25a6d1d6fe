/**
 * Timing an async function the way benchmarks should: warm-up runs first (the first WebAssembly
 * calls run in the baseline compiler, first JS calls in the interpreter, caches are cold), then
 * repeated timed runs reported as median and 90th percentile, which a busy machine disturbs far
 * less than a mean. Browser-safe: only `performance.now()`.
 */
import { fail } from '../errors.js';

export interface MeasureOptions {
  /** Untimed runs before timing starts. */
  readonly warmup: number;
  /** Timed runs (at least this many). */
  readonly runs: number;
  /** Keep timing past `runs` until this many seconds of timed runs have passed. */
  readonly minSeconds?: number;
  /** Upper bound on timed runs when `minSeconds` asks for more (default 10,000). */
  readonly maxRuns?: number;
  /** Called after every run, warm-up included: `done` counts all runs so far. */
  readonly onRun?: (done: number, phase: 'warmup' | 'timed', ms: number) => void;
}

export interface Measurement {
  readonly medianMs: number;
  /** 90th percentile (nearest rank). */
  readonly p90Ms: number;
  /** Number of timed runs. */
  readonly runs: number;
  /** Every timed run in order, in milliseconds. */
  readonly samples: readonly number[];
}

export async function measure(fn: () => Promise<void>, opts: MeasureOptions): Promise<Measurement> {
  const { warmup, runs } = opts;
  if (!Number.isInteger(warmup) || warmup < 0) fail('INVALID_ARGUMENT', `warmup must be a non-negative integer, got ${warmup}`);
  if (!Number.isInteger(runs) || runs < 1) fail('INVALID_ARGUMENT', `runs must be a positive integer, got ${runs}`);
  const minMs = (opts.minSeconds ?? 0) * 1000;
  const maxRuns = Math.max(runs, opts.maxRuns ?? 10_000);
  let done = 0;
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    await fn();
    opts.onRun?.(++done, 'warmup', performance.now() - t0);
  }
  const samples: number[] = [];
  let total = 0;
  while (samples.length < runs || (total < minMs && samples.length < maxRuns)) {
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    samples.push(ms);
    total += ms;
    opts.onRun?.(++done, 'timed', ms);
  }
  return { medianMs: median(samples), p90Ms: percentile(samples, 0.9), runs: samples.length, samples };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile, q in (0, 1]. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
