/**
 * NVIDIA-style N:M (2:4 for sparse tensor cores) along the reduction axis: for every output channel
 * on its own, in each group of M consecutive K weights (same (ky, kx, ci) order as colnm) keep the N
 * largest |w|. Finer-grained than colnm (each channel chooses), so usually more accurate, but a
 * SIMD kernel cannot share one gather across a tile of channels: it is the baseline colnm is
 * compared against.
 */
import { topIndices } from '../criteria.js';
import { kIndex } from './colnm.js';

export function reductionNmMask(w: Float32Array, OC: number, Cin: number, kh: number, kw: number, n: number, m: number): Uint8Array {
  const K = kh * kw * Cin;
  const per = Cin * kh * kw;
  const rowOffset = new Int32Array(K);
  for (let ci = 0; ci < Cin; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) rowOffset[kIndex(ci, ky, kx, Cin, kw)] = (ci * kh + ky) * kw + kx;
  const mask = new Uint8Array(w.length);
  for (let oc = 0; oc < OC; oc++) {
    for (let g0 = 0; g0 < K; g0 += m) {
      const rows = Math.min(m, K - g0);
      const keep = rows === m ? n : Math.ceil((n * rows) / m);
      const scores = Array.from({ length: rows }, (_, r) => Math.abs(w[oc * per + rowOffset[g0 + r]!]!));
      for (const r of topIndices(scores, keep)) mask[oc * per + rowOffset[g0 + r]!] = 1;
    }
  }
  return mask;
}
