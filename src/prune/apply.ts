/**
 * pruneModel: applies a method to a model and returns the pruned model (weights really zero, or
 * channels really removed) plus a per-layer report. The patterns are pure functions of weights
 * (patterns/); this file decides which layers each applies to and records what was done in the
 * model's metadata ('sparsecnn.pruning'), which survives ONNX export so the engine can choose
 * sparse kernels on load.
 */
import { fail } from '../errors.js';
import { modelStats } from '../analysis/stats.js';
import { inferShapes } from '../graph/infer.js';
import type { Graph, Model, Node } from '../graph/ir.js';
import type { FloatTensor, Tensor } from '../graph/tensor.js';
import { feedInputs } from '../runtime/bind.js';
import { allChannelGroups, isDepthwise, type ChannelGroup } from './dependency.js';
import { colNmMask } from './patterns/colnm.js';
import { depruneMask, type DepruneResult } from './patterns/deprune.js';
import { depthwiseScores, removeChannels } from './patterns/filter.js';
import { reductionNmMask } from './patterns/nm-reduction.js';
import { magnitudeMask } from './patterns/unstructured.js';
import { methodString, PW_SCOPES, type PruneMethod, type PruneOptions, type PwScope } from './spec.js';
import { PRUNING_METADATA_KEY, readPruningMetadata, type LayerPattern } from './metadata.js';
export { PRUNING_METADATA_KEY, readPruningMetadata, type LayerPattern };

export const DEFAULT_TILE = 8;

export interface LayerReport {
  readonly name: string;
  readonly op: string;
  /** Fraction of this layer's weights that are zero or removed. */
  readonly sparsity: number;
  readonly pattern: string;
  readonly deprune?: Pick<DepruneResult, 'realizedRatio' | 'imbalance' | 'alignment'> & { groupRatios: number[] };
}

export interface PruneReport {
  readonly method: string;
  readonly layers: LayerReport[];
  /** 1 − (non-zero conv/Gemm weights after) / (conv/Gemm weights before). */
  readonly totalSparsity: number;
  /** MACs at batch 1, counting only non-zero weights (so pruned work is not counted). */
  readonly macsBefore: number;
  readonly macsAfter: number;
  readonly skipped: readonly { readonly node: string; readonly reason: string }[];
}

function weightOf(g: Graph, n: Node): FloatTensor {
  const t = g.initializers.get(n.inputs[1] ?? '');
  if (t?.dtype !== 'float32') fail('UNSUPPORTED', `'${n.name}' (${n.op}) has no constant weight to prune`);
  return t;
}

function effectiveMacs(m: Model): number {
  return modelStats(m).nodes.reduce((s, n) => s + n.macs * (1 - n.sparsity), 0);
}

function weightCounts(g: Graph): { total: number; nonzero: number } {
  let total = 0;
  let nonzero = 0;
  for (const n of g.nodes) {
    if (n.op !== 'Conv' && n.op !== 'Gemm') continue;
    const w = g.initializers.get(n.inputs[1]!);
    if (w?.dtype !== 'float32') continue;
    total += w.data.length;
    for (const v of w.data) if (v !== 0) nonzero++;
  }
  return { total, nonzero };
}

/** Value types of a graph with its symbolic input dims (batch) taken as 1. */
export function typesOf(g: Graph): ReturnType<typeof inferShapes>['types'] {
  const shapes = new Map(feedInputs(g).map((i) => [i.name, i.shape.map((d) => (typeof d === 'number' ? d : 1))] as const));
  return inferShapes(g, shapes).types;
}

/**
 * DEPrune's pointwise groups, keyed by their first source; groups with a source left dense are not
 * pruned. 'expansion': the groups whose channels flow through a depthwise conv (an expansion 1x1
 * conv's outputs, the depthwise conv, the projection's inputs). 'all': also every other group whose
 * sources are all 1x1 convs (a head conv before global pooling, residual streams).
 */
