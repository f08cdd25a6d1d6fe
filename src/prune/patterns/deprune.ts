/**
 * DEPrune on a depthwise conv (NeurIPS 2024; our precise definition in docs/pruning.md).
 *
 * Diagonal-wise refactorization (DR) turns a depthwise conv w[C, kh, kw] into sub-GEMMs of `T`
 * channels: group g's reduction axis has T·kh·kw rows, each row (channel c, tap t) holding exactly
 * one weight w[c, t]. Pruning a weight removes a whole row of its sub-GEMM, so a group's work is
 * proportional to its kept rows.
 *  - DCP:    rank all C·kh·kw weights by |w|; prune the floor(PR·C·kh·kw) smallest. Groups end up
 *            with different ratios, and the slowest (densest) group sets the time.
 *  - DCP-B:  balanced workload tuning: prune floor(PR·size) smallest inside every group.
 *  - DCP-BH: hardware-aware sparsity recalibration: round every group's pruned count to a multiple
 *            of the hardware tile `h` (32 on GPU, the SIMD width on CPU), down ('u', under-aligned)
 *            or up ('o', over-aligned); 'auto' takes the direction whose realised ratio is closer to
 *            PR (ties: 'u', which prunes less).
 *
 * `lanes` > 1 is the CPU's reading of "a row of the sub-GEMM": a SIMD vector of `lanes` channels.
 * The pruning unit becomes (block of `lanes` channels, tap), scored by its l2 norm, and every count
 * above is counted in units (HSR's tile in units: h / lanes, at least 1). The NHWC depthwise kernel
 * then skips a pruned tap for the whole vector (dwconv2d_vs) with no layout change; lanes = 1 is the
 * paper's element-wise DCP.
 */
export type DepruneMode = 'dcp' | 'dcp-b' | 'dcp-bh';
export type Alignment = 'u' | 'o';

export interface DepruneOptions {
  readonly mode: DepruneMode;
  readonly ratio: number;
  /** Channels per sub-GEMM (T). */
  readonly groupWidth: number;
  /** HSR's hardware tile (h), dcp-bh only. */
  readonly hardwareTile: number;
  readonly align: Alignment | 'auto';
  /** Channels per pruning unit (1: single weights; 4: a SIMD vector of channels). Divides groupWidth. */
  readonly lanes?: number;
}

export interface DepruneGroup {
  readonly channels: readonly [number, number];
  readonly rows: number;
  readonly pruned: number;
}

export interface DepruneResult {
  /** 1 = kept, over w[C][kh][kw]. */
  readonly mask: Uint8Array;
  readonly groups: readonly DepruneGroup[];
  /** Pruned fraction actually reached. */
  readonly realizedRatio: number;
  /** Layer target ratio minus the smallest group ratio (the straggler's missing pruning). */
  readonly imbalance: number;
  /** dcp-bh: the direction chosen for this layer. */
  readonly alignment?: Alignment;
}

export function depruneMask(w: Float32Array, C: number, kh: number, kw: number, o: DepruneOptions): DepruneResult {
  const taps = kh * kw;
  const L = o.lanes ?? 1;
  if (!Number.isInteger(L) || L < 1 || o.groupWidth % L !== 0) throw new RangeError(`DEPrune: lanes (${L}) must be a positive divisor of the group width (${o.groupWidth})`);
  const mask = new Uint8Array(C * taps).fill(1);
  const groupRanges: [number, number][] = [];
  for (let c0 = 0; c0 < C; c0 += o.groupWidth) groupRanges.push([c0, Math.min(C, c0 + o.groupWidth)]);
  // A unit is (block of L channels, tap), numbered blockIndex·taps + tap; blocks start at multiples of L.
  const blocks = Math.ceil(C / L);
  const score = new Float64Array(blocks * taps);
  for (let c = 0; c < C; c++) for (let t = 0; t < taps; t++) score[Math.floor(c / L) * taps + t] += w[c * taps + t]! * w[c * taps + t]!;
  const unitsOf = ([c0, c1]: [number, number]) => Array.from({ length: Math.ceil((c1 - c0) / L) * taps }, (_, i) => (c0 / L) * taps + i);
  const smallestUnits = (idx: number[], count: number) => [...idx].sort((a, b) => score[a]! - score[b]! || a - b).slice(0, count);
  const prune = (u: number): void => {
    const b = Math.floor(u / taps), t = u - b * taps;
    for (let c = b * L; c < Math.min(C, b * L + L); c++) mask[c * taps + t] = 0;
  };

  let alignment: Alignment | undefined;
  if (o.mode === 'dcp') {
    const all = Array.from({ length: blocks * taps }, (_, i) => i);
    smallestUnits(all, Math.floor(o.ratio * blocks * taps)).forEach(prune);
  } else {
    const sizes = groupRanges.map((g) => unitsOf(g).length);
    const base = sizes.map((n) => Math.floor(o.ratio * n));
    let counts = base;
    if (o.mode === 'dcp-bh') {
      const h = Math.max(1, Math.round(o.hardwareTile / L));
      const down = base.map((p) => Math.floor(p / h) * h);
      const up = base.map((p, i) => Math.min(sizes[i]!, Math.ceil(p / h) * h));
      const total = blocks * taps;
      const ratioOf = (cs: number[]) => cs.reduce((s, v) => s + v, 0) / total;
      alignment = o.align !== 'auto' ? o.align : Math.abs(ratioOf(up) - o.ratio) < Math.abs(ratioOf(down) - o.ratio) ? 'o' : 'u';
      counts = alignment === 'u' ? down : up;
    }
    groupRanges.forEach((g, i) => smallestUnits(unitsOf(g), counts[i]!).forEach(prune));
  }
  const groups = groupRanges.map((g): DepruneGroup => {
    let pruned = 0;
    for (let c = g[0]; c < g[1]; c++) for (let t = 0; t < taps; t++) if (mask[c * taps + t] === 0) pruned++;
    return { channels: g, rows: (g[1] - g[0]) * taps, pruned };
  });
  const pruned = groups.reduce((s, g) => s + g.pruned, 0);
  const minGroupRatio = Math.min(...groups.map((g) => g.pruned / g.rows));
  return { mask, groups, realizedRatio: pruned / (C * taps), imbalance: Math.max(0, o.ratio - minGroupRatio), ...(alignment ? { alignment } : {}) };
}
