/**
 * Where DEPrune's pointwise filter pruning goes: per-group PW ratios chosen by measured sensitivity.
 *
 * `--pw R` removes the lowest-l2 fraction R of every expansion group (the expansion conv's outputs,
 * the depthwise channels, the projection's inputs). Groups differ a lot in what a removed channel
 * costs in accuracy and in what it saves: in MobileNetV2-CIFAR a channel of a 960-wide block at
 * 4x4 carries 320 PW weights, one of a 96-wide block at 32x32 carries 40. DEPrune decides which
 * PW convs to prune (its Table 1, †); this module does it with numbers:
 *
 *   1. sensitivity: for each group g and each ratio r of a grid, prune only g (l2, as `--pw`) and
 *      measure the mean KL divergence of the model's class distribution from the dense one over
 *      `images` calibration images (training images: the test set never chooses anything);
 *   2. budget: the cost of a choice is the PW weights (or MACs) it removes; the budget is what the
 *      uniform ratio R removes, so an allocation prunes as much as `--pw R` does, placed elsewhere;
 *   3. choice: minimise Σ_g KL_g(r_g) subject to Σ_g cost_g(r_g) ≥ budget — a multiple-choice
 *      knapsack solved exactly over the Pareto frontier of (cost, score) (costs saturate at the
 *      budget, which keeps the frontier small).
 *
 * The sum of one-group KLs stands in for the KL of all groups pruned together (first-order
 * additivity, as in layer-wise sensitivity pruning); the allocation then goes through `pwRatios`.
 */
import type { ImageBatch } from '../data/cifar10.js';
import { batchTensor } from '../data/preprocess.js';
import { fail } from '../errors.js';
import { inferShapes } from '../graph/infer.js';
import type { Graph, Model, Preprocessing } from '../graph/ir.js';
import type { FloatTensor } from '../graph/tensor.js';
import { compile, type CompileOptions, type Session } from '../runtime/session.js';
import { softmaxRow } from '../train/ops/loss.js';
import { channelsRemoved, isExpansionGroup, isPointwiseConv, pruneModel, pwGroups, typesOf } from './apply.js';
import type { PwScope } from './spec.js';
import type { ChannelGroup } from './dependency.js';

/** What the budget counts: PW weights removed, PW MACs removed (batch 1), or filters (channels) removed. */
export type PwBudget = 'weights' | 'macs' | 'filters';

export const DEFAULT_PW_GRID: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

export interface PwSensitivityOptions {
  /** Candidate ratios per group (0 is always a candidate). */
  readonly grid?: readonly number[];
  /** Calibration images the KL is averaged over (the first of `data`; default 256). */
  readonly images?: number;
  /** Groups whose first source is listed stay unpruned. */
  readonly dense?: readonly string[];
  /** Which PW groups are candidates (`PruneOptions.pwScope`; default 'expansion'). */
  readonly scope?: PwScope;
  readonly compile?: CompileOptions;
  readonly onProgress?: (done: number, total: number, group: string) => void;
}

export interface PwAllocationOptions extends PwSensitivityOptions {
  /** The uniform ratio whose removal (in `budget` units) the allocation must match or exceed. */
  readonly ratio: number;
  readonly budget?: PwBudget;
  /**
   * The groups uniform `ratio` is counted over for the budget (default: `scope`). With scope 'all'
   * and budgetScope 'expansion' the allocation removes what `--pw R` removes from the expansion convs,
   * placed anywhere among all pointwise groups.
   */
  readonly budgetScope?: PwScope;
}

export interface PwCandidate {
  readonly ratio: number;
  /** Channels this ratio removes from the group. */
  readonly removed: number;
  readonly weights: number;
  readonly macs: number;
  /** Mean KL(dense ‖ pruned) over the calibration images with only this group pruned. */
  readonly kl: number;
}

