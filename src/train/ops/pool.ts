/**
 * Pools on NHWC activations. Windows, padding (incl. auto_pad) and ceil_mode come from
 * graph/geometry.ts exactly as the inference kernels use them.
 *
 * AveragePool divides by the number of real cells in the window, or with count_include_pad by
 * the window clipped to the padded extent (not the ceil_mode overhang: the ORT/PyTorch rule of
 * kernels/ref/pool.ts). MaxPool takes the first maximum in window order (ky, then kx) and saves
 * its position in the window, ky·kw + kx, as an f32 (exact: windows are far smaller than 2^24),
 * -1 for a window that covers padding only. Backward of either needs no input or output.
 */
import type { PoolAttrs } from '../../graph/attrs.js';
import { resolveWindow } from '../../graph/geometry.js';
import { needsNothing, req, shapeOf } from './layout.js';
import type { OpShapes, TrainOp } from './types.js';

interface PoolGeometry {
  n: number; c: number; h: number; w: number; outH: number; outW: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  pt: number; pl: number; pb: number; pr: number;
}

function geometry(attrs: PoolAttrs, shapes: OpShapes, op: string): PoolGeometry {
  const [n, c, h, w] = shapeOf(shapes, 0, op) as [number, number, number, number];
  const { outH, outW, pads } = resolveWindow(attrs, h, w);
  return {
    n, c, h, w, outH, outW, kh: attrs.kernelShape[0], kw: attrs.kernelShape[1], sh: attrs.strides[0], sw: attrs.strides[1],
    dh: attrs.dilations[0], dw: attrs.dilations[1], pt: pads[0], pl: pads[1], pb: pads[2], pr: pads[3],
  };
}

/** The AveragePool divisor of output cell (oy, ox). */
function divisor(g: PoolGeometry, includePad: boolean, oy: number, ox: number): number {
  const y0 = oy * g.sh - g.pt;
  const x0 = ox * g.sw - g.pl;
  if (includePad) {
    const y1 = Math.min(y0 + (g.kh - 1) * g.dh + 1, g.h + g.pb);
    const x1 = Math.min(x0 + (g.kw - 1) * g.dw + 1, g.w + g.pr);
    return Math.ceil((y1 - y0) / g.dh) * Math.ceil((x1 - x0) / g.dw);
  }
  let count = 0;
  for (let ky = 0; ky < g.kh; ky++) {
    const iy = y0 + ky * g.dh;
    if (iy < 0 || iy >= g.h) continue;
    for (let kx = 0; kx < g.kw; kx++) {
      const ix = x0 + kx * g.dw;
      if (ix >= 0 && ix < g.w) count++;
    }
  }
  return count;
}

/** Calls f(xBase, k) for every in-bounds tap of window (n, oy, ox): xBase = storage offset of channel 0 of the tapped pixel, k = ky·kw + kx. */
function forEachTap(g: PoolGeometry, n: number, oy: number, ox: number, f: (xBase: number, k: number) => void): void {
  for (let ky = 0; ky < g.kh; ky++) {
    const iy = oy * g.sh - g.pt + ky * g.dh;
    if (iy < 0 || iy >= g.h) continue;
    for (let kx = 0; kx < g.kw; kx++) {
      const ix = ox * g.sw - g.pl + kx * g.dw;
      if (ix < 0 || ix >= g.w) continue;
      f(((n * g.h + iy) * g.w + ix) * g.c, ky * g.kw + kx);
    }
  }
}

export const AveragePool: TrainOp<'AveragePool'> = {
  needs: (_a, shapes) => needsNothing(shapes),
  savedSizes: () => [],
  forward({ attrs, shapes, inputs, outputs }) {
    const x = req(inputs, 0, 'AveragePool');
    const y = outputs[0]!;
    const g = geometry(attrs, shapes, 'AveragePool');
    const acc = new Float64Array(g.c);
    for (let n = 0; n < g.n; n++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          acc.fill(0);
          forEachTap(g, n, oy, ox, (xb) => { for (let c = 0; c < g.c; c++) acc[c]! += x[xb + c]!; });
          const count = divisor(g, attrs.countIncludePad, oy, ox);
          const yb = ((n * g.outH + oy) * g.outW + ox) * g.c;
          for (let c = 0; c < g.c; c++) y[yb + c] = count > 0 ? acc[c]! / count : 0;
        }
      }
    }
  },
  backward({ attrs, shapes, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    const dx = dInputs[0];
    if (dy === undefined || dx === undefined) return;
    const g = geometry(attrs, shapes, 'AveragePool');
    for (let n = 0; n < g.n; n++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const count = divisor(g, attrs.countIncludePad, oy, ox);
          if (count === 0) continue;
          const yb = ((n * g.outH + oy) * g.outW + ox) * g.c;
          forEachTap(g, n, oy, ox, (xb) => { for (let c = 0; c < g.c; c++) dx[xb + c]! += dy[yb + c]! / count; });
        }
      }
    }
  },
};

