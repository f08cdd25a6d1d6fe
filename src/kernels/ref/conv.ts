import type { ConvAttrs } from '../../graph/attrs.js';
import { resolveWindow } from '../../graph/geometry.js';
import { floatTensor, type FloatTensor } from '../../graph/tensor.js';
import { floatIn, type RefKernel } from './types.js';

/**
 * Convolution as im2col + matrix product, NCHW, any group count (depthwise = group == C), stride,
 * dilation and padding. For each (image, group): col[k][p] holds input tap k = (ci, ky, kx) at
 * output pixel p (0 where the tap falls in padding), then y[co][p] = bias[co] + Σ_k w[co][k]·col[k][p]
 * accumulated in float64. Four output channels share each pass over a col row: the oracle stays
 * short and is fast enough to score the 10,000-image CIFAR-10 test set.
 */
export function conv2d(x: FloatTensor, w: FloatTensor, b: FloatTensor | undefined, attrs: ConvAttrs): FloatTensor {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [cout, cinG, kh, kw] = w.shape as [number, number, number, number];
  const r = resolveWindow({ ...attrs, kernelShape: [kh, kw] }, h, wd);
  const { outH, outW } = r;
  const [pt, pl] = r.pads;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const groups = attrs.group;
  const coutG = cout / groups;
  const P = outH * outW;
  const K = cinG * kh * kw;
  const y = floatTensor([n, cout, outH, outW]);
  const col = new Float32Array(K * P);
  const acc = [0, 1, 2, 3].map(() => new Float64Array(P));

  for (let img = 0; img < n; img++) {
    for (let g = 0; g < groups; g++) {
      im2col(x.data, (img * c + g * cinG) * h * wd, cinG, h, wd, kh, kw, outH, outW, pt, pl, sh, sw, dh, dw, col);
      for (let co0 = g * coutG; co0 < (g + 1) * coutG; co0 += 4) {
        const nb = Math.min(4, (g + 1) * coutG - co0);
        for (let j = 0; j < nb; j++) acc[j]!.fill(b === undefined ? 0 : b.data[co0 + j]!);
        for (let k = 0; k < K; k++) {
          const row = k * P;
          if (nb === 4) {
            axpy4(acc[0]!, acc[1]!, acc[2]!, acc[3]!, w.data[co0 * K + k]!, w.data[(co0 + 1) * K + k]!, w.data[(co0 + 2) * K + k]!, w.data[(co0 + 3) * K + k]!, col, row, P);
          } else {
            for (let j = 0; j < nb; j++) axpy(acc[j]!, w.data[(co0 + j) * K + k]!, col, row, P);
          }
        }
        for (let j = 0; j < nb; j++) y.data.set(acc[j]!, (img * cout + co0 + j) * P);
      }
    }
  }
  return y;
}

// Small leaf functions: V8 optimises these hot loops far better than the same loops inlined in conv2d.
function axpy4(a0: Float64Array, a1: Float64Array, a2: Float64Array, a3: Float64Array, w0: number, w1: number, w2: number, w3: number, col: Float32Array, row: number, n: number): void {
  for (let p = 0; p < n; p++) {
    const v = col[row + p]!;
    a0[p]! += w0 * v;
    a1[p]! += w1 * v;
    a2[p]! += w2 * v;
    a3[p]! += w3 * v;
  }
}

function axpy(a: Float64Array, wv: number, col: Float32Array, row: number, n: number): void {
  for (let p = 0; p < n; p++) a[p]! += wv * col[row + p]!;
}

/** Unfolds the cinG channels starting at `base` into col[(ci·kh + ky)·kw + kx][oy·outW + ox]. */
function im2col(
  x: Float32Array, base: number, cinG: number, h: number, w: number, kh: number, kw: number,
  outH: number, outW: number, pt: number, pl: number, sh: number, sw: number, dh: number, dw: number, col: Float32Array,
): void {
  let k = 0;
  for (let ci = 0; ci < cinG; ci++) {
    const plane = base + ci * h * w;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, k++) {
        const row = k * outH * outW;
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * sh - pt + ky * dh;
          const dst = row + oy * outW;
          if (iy < 0 || iy >= h) {
            col.fill(0, dst, dst + outW);
            continue;
          }
          for (let ox = 0; ox < outW; ox++) {
            const ix = ox * sw - pl + kx * dw;
            col[dst + ox] = ix >= 0 && ix < w ? x[plane + iy * w + ix]! : 0;
          }
        }
      }
    }
  }
}

export const Conv: RefKernel<'Conv'> = (attrs, inputs) => [
  conv2d(floatIn(inputs, 0), floatIn(inputs, 1), inputs[2] === undefined ? undefined : floatIn(inputs, 2), attrs),
];