export interface PwGroupAllocation {
  /** The group's first source (the expansion conv); the key of `ratios`. */
  readonly source: string;
  readonly channels: number;
  /** Whether the group flows through a depthwise conv (an expansion group, in scope 'expansion'). */
  readonly expansion: boolean;
  readonly candidates: readonly PwCandidate[];
  readonly chosen: PwCandidate;
}

export interface PwSensitivity {
  readonly groups: readonly (Omit<PwGroupAllocation, 'chosen'> & { readonly unit: { readonly weights: number; readonly macs: number } })[];
  readonly images: number;
  readonly scope: PwScope;
  /** Weights and MACs (batch 1) of every 1x1 regular conv in the model. */
  readonly pwWeights: number;
  readonly pwMacs: number;
}

export interface PwAllocation {
  /** First source → ratio, for `PruneOptions.pwRatios`. */
  readonly ratios: ReadonlyMap<string, number>;
  readonly groups: readonly PwGroupAllocation[];
  readonly budget: PwBudget;
  readonly images: number;
  /** The groups that were candidates; pass it on as `PruneOptions.pwScope` with `ratios`. */
  readonly scope: PwScope;
  /** The groups the uniform ratio's removal (the budget, and `uniform`) is counted over. */
  readonly budgetScope: PwScope;
  /** Weights and MACs (batch 1) of every 1x1 regular conv in the model. */
  readonly pwWeights: number;
  readonly pwMacs: number;
  /** The uniform ratio the budget comes from; what it removes and what the allocation removes (kl: Σ one-group KLs). */
  readonly ratio: number;
  readonly uniform: { readonly weights: number; readonly macs: number; readonly filters: number; readonly kl: number };
  readonly allocated: { readonly weights: number; readonly macs: number; readonly filters: number; readonly kl: number };
}

/**
 * Exact multiple-choice knapsack: one option per group, total cost ≥ target, least total score.
 * Returns the chosen option index per group. Scores must be finite; a target no choice reaches
 * is an error.
 */
export function chooseOptions(groups: readonly (readonly { cost: number; score: number }[])[], target: number): number[] {
  interface State { cost: number; score: number; picks: number[] }
  let frontier: State[] = [{ cost: 0, score: 0, picks: [] }];
  for (const options of groups) {
    if (options.length === 0) fail('INVALID_ARGUMENT', 'chooseOptions: a group has no option');
    const next: State[] = [];
    for (const s of frontier) {
      options.forEach((o, i) => next.push({ cost: Math.min(target, s.cost + o.cost), score: s.score + o.score, picks: [...s.picks, i] }));
    }
    // Keep the Pareto frontier: by cost descending, only states that beat every costlier one's score.
    next.sort((a, b) => b.cost - a.cost || a.score - b.score);
    frontier = [];
    let best = Infinity;
    for (const s of next) {
      if (s.score < best) {
        frontier.push(s);
        best = s.score;
      }
    }
  }
  const ok = frontier.filter((s) => s.cost >= target);
  if (ok.length === 0) fail('INVALID_ARGUMENT', `no choice of ratios removes the budget (${target}); the largest reaches ${Math.max(...frontier.map((s) => s.cost))}`);
  return ok.reduce((a, b) => (b.score < a.score ? b : a)).picks;
}

/** PW weights and MACs (batch 1) one removed channel of the group takes out: its sources' rows, its sinks' columns. */
function channelCost(grp: ChannelGroup, g: Graph, types: ReturnType<typeof inferShapes>['types']): { weights: number; macs: number } {
  let weights = 0;
  let macs = 0;
  const pixels = (n: { outputs: readonly string[] }): number => (types.get(n.outputs[0]!)?.shape ?? []).slice(2).reduce<number>((a, d) => a * d, 1);
  for (const n of grp.sources) {
    const w = g.initializers.get(n.inputs[1]!)!;
    const per = w.shape.slice(1).reduce((a, d) => a * d, 1);
    weights += per;
    macs += per * pixels(n);
  }
  // A Gemm reading the channels (a classifier after a pruned head conv) is not a PW conv: not counted.
  for (const n of grp.sinks.filter((x) => x.op === 'Conv')) {
    const w = g.initializers.get(n.inputs[1]!)!;
    const per = w.shape[0]! * w.shape.slice(2).reduce((a, d) => a * d, 1);
    weights += per;
    macs += per * pixels(n);
  }
  return { weights, macs };
}

