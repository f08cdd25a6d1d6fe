/**
 * Planners by name, so a CLI flag or a benchmark config can say
 * "store-all,sqrt,uniform:4,sequential:3,dp,linear,budget:64MiB".
 */
import { fail } from '../errors.js';
import { stageCount, validateChain, type Chain } from './chain.js';
import { sequentialPlan, sqrtPlan, storeAllPlan, uniformPlan } from './baselines.js';
import { planWithinBudget } from './budget.js';
import { planBruteForce, planDp } from './exact.js';
import { planLinear } from './linear.js';
import { simulate } from './simulate.js';

export interface Planner {
  /** The spec it was parsed from, normalised (e.g. "uniform:4"). */
  readonly name: string;
  /** Sorted checkpoint stages in 1..n-1. */
  plan(chain: Chain): number[];
}

export interface PlanResult {
  readonly planner: string;
  readonly checkpoints: readonly number[];
  readonly peakBytes: number;
  readonly recomputeCost: number;
}

const SYNTAX = 'store-all, sqrt, uniform:<k>, sequential:<segments>, dp, linear, brute, budget:<bytes>[KiB|MiB|GiB]';

function positiveInt(spec: string, arg: string | undefined, what: string): number {
  if (arg === undefined || !/^[0-9]+$/.test(arg) || Number(arg) < 1 || !Number.isSafeInteger(Number(arg))) {
    fail('INVALID_ARGUMENT', `planner '${spec}': ${what} must be an integer >= 1, got '${arg ?? ''}'`);
  }
  return Number(arg);
}

const UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

function bytesArg(spec: string, arg: string | undefined): number {
  const m = arg === undefined ? null : /^([0-9]+)(KiB|MiB|GiB)?$/.exec(arg);
  const v = m === null ? NaN : Number(m[1]) * UNITS[m[2] ?? '']!;
  if (!Number.isSafeInteger(v)) fail('INVALID_ARGUMENT', `planner '${spec}': the budget must be a byte count such as 1048576 or 64MiB, got '${arg ?? ''}'`);
  return v;
}

/** One planner from its spec; INVALID_ARGUMENT for unknown names and bad parameters. */
export function planner(spec: string): Planner {
  const s = spec.trim();
  const colon = s.indexOf(':');
  const name = colon < 0 ? s : s.slice(0, colon);
  const arg = colon < 0 ? undefined : s.slice(colon + 1);
  const noArg = (): void => {
    if (arg !== undefined) fail('INVALID_ARGUMENT', `planner '${name}' takes no parameter, got '${s}'`);
  };
  const byStages = (f: (n: number) => number[]) => (chain: Chain): number[] => {
    validateChain(chain);
    return f(stageCount(chain));
  };
  switch (name) {
    case 'store-all':
      noArg();
      return { name, plan: byStages(storeAllPlan) };
    case 'sqrt':
      noArg();
      return { name, plan: byStages(sqrtPlan) };
    case 'uniform': {
      const k = positiveInt(s, arg, 'k');
      return { name: `uniform:${k}`, plan: byStages((n) => uniformPlan(n, k)) };
    }
    case 'sequential': {
      const segments = positiveInt(s, arg, 'the segment count');
      return { name: `sequential:${segments}`, plan: byStages((n) => sequentialPlan(n, segments)) };
    }
    case 'dp':
      noArg();
      return { name, plan: planDp };
    case 'linear':
      noArg();
      return { name, plan: planLinear };
    case 'brute':
      noArg();
      return { name, plan: planBruteForce };
    case 'budget': {
      const bytes = bytesArg(s, arg);
      return { name: `budget:${bytes}`, plan: (chain) => planWithinBudget(chain, bytes) };
    }
    default:
      fail('INVALID_ARGUMENT', `unknown checkpoint planner '${s}' (known: ${SYNTAX})`);
  }
}

/**
 * The planners of a spec: a comma-separated list ("store-all,sqrt,dp") or an array of single
 * specs, in order. INVALID_ARGUMENT for an empty list, an unknown name or a bad parameter.
 */
export function parsePlanner(spec: string | readonly string[]): Planner[] {
  const parts = (typeof spec === 'string' ? spec.split(',') : spec).map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) fail('INVALID_ARGUMENT', `empty planner name in '${String(spec)}' (known: ${SYNTAX})`);
  return parts.map(planner);
}

/** Run a planner and score its plan with the objective. */
export function runPlanner(chain: Chain, planner: Planner): PlanResult {
  const checkpoints = planner.plan(chain);
  const sim = simulate(chain, checkpoints);
  return { planner: planner.name, checkpoints, peakBytes: sim.peakBytes, recomputeCost: sim.recomputeCost };
}