export function pwGroups(g: Graph, dense: ReadonlySet<string> = new Set(), scope: PwScope = 'expansion'): ChannelGroup[] {
  const types = typesOf(g);
  return allChannelGroups(g, types).groups.filter((grp) => isPwGroup(grp, g, types, dense, scope));
}

/** The expansion groups (`pwGroups` with scope 'expansion'). */
export function expansionGroups(g: Graph, dense: ReadonlySet<string> = new Set()): ChannelGroup[] {
  return pwGroups(g, dense, 'expansion');
}

/** A regular (group 1) conv with a constant 1x1 kernel. */
export function isPointwiseConv(g: Graph, n: Node): boolean {
  return n.op === 'Conv' && n.attrs.group === 1 && (g.initializers.get(n.inputs[1]!)?.shape.slice(2) ?? [0]).every((d) => d === 1);
}

/** Whether the group's channels flow through a depthwise conv: an expansion group. */
export function isExpansionGroup(grp: ChannelGroup, types: ReturnType<typeof inferShapes>['types']): boolean {
  return grp.through.some((t) => isDepthwise(t, types));
}

function isPwGroup(grp: ChannelGroup, g: Graph, types: ReturnType<typeof inferShapes>['types'], dense: ReadonlySet<string>, scope: PwScope): boolean {
  if (grp.sources.some((x) => dense.has(x.name))) return false;
  if (isExpansionGroup(grp, types)) return true;
  return scope === 'all' && grp.sources.every((x) => isPointwiseConv(g, x));
}

/** Channels filter pruning at `ratio` removes from a group of `channels` (always keeps one). */
export function channelsRemoved(ratio: number, channels: number): number {
  return Math.min(channels - 1, Math.floor(ratio * channels));
}