function softmaxRows(t: FloatTensor): Float64Array[] {
  const [n, k] = [t.shape[0]!, t.data.length / t.shape[0]!];
  return Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(k);
    softmaxRow(t.data, i * k, k, 1, row);
    return row;
  });
}

async function distributions(s: Session, data: ImageBatch, images: number, pre: Preprocessing): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (let i = 0; i < images; i += 64) {
    const n = Math.min(64, images - i);
    const r = await s.run({ [s.inputNames[0]!]: batchTensor(data, i, n, pre) });
    out.push(...softmaxRows(r[s.outputNames[0]!] as FloatTensor));
  }
  return out;
}

function meanKl(p: readonly Float64Array[], q: readonly Float64Array[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    for (let j = 0; j < p[i]!.length; j++) {
      const a = p[i]![j]!;
      if (a > 0) s += a * Math.log(a / Math.max(q[i]![j]!, 1e-30));
    }
  }
  return s / p.length;
}

/** Measures, for every PW expansion group and grid ratio, the KL the group alone costs when pruned. */
export async function measurePwSensitivity(model: Model, data: ImageBatch, opts: PwSensitivityOptions = {}): Promise<PwSensitivity> {
  const pre = model.metadata.preprocessing;
  if (pre === undefined) fail('INVALID_ARGUMENT', 'PW allocation needs the model\'s preprocessing (input size, mean/std) to feed calibration images');
  const grid = [...new Set(opts.grid ?? DEFAULT_PW_GRID)].sort((a, b) => a - b);
  if (grid.length === 0 || grid.some((r) => !(r > 0 && r < 1))) fail('INVALID_ARGUMENT', `PW allocation: grid ratios must be in (0, 1), got ${grid.join(', ')}`);
  const images = opts.images ?? 256;
  if (!Number.isInteger(images) || images < 1) fail('INVALID_ARGUMENT', `PW allocation: images must be a positive integer, got ${images}`);
  if (data.count < images) fail('INVALID_ARGUMENT', `PW allocation needs ${images} calibration images, the data has ${data.count}`);
  const g = model.graph;
  const types = typesOf(g);
  const scope = opts.scope ?? 'expansion';
  const groups = pwGroups(g, new Set(opts.dense ?? []), scope);
  if (groups.length === 0) fail('INVALID_ARGUMENT', scope === 'expansion' ? 'PW allocation: the model has no pointwise expansion group (a 1x1 conv feeding a depthwise conv)' : 'PW allocation: the model has no prunable pointwise group');

  const pwConvs = g.nodes.filter((n) => isPointwiseConv(g, n));
  let pwWeights = 0;
  let pwMacs = 0;
  for (const n of pwConvs) {
    const w = g.initializers.get(n.inputs[1]!)!;
    pwWeights += w.data.length;
    pwMacs += w.data.length * (types.get(n.outputs[0]!)?.shape ?? []).slice(2).reduce<number>((a, d) => a * d, 1);
  }

  const copts: CompileOptions = opts.compile ?? { backend: 'wasm' };
  const denseSession = await compile(model, copts);
  const reference = await distributions(denseSession, data, images, pre);
  denseSession.dispose();

  const total = groups.length * grid.length;
  let done = 0;
  const measured: PwSensitivity['groups'][number][] = [];
  for (const grp of groups) {
    const source = grp.sources[0]!.name;
    const unit = channelCost(grp, g, types);
    const candidates: PwCandidate[] = [{ ratio: 0, removed: 0, weights: 0, macs: 0, kl: 0 }];
    const seen = new Set<number>([0]);
    for (const r of grid) {
      opts.onProgress?.(done++, total, source);
      const removed = channelsRemoved(r, grp.channels);
      if (seen.has(removed)) continue;
      seen.add(removed);
      const one = pruneModel(model, { kind: 'dcp', ratio: 0 }, { pwRatios: new Map([[source, r]]), pwScope: scope }).model;
      const s = await compile(one, copts);
      const kl = meanKl(reference, await distributions(s, data, images, pre));
      s.dispose();
      candidates.push({ ratio: r, removed, weights: removed * unit.weights, macs: removed * unit.macs, kl });
    }
    measured.push({ source, channels: grp.channels, candidates, unit, expansion: isExpansionGroup(grp, types) });
  }
  opts.onProgress?.(total, total, '');
  return { groups: measured, images, scope, pwWeights, pwMacs };
}

