/**
 * Column-wise N:M pruning at tile level (the column-wise N:M paper, arXiv 2507.17301; our precise
 * definition in docs/pruning.md).
 *
 * A conv weight is read as W[K, Cout] with K = kh·kw·Cin in (ky, kx, ci) order — the order the
 * NHWC kernels pack and gather. Cout is split into tiles of `tile` channels (the sparse
 * micro-kernel's width NR) and K into groups of M consecutive rows. In every (tile, group) the N
 * rows with the highest score (the row restricted to the tile's channels) are kept and the other
 * M−N rows are zeroed for all channels of the tile. A tile then packs densely as [K·N/M, tile] plus
 * the kept row indices, and the kernel gathers only those rows of the implicit im2col matrix.
 * Tails: a last tile of fewer channels scores over the channels it has; a last group of r < M rows
 * keeps ceil(N·r/M) of them, so no group is ever denser than N/M.
 */
import { score, topIndices, type Criterion } from '../criteria.js';

export interface ColNmOptions {
  readonly n: number;
  readonly m: number;
  /** Output channels per tile (the sparse kernel's NR). */
  readonly tile: number;
  readonly criterion: Criterion;
}

export interface ColNmResult {
  /** 1 = kept, in the weight's own OIHW order. */
  readonly mask: Uint8Array;
  /** Per tile: the kept K rows, ascending (k = (ky·kw + kx)·Cin + ci). */
  readonly keptRows: readonly Uint32Array[];
}

/** k index of (ci, ky, kx) in the (ky, kx, ci) order, and back. */
export function kIndex(ci: number, ky: number, kx: number, Cin: number, kw: number): number {
  return (ky * kw + kx) * Cin + ci;
}

export function colNmMask(w: Float32Array, OC: number, Cin: number, kh: number, kw: number, o: ColNmOptions): ColNmResult {
  const K = kh * kw * Cin;
  const mask = new Uint8Array(w.length);
  const keptRows: Uint32Array[] = [];
  // oihw[k] = offset of W[k, oc] − oc·Cin·kh·kw, i.e. where row k sits inside one output channel.
  const rowOffset = new Int32Array(K);
  for (let ci = 0; ci < Cin; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) rowOffset[kIndex(ci, ky, kx, Cin, kw)] = (ci * kh + ky) * kw + kx;
  const per = Cin * kh * kw;
  for (let t0 = 0; t0 < OC; t0 += o.tile) {
    const t1 = Math.min(OC, t0 + o.tile);
    const kept: number[] = [];
    for (let g0 = 0; g0 < K; g0 += o.m) {
      const g1 = Math.min(K, g0 + o.m);
      const rows = g1 - g0;
      const keep = rows === o.m ? o.n : Math.ceil((o.n * rows) / o.m);
      const scores = new Float64Array(rows);
      const vals = new Float32Array(t1 - t0);
      for (let r = 0; r < rows; r++) {
        for (let oc = t0; oc < t1; oc++) vals[oc - t0] = w[oc * per + rowOffset[g0 + r]!]!;
        scores[r] = score(vals, o.criterion);
      }
      for (const r of topIndices(scores, keep)) kept.push(g0 + r);
    }
    for (const k of kept) for (let oc = t0; oc < t1; oc++) mask[oc * per + rowOffset[k]!] = 1;
    keptRows.push(Uint32Array.from(kept));
  }
  return { mask, keptRows };
}
