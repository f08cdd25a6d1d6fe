import type { ConvAttrs } from '../../graph/attrs.js';
import { resolveWindow } from '../../graph/geometry.js';
import { floatTensor, type FloatTensor } from '../../graph/tensor.js';
import { activate } from './activation.js';
import { floatIn, type RefKernel } from './types.js';

/**
 * Convolution as im2col + dot products, NCHW, any group count (depthwise = group == C), stride,
 * dilation and padding. For each (image, group): patch[p][k] holds input tap k = (ci, ky, kx) seen
 * by output pixel p (0 where the tap falls in padding), and
 *     y[co][p] = bias[co] + Σ_k w[co][k] · patch[p][k]
 * summed in float64 (JS numbers). Both operands of the dot product are contiguous in k, and a
 * 4-channel x 2-pixel block keeps eight sums in registers: about 2x faster than the plain form in
 * V8, which matters because this oracle also scores CIFAR-10 in tests.
 */
export function conv2d(x: FloatTensor, w: FloatTensor, b: FloatTensor | undefined, attrs: ConvAttrs): FloatTensor {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [cout, cinG, kh, kw] = w.shape as [number, number, number, number];
  const r = resolveWindow({ ...attrs, kernelShape: [kh, kw] }, h, wd);
  const { outH, outW } = r;
  const groups = attrs.group;
  const coutG = cout / groups;
  const P = outH * outW;
  const K = cinG * kh * kw;
  const y = floatTensor([n, cout, outH, outW]);
  const patch = new Float32Array(P * K);
  const geo: PatchGeometry = { cinG, h, w: wd, kh, kw, outH, outW, pt: r.pads[0], pl: r.pads[1], sh: attrs.strides[0], sw: attrs.strides[1], dh: attrs.dilations[0], dw: attrs.dilations[1] };

  for (let img = 0; img < n; img++) {
    for (let g = 0; g < groups; g++) {
      im2row(x.data, (img * c + g * cinG) * h * wd, geo, patch);
      const co1 = (g + 1) * coutG;
      for (let co = g * coutG; co < co1; co += 4) {
        const nc = Math.min(4, co1 - co);
        const yBase = (img * cout + co) * P;
        for (let p = 0; p < P; p += 2) {
          if (nc === 4 && p + 1 < P) dot4x2(w.data, co * K, patch, p * K, K, y.data, yBase + p, P);
          else {
            for (let j = 0; j < nc; j++) for (let q = p; q < Math.min(p + 2, P); q++) y.data[yBase + j * P + q] = dot(w.data, (co + j) * K, patch, q * K, K);
          }
        }
        if (b !== undefined) for (let j = 0; j < nc; j++) for (let p = 0; p < P; p++) y.data[yBase + j * P + p]! += b.data[co + j]!;
      }
    }
  }
  return y;
}

interface PatchGeometry {
  readonly cinG: number; readonly h: number; readonly w: number; readonly kh: number; readonly kw: number;
  readonly outH: number; readonly outW: number; readonly pt: number; readonly pl: number;
  readonly sh: number; readonly sw: number; readonly dh: number; readonly dw: number;
}

/** Unfolds cinG channels starting at `base`: patch[(oy·outW + ox)·K + (ci·kh + ky)·kw + kx]. */
function im2row(x: Float32Array, base: number, g: PatchGeometry, patch: Float32Array): void {
  const K = g.cinG * g.kh * g.kw;
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      let k = (oy * g.outW + ox) * K;
      for (let ci = 0; ci < g.cinG; ci++) {
        const plane = base + ci * g.h * g.w;
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh - g.pt + ky * g.dh;
          for (let kx = 0; kx < g.kw; kx++, k++) {
            const ix = ox * g.sw - g.pl + kx * g.dw;
            patch[k] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? x[plane + iy * g.w + ix]! : 0;
          }
        }
      }
    }
  }
}

// Small leaf functions: V8 optimises these hot loops far better than the same loops inlined in conv2d.
function dot(w: Float32Array, wo: number, a: Float32Array, ao: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += w[wo + k]! * a[ao + k]!;
  return s;
}

/** y[j][p + i] = Σ_k w[co + j][k] · patch[p + i][k] for j < 4, i < 2. */
function dot4x2(w: Float32Array, wo: number, a: Float32Array, ao: number, K: number, y: Float32Array, yo: number, P: number): void {
  let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
  const w1 = wo + K, w2 = wo + 2 * K, w3 = wo + 3 * K, a1 = ao + K;
  for (let k = 0; k < K; k++) {
    const x0 = a[ao + k]!, x1 = a[a1 + k]!;
    const v0 = w[wo + k]!, v1 = w[w1 + k]!, v2 = w[w2 + k]!, v3 = w[w3 + k]!;
    s00 += v0 * x0; s01 += v0 * x1;
    s10 += v1 * x0; s11 += v1 * x1;
    s20 += v2 * x0; s21 += v2 * x1;
    s30 += v3 * x0; s31 += v3 * x1;
  }
  y[yo] = s00; y[yo + 1] = s01;
  y[yo + P] = s10; y[yo + P + 1] = s11;
  y[yo + 2 * P] = s20; y[yo + 2 * P + 1] = s21;
  y[yo + 3 * P] = s30; y[yo + 3 * P + 1] = s31;
}

export const Conv: RefKernel<'Conv'> = (attrs, inputs) => [
  conv2d(floatIn(inputs, 0), floatIn(inputs, 1), inputs[2] === undefined ? undefined : floatIn(inputs, 2), attrs),
];

/** Conv, then + residual, then the activation: the composition FusedConv stands for. */
export const FusedConv: RefKernel<'FusedConv'> = (attrs, inputs) => {
  const y = conv2d(floatIn(inputs, 0), floatIn(inputs, 1), inputs[2] === undefined ? undefined : floatIn(inputs, 2), attrs);
  const r = attrs.residual ? floatIn(inputs, 3).data : undefined;
  for (let i = 0; i < y.data.length; i++) y.data[i] = activate(y.data[i]! + (r === undefined ? 0 : r[i]!), attrs.activation);
  return [y];
};
