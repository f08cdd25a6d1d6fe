/**
 * Checkpoint planning (rematerialization) for training on a memory budget: the chain model, the
 * objective (simulate), the planners and the graph linearisation. See docs/checkpointing.md.
 */
export { paperChain, stageCount, validateChain, type Chain } from './chain.js';
export { normalizeCheckpoints, simulate, type EventKind, type PeakEvent, type Simulation } from './simulate.js';
export { sequentialPlan, sqrtPlan, storeAllPlan, uniformPlan } from './baselines.js';
export { planWithinBudget } from './budget.js';
export { BRUTE_FORCE_MAX_STAGES, planBruteForce, planDp } from './exact.js';
export { planLinear, type LinearOptions } from './linear.js';
export { parsePlanner, planner, runPlanner, type Planner, type PlanResult } from './registry.js';
export { constantValues, linearize, stageBytes, type Stage, type StageBytes } from './stages.js';