export const MaxPool: TrainOp<'MaxPool'> = {
  needs: (_a, shapes) => needsNothing(shapes),
  /** One window position per output element (f32). */
  savedSizes: (_a, shapes) => [shapes.outputs[0]!.reduce((p, d) => p * d, 1)],
  forward({ attrs, shapes, inputs, outputs, saved, save }) {
    const x = req(inputs, 0, 'MaxPool');
    const y = outputs[0]!;
    const arg = save ? saved[0]! : undefined;
    const g = geometry(attrs, shapes, 'MaxPool');
    const best = new Float64Array(g.c);
    const bestK = new Int32Array(g.c);
    for (let n = 0; n < g.n; n++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          best.fill(-Infinity);
          bestK.fill(-1);
          forEachTap(g, n, oy, ox, (xb, k) => {
            for (let c = 0; c < g.c; c++) {
              const v = x[xb + c]!;
              // First maximum wins; -1 stays only for an all-padding window (NaN never wins either).
              if (v > best[c]! || bestK[c] === -1) { best[c] = v; bestK[c] = k; }
            }
          });
          const yb = ((n * g.outH + oy) * g.outW + ox) * g.c;
          for (let c = 0; c < g.c; c++) {
            y[yb + c] = best[c]!;
            if (arg !== undefined) arg[yb + c] = bestK[c]!;
          }
        }
      }
    }
  },
  backward({ attrs, shapes, saved, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    const dx = dInputs[0];
    if (dy === undefined || dx === undefined) return;
    const arg = saved[0]!;
    const g = geometry(attrs, shapes, 'MaxPool');
    for (let n = 0; n < g.n; n++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const yb = ((n * g.outH + oy) * g.outW + ox) * g.c;
          for (let c = 0; c < g.c; c++) {
            const k = arg[yb + c]!;
            if (k < 0) continue;
            const ky = Math.floor(k / g.kw);
            const kx = k - ky * g.kw;
            const iy = oy * g.sh - g.pt + ky * g.dh;
            const ix = ox * g.sw - g.pl + kx * g.dw;
            dx[((n * g.h + iy) * g.w + ix) * g.c + c]! += dy[yb + c]!;
          }
        }
      }
    }
  },
};

/** Mean over every axis after the channel: [N, C, H, W] (NHWC) → [N, C, 1, 1], stored as N×C. */
export const GlobalAveragePool: TrainOp<'GlobalAveragePool'> = {
  needs: (_a, shapes) => needsNothing(shapes),
  savedSizes: () => [],
  forward({ shapes, inputs, outputs }) {
    const x = req(inputs, 0, 'GlobalAveragePool');
    const y = outputs[0]!;
    const { n, c, s, cStride, sStride } = gapLayout(shapeOf(shapes, 0, 'GlobalAveragePool'));
    const acc = new Float64Array(c);
    for (let b = 0; b < n; b++) {
      acc.fill(0);
      for (let p = 0; p < s; p++) for (let ch = 0; ch < c; ch++) acc[ch]! += x[b * c * s + p * sStride + ch * cStride]!;
      for (let ch = 0; ch < c; ch++) y[b * c + ch] = acc[ch]! / s;
    }
  },
  backward({ shapes, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    const dx = dInputs[0];
    if (dy === undefined || dx === undefined) return;
    const { n, c, s, cStride, sStride } = gapLayout(shapeOf(shapes, 0, 'GlobalAveragePool'));
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < s; p++) for (let ch = 0; ch < c; ch++) dx[b * c * s + p * sStride + ch * cStride]! += dy[b * c + ch]! / s;
    }
  },
};

/** Rank 4 is NHWC (channel stride 1); other ranks [N, C, rest...] are row-major. */
function gapLayout(shape: readonly number[]): { n: number; c: number; s: number; cStride: number; sStride: number } {
  const n = shape[0]!;
  const c = shape[1]!;
  const s = shape.slice(2).reduce((p, d) => p * d, 1);
  return shape.length === 4 ? { n, c, s, cStride: 1, sStride: c } : { n, c, s, cStride: s, sStride: 1 };
}