/**
 * Per-group ratios that remove at least what the uniform `ratio` removes (in `budget` units) with
 * the least summed KL. The uniform row's KL is NaN when `ratio` is not on the measured grid.
 * `budgetScope` 'expansion' counts the uniform removal over the expansion groups only, whatever
 * groups were measured.
 */
export function choosePwRatios(sens: PwSensitivity, ratio: number, budget: PwBudget = 'weights', budgetScope: PwScope = sens.scope): PwAllocation {
  if (!(ratio > 0 && ratio < 1)) fail('INVALID_ARGUMENT', `PW allocation: the ratio must be in (0, 1), got ${ratio}`);
  if (budgetScope === 'all' && sens.scope === 'expansion') fail('INVALID_ARGUMENT', 'PW allocation: a budget counted over all pointwise groups cannot be placed in the expansion groups alone (measure with scope all)');
  const cost = (c: Pick<PwCandidate, 'weights' | 'macs' | 'removed'>): number => (budget === 'weights' ? c.weights : budget === 'macs' ? c.macs : c.removed);
  // The uniform ratio's removal, with the channel counts pruneModel uses.
  const uniformPick = sens.groups.filter((m) => budgetScope === 'all' || m.expansion).map((m) => {
    const removed = channelsRemoved(ratio, m.channels);
    const exact = m.candidates.find((c) => c.removed === removed);
    return { removed, weights: removed * m.unit.weights, macs: removed * m.unit.macs, kl: exact?.kl ?? NaN };
  });
  const target = uniformPick.reduce((s, u) => s + cost(u), 0);
  const picks = chooseOptions(sens.groups.map((m) => m.candidates.map((c) => ({ cost: cost(c), score: c.kl }))), target);
  const groups: PwGroupAllocation[] = sens.groups.map((m, i) => ({ source: m.source, channels: m.channels, expansion: m.expansion, candidates: m.candidates, chosen: m.candidates[picks[i]!]! }));
  const sum = (f: (c: PwCandidate) => number): number => groups.reduce((s, m) => s + f(m.chosen), 0);
  const usum = (f: (u: (typeof uniformPick)[number]) => number): number => uniformPick.reduce((s, u) => s + f(u), 0);
  return {
    ratios: new Map(groups.map((m) => [m.source, m.chosen.ratio])),
    groups, budget, ratio, images: sens.images, scope: sens.scope, budgetScope, pwWeights: sens.pwWeights, pwMacs: sens.pwMacs,
    uniform: { weights: usum((u) => u.weights), macs: usum((u) => u.macs), filters: usum((u) => u.removed), kl: usum((u) => u.kl) },
    allocated: { weights: sum((c) => c.weights), macs: sum((c) => c.macs), filters: sum((c) => c.removed), kl: sum((c) => c.kl) },
  };
}

/** measurePwSensitivity then choosePwRatios: what `--pw R --pw-alloc` runs. */
export async function allocatePwRatios(model: Model, data: ImageBatch, opts: PwAllocationOptions): Promise<PwAllocation> {
  if (!(opts.ratio > 0 && opts.ratio < 1)) fail('INVALID_ARGUMENT', `PW allocation: the ratio must be in (0, 1), got ${opts.ratio}`);
  return choosePwRatios(await measurePwSensitivity(model, data, opts), opts.ratio, opts.budget, opts.budgetScope);
}