export function pruneModel(model: Model, method: PruneMethod, opts: PruneOptions = {}): { model: Model; report: PruneReport } {
  let g = model.graph;
  const before = weightCounts(g);
  const macsBefore = effectiveMacs(model);
  const layers: LayerReport[] = [];
  const patterns: Record<string, LayerPattern> = { ...readPruningMetadata(model) };
  let skipped: { node: string; reason: string }[] = [];
  const inits = new Map<string, Tensor>(g.initializers);
  const inputs = new Set(feedInputs(g).map((i) => i.name));
  const dense = new Set(opts.dense ?? []);
  const types = typesOf(g);
  const isDeprune = method.kind === 'dcp' || method.kind === 'dcp-b' || method.kind === 'dcp-bh';
  if (!isDeprune && ((opts.pw ?? 0) > 0 || (opts.pwRatios?.size ?? 0) > 0)) {
    fail('INVALID_ARGUMENT', `PW filter pruning (pw, pwRatios) is part of DEPrune (dcp, dcp-b, dcp-bh); ${methodString(method)} does not use it (for filter pruning of every conv use filter:R)`);
  }

  const setMasked = (n: Node, w: FloatTensor, mask: Uint8Array): number => {
    const data = new Float32Array(w.data.length);
    let zeros = 0;
    for (let i = 0; i < data.length; i++) {
      data[i] = mask[i] ? w.data[i]! : 0;
      if (data[i] === 0) zeros++;
    }
    inits.set(n.inputs[1]!, { dtype: 'float32', shape: w.shape, data });
    return zeros / data.length;
  };

  if (method.kind === 'colnm' || method.kind === 'nm' || method.kind === 'unstructured') {
    // Weight patterns: regular convs, and (with allLayers) the first conv and transB Gemm classifiers.
    const targets = g.nodes.filter((n) => {
      if (dense.has(n.name)) return false;
      if (n.op === 'Conv') return n.attrs.group === 1 && (opts.allLayers === true || !inputs.has(n.inputs[0]!));
      return n.op === 'Gemm' && opts.allLayers === true && n.attrs.transB;
    });
    if (targets.length === 0) fail('INVALID_ARGUMENT', `${methodString(method)}: the model has no regular convolution to prune`);
    const shared = new Set<string>();
    for (const n of targets) {
      const w = weightOf(g, n);
      if (shared.has(n.inputs[1]!)) continue;
      shared.add(n.inputs[1]!);
      const [OC, Cin, kh, kw] = w.shape.length === 4 ? (w.shape as [number, number, number, number]) : [w.shape[0]!, w.shape[1]!, 1, 1];
      const m = opts.overrides?.get(n.name) ?? method;
      let mask: Uint8Array;
      let pat: LayerPattern;
      if (m.kind === 'colnm') {
        const tile = opts.tile ?? DEFAULT_TILE;
        mask = colNmMask(w.data, OC, Cin, kh, kw, { n: m.n, m: m.m, tile, criterion: opts.criterion ?? 'l2' }).mask;
        pat = { pattern: 'colnm', n: m.n, m: m.m, tile };
      } else if (m.kind === 'nm') {
        mask = reductionNmMask(w.data, OC, Cin, kh, kw, m.n, m.m);
        pat = { pattern: 'nm', n: m.n, m: m.m };
      } else if (m.kind === 'unstructured') {
        mask = magnitudeMask(w.data, m.ratio);
        pat = { pattern: 'unstructured', ratio: m.ratio };
      } else continue;
      const sparsity = setMasked(n, w, mask);
      patterns[n.name] = pat;
      layers.push({ name: n.name, op: n.op, sparsity, pattern: methodString(m) });
    }
    g = { ...g, initializers: inits };
  } else if (method.kind === 'filter') {
    g = pruneFilters(g, method.ratio, layers, patterns, (s) => (skipped = s), (grp) => grp.sources.some((x) => !dense.has(x.name)));
  } else if (method.kind === 'channel') {
    if (!g.nodes.some((n) => isDepthwise(n, types))) fail('INVALID_ARGUMENT', `${methodString(method)}: channel pruning removes depthwise channels and this model has none`);
    // Score each group by its depthwise conv's channel norms, as a structured DW baseline.
    g = pruneFilters(g, method.ratio, layers, patterns, (s) => (skipped = s), (grp) => grp.sources.some((x) => !dense.has(x.name)) && isExpansionGroup(grp, typesOf(g)), (gr, grp) => {
      const dw = grp.through.find((t) => isDepthwise(t, typesOf(gr)))!;
      return depthwiseScores(gr, dw);
    });
  } else {
    const dws = g.nodes.filter((n) => isDepthwise(n, types) && !dense.has(n.name));
    if (dws.length === 0) fail('INVALID_ARGUMENT', `${methodString(method)}: DEPrune prunes depthwise convolutions and this model has none`);
    const pw = opts.pw ?? 0;
    if (pw < 0 || pw >= 1) fail('INVALID_ARGUMENT', `--pw must be in [0, 1), got ${pw}`);
    for (const [src, r] of opts.pwRatios ?? []) {
      if (!(r >= 0 && r < 1)) fail('INVALID_ARGUMENT', `pwRatios: the ratio of '${src}' must be in [0, 1), got ${r}`);
    }
    const scope = opts.pwScope ?? 'expansion';
    if (!PW_SCOPES.includes(scope)) fail('INVALID_ARGUMENT', `pwScope must be ${PW_SCOPES.join(' or ')}, got '${String(scope)}'`);
    if (pw > 0 || (opts.pwRatios?.size ?? 0) > 0) {
      // DEPrune's PW pruning: by default the expansion 1x1 convs whose channels flow through a depthwise conv.
      const groups = pwGroups(g, dense, scope);
      const g0 = g;
      for (const src of opts.pwRatios?.keys() ?? []) {
        if (!groups.some((grp) => grp.sources[0]!.name === src)) fail('INVALID_ARGUMENT', `pwRatios: '${src}' is not the first source of a pointwise ${scope === 'expansion' ? 'expansion group' : 'group'} (pwScope ${scope}; groups: ${groups.map((x) => x.sources[0]!.name).join(', ')})`);
      }
      g = pruneFilters(g, pw, layers, patterns, (s) => (skipped = s), (grp) => isPwGroup(grp, g0, types, dense, scope), undefined,
        (grp) => opts.pwRatios?.get(grp.sources[0]!.name) ?? pw);
    }
    const t2 = typesOf(g);
    const inits2 = new Map<string, Tensor>(g.initializers);
    for (const n of g.nodes.filter((x) => isDepthwise(x, t2) && !dense.has(x.name))) {
      const w = weightOf(g, n);
      const [C, , kh, kw] = w.shape as [number, number, number, number];
      const groupWidth = opts.groupWidth ?? 32;
      const hardwareTile = opts.hardwareTile ?? 4;
      const lanes = opts.lanes ?? 1;
      if (groupWidth % lanes !== 0) fail('INVALID_ARGUMENT', `DEPrune: --lanes ${lanes} must divide the sub-GEMM width ${groupWidth} (units never straddle groups)`);
      const r = depruneMask(w.data, C, kh, kw, { mode: method.kind, ratio: method.ratio, groupWidth, hardwareTile, align: opts.align ?? 'auto', lanes });
      const data = w.data.map((v, i) => (r.mask[i] ? v : 0));
      inits2.set(n.inputs[1]!, { dtype: 'float32', shape: w.shape, data });
      patterns[n.name] = { pattern: method.kind, ratio: method.ratio, groupWidth, hardwareTile, ...(lanes > 1 ? { lanes } : {}), ...(r.alignment ? { alignment: r.alignment } : {}) };
      layers.push({
        name: n.name, op: 'Conv', sparsity: r.realizedRatio, pattern: methodString(method),
        deprune: { realizedRatio: r.realizedRatio, imbalance: r.imbalance, ...(r.alignment ? { alignment: r.alignment } : {}), groupRatios: r.groups.map((x) => x.pruned / x.rows) },
      });
    }
    g = { ...g, initializers: inits2 };
  }

  const extra = new Map(model.metadata.extra ?? []);
  extra.set(PRUNING_METADATA_KEY, JSON.stringify({ method: methodString(method), layers: patterns }));
  const pruned: Model = { ...model, graph: g, metadata: { ...model.metadata, extra } };
  const after = weightCounts(g);
  return {
    model: pruned,
    report: { method: methodString(method), layers, totalSparsity: before.total === 0 ? 0 : 1 - after.nonzero / before.total, macsBefore, macsAfter: effectiveMacs(pruned), skipped },
  };
}

