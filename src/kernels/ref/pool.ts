import type { PoolAttrs } from '../../graph/attrs.js';
import { resolveWindow } from '../../graph/geometry.js';
import { floatTensor, type FloatTensor } from '../../graph/tensor.js';
import { floatIn, type RefKernel } from './types.js';

function pool(x: FloatTensor, attrs: PoolAttrs, max: boolean): FloatTensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const { outH, outW, pads } = resolveWindow(attrs, h, w);
  const [pt, pl, pb, pr] = pads;
  const [kh, kw] = attrs.kernelShape;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const y = floatTensor([n, c, outH, outW]);
  for (let p = 0; p < n * c; p++) {
    const xb = p * h * w;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let acc = max ? -Infinity : 0;
        let count = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= w) continue;
            const v = x.data[xb + iy * w + ix]!;
            acc = max ? Math.max(acc, v) : acc + v;
            count++;
          }
        }
        if (!max) {
          if (attrs.countIncludePad) {
            // The divisor counts padding but not the overhang past it that ceil_mode adds (ORT/PyTorch).
            const y0 = oy * sh - pt;
            const x0 = ox * sw - pl;
            const y1 = Math.min(y0 + (kh - 1) * dh + 1, h + pb);
            const x1 = Math.min(x0 + (kw - 1) * dw + 1, w + pr);
            count = Math.ceil((y1 - y0) / dh) * Math.ceil((x1 - x0) / dw);
          }
          acc = count > 0 ? acc / count : 0;
        }
        y.data[(p * outH + oy) * outW + ox] = acc;
      }
    }
  }
  return y;
}

export const AveragePool: RefKernel<'AveragePool'> = (attrs, inputs) => [pool(floatIn(inputs, 0), attrs, false)];
export const MaxPool: RefKernel<'MaxPool'> = (attrs, inputs) => [pool(floatIn(inputs, 0), attrs, true)];

export const GlobalAveragePool: RefKernel<'GlobalAveragePool'> = (_attrs, inputs) => {
  const x = floatIn(inputs, 0);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const y = floatTensor([n, c, 1, 1]);
  const hw = h * w;
  for (let p = 0; p < n * c; p++) {
    let s = 0;
    for (let i = 0; i < hw; i++) s += x.data[p * hw + i]!;
    y.data[p] = s / hw;
  }
  return [y];
};
