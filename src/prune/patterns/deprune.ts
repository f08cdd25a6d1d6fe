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

/** Indices of the `count` smallest |w| among `idx` (ties to the lower index). */
function smallest(w: Float32Array, idx: number[], count: number): number[] {
  return [...idx].sort((a, b) => Math.abs(w[a]!) - Math.abs(w[b]!) || a - b).slice(0, count);
}

export function depruneMask(w: Float32Array, C: number, kh: number, kw: number, o: DepruneOptions): DepruneResult {
  const taps = kh * kw;
  const mask = new Uint8Array(C * taps).fill(1);
  const groupRanges: [number, number][] = [];
  for (let c0 = 0; c0 < C; c0 += o.groupWidth) groupRanges.push([c0, Math.min(C, c0 + o.groupWidth)]);
  const rowsOf = ([c0, c1]: [number, number]) => Array.from({ length: (c1 - c0) * taps }, (_, i) => c0 * taps + i);

  let alignment: Alignment | undefined;
  if (o.mode === 'dcp') {
    const all = Array.from({ length: C * taps }, (_, i) => i);
    for (const i of smallest(w, all, Math.floor(o.ratio * C * taps))) mask[i] = 0;
  } else {
    const base = groupRanges.map((g) => Math.floor(o.ratio * (g[1] - g[0]) * taps));
    let counts = base;
    if (o.mode === 'dcp-bh') {
      const h = o.hardwareTile;
      const sizes = groupRanges.map((g) => (g[1] - g[0]) * taps);
      const down = base.map((p) => Math.floor(p / h) * h);
      const up = base.map((p, i) => Math.min(sizes[i]!, Math.ceil(p / h) * h));
      const total = C * taps;
      const ratioOf = (cs: number[]) => cs.reduce((s, v) => s + v, 0) / total;
      alignment = o.align !== 'auto' ? o.align : Math.abs(ratioOf(up) - o.ratio) < Math.abs(ratioOf(down) - o.ratio) ? 'o' : 'u';
      counts = alignment === 'u' ? down : up;
    }
    groupRanges.forEach((g, i) => {
      for (const r of smallest(w, rowsOf(g), counts[i]!)) mask[r] = 0;
    });
  }
  const groups = groupRanges.map((g): DepruneGroup => {
    const rows = rowsOf(g);
    return { channels: g, rows: rows.length, pruned: rows.filter((r) => mask[r] === 0).length };
  });
  const pruned = groups.reduce((s, g) => s + g.pruned, 0);
  const minGroupRatio = Math.min(...groups.map((g) => g.pruned / g.rows));
  return { mask, groups, realizedRatio: pruned / (C * taps), imbalance: Math.max(0, o.ratio - minGroupRatio), ...(alignment ? { alignment } : {}) };
}