function pruneFilters(
  g0: Graph, ratio: number, layers: LayerReport[], patterns: Record<string, LayerPattern>,
  setSkipped: (s: { node: string; reason: string }[]) => void, accept: (grp: import('./dependency.js').ChannelGroup) => boolean,
  scoreWith?: (g: Graph, grp: import('./dependency.js').ChannelGroup) => Float64Array,
  ratioOf: (grp: import('./dependency.js').ChannelGroup) => number = () => ratio,
): Graph {
  let g = g0;
  const { groups, skipped } = allChannelGroups(g, typesOf(g));
  setSkipped(skipped);
  // Groups are disjoint in channels; each removal rebuilds the graph, so find them again by source.
  for (const grp0 of groups.filter(accept)) {
    const src = grp0.sources[0]!.name;
    const node = g.nodes.find((n) => n.name === src)!;
    const found = allChannelGroups(g, typesOf(g)).groups.find((x) => x.sources.some((s) => s.name === node.name));
    if (found === undefined) continue;
    const r = ratioOf(grp0);
    const remove = channelsRemoved(r, found.channels);
    if (remove <= 0) continue;
    g = removeChannels(g, found, found.channels - remove, scoreWith?.(g, found));
    for (const s of found.sources) {
      const kind = scoreWith === undefined ? 'filter' : 'channel';
      patterns[s.name] = { pattern: kind, removed: remove, of: found.channels };
      layers.push({ name: s.name, op: s.op, sparsity: remove / found.channels, pattern: `${kind}:${r}` });
    }
  }
  return g;
}
