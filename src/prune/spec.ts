/**
 * Pruning method specs as users write them (CLI --method and the API):
 *   colnm:N:M          column-wise N:M at tile level (tile = sparse kernel width, option `tile`)
 *   nm:N:M | nv24      N:M along the reduction axis per output channel (NVIDIA-style; nv24 = nm:2:4)
 *   unstructured:R     magnitude, fraction R of each layer's weights
 *   filter:R           l2 filter pruning by dependency group, removes channels
 *   channel:R          l2 channel pruning of depthwise convs (DEPrune's structured baseline), removes channels
 *   dcp:R | dcp-b:R | dcp-bh:R   DEPrune on depthwise convs (+ option `pw` for PW filter pruning)
 */
import { fail } from '../errors.js';
import { CRITERIA, type Criterion } from './criteria.js';
import type { Alignment, DepruneMode } from './patterns/deprune.js';

export type PruneMethod =
  | { readonly kind: 'colnm'; readonly n: number; readonly m: number }
  | { readonly kind: 'nm'; readonly n: number; readonly m: number }
  | { readonly kind: 'unstructured'; readonly ratio: number }
  | { readonly kind: 'filter'; readonly ratio: number }
  | { readonly kind: 'channel'; readonly ratio: number }
  | { readonly kind: DepruneMode; readonly ratio: number };

/** Which pointwise convs DEPrune's PW filter pruning may remove filters from (`PruneOptions.pwScope`). */
export type PwScope = 'expansion' | 'all';

export const PW_SCOPES: readonly PwScope[] = ['expansion', 'all'];

export interface PruneOptions {
  /** colnm: output channels per tile (the sparse micro-kernel's NR). */
  readonly tile?: number;
  readonly criterion?: Criterion;
  /** DEPrune: l2 filter pruning ratio for the pointwise (expansion) convs, 0 = none. */
  readonly pw?: number;
  /**
   * DEPrune: per-group PW ratios (first source node name → ratio) that replace `pw` for the groups
   * they name, e.g. an allocation from `allocatePwRatios`.
   */
  readonly pwRatios?: ReadonlyMap<string, number>;
  /**
   * DEPrune: which pointwise convs `pw` and `pwRatios` prune. 'expansion' (default): the expansion
   * 1x1 convs, whose channels flow through a depthwise conv. 'all': every channel group whose
   * sources are all 1x1 convs, which adds the head conv (MobileNetV2's 320→1280, read by the
   * classifier) and the residual streams (projection and shortcut 1x1 convs tied by their Adds).
   */
  readonly pwScope?: PwScope;
  /** DEPrune: channels per sub-GEMM (T). */
  readonly groupWidth?: number;
  /** DEPrune: channels per pruning unit (1: single weights, the paper's DCP; 4: SIMD vectors the NHWC kernel skips). */
  readonly lanes?: number;
  /** DEPrune-BH: hardware tile (h) pruned counts are rounded to. */
  readonly hardwareTile?: number;
  readonly align?: Alignment | 'auto';
  /** Layers (node names) left dense in addition to the defaults. */
  readonly dense?: readonly string[];
  /** Prune the first conv and the classifier too (dense by default for weight patterns). */
  readonly allLayers?: boolean;
  /** Per-layer method overrides: node name → spec. */
  readonly overrides?: ReadonlyMap<string, PruneMethod>;
}

function ratio(s: string | undefined, spec: string): number {
  const r = Number(s);
  if (s === undefined || s === '' || !Number.isFinite(r) || r < 0 || r >= 1) fail('INVALID_ARGUMENT', `'${spec}': the ratio must be a number in [0, 1), got '${s ?? ''}'`);
  return r;
}

function nm(parts: string[], spec: string): { n: number; m: number } {
  const n = Number(parts[1]);
  const m = Number(parts[2]);
  if (parts.length !== 3 || !Number.isInteger(n) || !Number.isInteger(m)) fail('INVALID_ARGUMENT', `'${spec}': expected ${parts[0]}:N:M with integers N and M (e.g. ${parts[0]}:2:4)`);
  if (m < 2 || m > 64) fail('INVALID_ARGUMENT', `'${spec}': M must be between 2 and 64, got ${m}`);
  if (n < 1 || n >= m) fail('INVALID_ARGUMENT', `'${spec}': N:M needs 1 <= N < M, got ${n}:${m} (N = M would prune nothing)`);
  return { n, m };
}

export function parseMethod(spec: string): PruneMethod {
  const parts = spec.trim().split(':');
  const kind = parts[0]!;
  switch (kind) {
    case 'colnm':
      return { kind: 'colnm', ...nm(parts, spec) };
    case 'nm':
      return { kind: 'nm', ...nm(parts, spec) };
    case 'nv24':
      if (parts.length !== 1) fail('INVALID_ARGUMENT', `'${spec}': nv24 takes no arguments (it is nm:2:4)`);
      return { kind: 'nm', n: 2, m: 4 };
    case 'unstructured':
    case 'filter':
    case 'channel':
    case 'dcp':
    case 'dcp-b':
    case 'dcp-bh':
      if (parts.length !== 2) fail('INVALID_ARGUMENT', `'${spec}': expected ${kind}:RATIO (e.g. ${kind}:0.5)`);
      return { kind, ratio: ratio(parts[1], spec) };
    default:
      return fail('INVALID_ARGUMENT', `unknown pruning method '${kind}' (methods: colnm:N:M, nm:N:M, nv24, unstructured:R, filter:R, channel:R, dcp:R, dcp-b:R, dcp-bh:R)`);
  }
}

export function methodString(m: PruneMethod): string {
  return m.kind === 'colnm' || m.kind === 'nm' ? `${m.kind}:${m.n}:${m.m}` : `${m.kind}:${m.ratio}`;
}

export function parseCriterion(s: string): Criterion {
  if (!(CRITERIA as readonly string[]).includes(s)) fail('INVALID_ARGUMENT', `unknown criterion '${s}' (criteria: ${CRITERIA.join(', ')})`);
  return s as Criterion;
}
