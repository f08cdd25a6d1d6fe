/**
 * `budget`: the plan with the least recompute cost whose PeakBytes fits a byte budget. Exact: the
 * threshold test at T = budget - base already returns the cheapest plan under T (recompute cost
 * depends on the last checkpoint only, and the test knows every feasible last checkpoint).
 */
import { fail } from '../errors.js';
import { validateChain, type Chain } from './chain.js';
import { fastTables, planAtThresholdFast } from './fast-threshold.js';
import { planLinear } from './linear.js';
import { prepare } from './segments.js';
import { simulate } from './simulate.js';

/**
 * Sorted checkpoints of the cheapest plan with PeakBytes <= budgetBytes, in O(n log n). Throws
 * INVALID_ARGUMENT naming the least achievable peak when nothing fits.
 */
export function planWithinBudget(chain: Chain, budgetBytes: number): number[] {
  validateChain(chain);
  if (typeof budgetBytes !== 'number' || Number.isNaN(budgetBytes)) fail('INVALID_ARGUMENT', `budget must be a number of bytes, got ${String(budgetBytes)}`);
  const p = prepare(chain);
  const T = Math.min(Math.floor(budgetBytes - chain.base), p.last[0]!); // store-all fits anything above its peak
  const plan = T >= 0 ? planAtThresholdFast(p, fastTables(p), T, { stopEarly: true }) : undefined;
  if (plan === undefined) {
    const min = simulate(chain, planLinear(chain), { validate: false }).peakBytes;
    fail('INVALID_ARGUMENT', `no checkpoint plan fits a budget of ${budgetBytes} bytes: the least achievable peak is ${min} bytes`);
  }
  return plan;
}
