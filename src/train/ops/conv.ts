/**
 * Conv on NHWC activations with OIHW weights [Cout, Cin/g, kh, kw]: any group count (depthwise is
 * group = C), stride, dilation, explicit or auto padding (graph/geometry.ts), optional bias.
 *
 *     y[n, oy, ox, co] = b[co] + Σ_{ci, ky, kx} w[co, ci, ky, kx] · x[n, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw, g·Cin/g + ci]
 *
 * with g = co / (Cout/g). Every sum, forward and backward, is a gather into one float64 number, so
 * no scratch memory is needed and nothing is accumulated in f32 but the final `+=`.
 * Backward reads the input (for dW) and the weight (for dX).
 */
import type { ConvAttrs } from '../../graph/attrs.js';
import { resolveWindow } from '../../graph/geometry.js';
import { needsOnly, req, shapeOf } from './layout.js';
import type { OpShapes, TrainOp } from './types.js';

interface Geometry {
  n: number; c: number; h: number; w: number;
  cout: number; cinG: number; coutG: number; kh: number; kw: number;
  outH: number; outW: number; pt: number; pl: number; sh: number; sw: number; dh: number; dw: number;
}

function geometry(attrs: ConvAttrs, shapes: OpShapes): Geometry {
  const [n, c, h, w] = shapeOf(shapes, 0, 'Conv') as [number, number, number, number];
  const [cout, cinG, kh, kw] = shapeOf(shapes, 1, 'Conv') as [number, number, number, number];
  const r = resolveWindow({ ...attrs, kernelShape: [kh, kw] }, h, w);
  return {
    n, c, h, w, cout, cinG, coutG: cout / attrs.group, kh, kw, outH: r.outH, outW: r.outW,
    pt: r.pads[0], pl: r.pads[1], sh: attrs.strides[0], sw: attrs.strides[1], dh: attrs.dilations[0], dw: attrs.dilations[1],
  };
}

export const Conv: TrainOp<'Conv'> = {
  needs: (_a, shapes) => needsOnly(shapes, [0, 1]),
  savedSizes: () => [],

  forward({ attrs, shapes, inputs, outputs }) {
    const x = req(inputs, 0, 'Conv');
    const wt = req(inputs, 1, 'Conv');
    const bias = inputs[2];
    const y = outputs[0]!;
    const g = geometry(attrs, shapes);
    const khw = g.kh * g.kw;
    for (let n = 0; n < g.n; n++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const yBase = ((n * g.outH + oy) * g.outW + ox) * g.cout;
          for (let co = 0; co < g.cout; co++) {
            const c0 = Math.floor(co / g.coutG) * g.cinG;
            let s = bias === undefined ? 0 : bias[co]!;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.sh - g.pt + ky * g.dh;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.sw - g.pl + kx * g.dw;
                if (ix < 0 || ix >= g.w) continue;
                const xBase = ((n * g.h + iy) * g.w + ix) * g.c + c0;
                const wBase = co * g.cinG * khw + ky * g.kw + kx;
                for (let ci = 0; ci < g.cinG; ci++) s += wt[wBase + ci * khw]! * x[xBase + ci]!;
              }
            }
            y[yBase + co] = s;
          }
        }
      }
    }
  },

  backward({ attrs, shapes, inputs, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    if (dy === undefined) return;
    const [dx, dw, db] = dInputs;
    const g = geometry(attrs, shapes);
    const khw = g.kh * g.kw;

    if (db !== undefined) {
      for (let co = 0; co < g.cout; co++) {
        let s = 0;
        for (let p = 0; p < g.n * g.outH * g.outW; p++) s += dy[p * g.cout + co]!;
        db[co]! += s;
      }
    }

    if (dw !== undefined) {
      const x = req(inputs, 0, 'Conv');
      for (let co = 0; co < g.cout; co++) {
        const c0 = Math.floor(co / g.coutG) * g.cinG;
        for (let ci = 0; ci < g.cinG; ci++) {
          for (let ky = 0; ky < g.kh; ky++) {
            for (let kx = 0; kx < g.kw; kx++) {
              let s = 0;
              for (let n = 0; n < g.n; n++) {
                for (let oy = 0; oy < g.outH; oy++) {
                  const iy = oy * g.sh - g.pt + ky * g.dh;
                  if (iy < 0 || iy >= g.h) continue;
                  for (let ox = 0; ox < g.outW; ox++) {
                    const ix = ox * g.sw - g.pl + kx * g.dw;
                    if (ix < 0 || ix >= g.w) continue;
                    s += x[((n * g.h + iy) * g.w + ix) * g.c + c0 + ci]! * dy[((n * g.outH + oy) * g.outW + ox) * g.cout + co]!;
                  }
                }
              }
              dw[((co * g.cinG + ci) * g.kh + ky) * g.kw + kx]! += s;
            }
          }
        }
      }
    }

    if (dx !== undefined) {
      const wt = req(inputs, 1, 'Conv');
      for (let n = 0; n < g.n; n++) {
        for (let iy = 0; iy < g.h; iy++) {
          for (let ix = 0; ix < g.w; ix++) {
            const xBase = ((n * g.h + iy) * g.w + ix) * g.c;
            for (let c = 0; c < g.c; c++) {
              const grp = Math.floor(c / g.cinG);
              const ci = c - grp * g.cinG;
              const co0 = grp * g.coutG;
              let s = 0;
              for (let ky = 0; ky < g.kh; ky++) {
                // iy = oy·sh − pt + ky·dh  ⇔  oy = (iy + pt − ky·dh) / sh, when that is a whole in-range row.
                const ty = iy + g.pt - ky * g.dh;
                if (ty < 0 || ty % g.sh !== 0) continue;
                const oy = ty / g.sh;
                if (oy >= g.outH) continue;
                for (let kx = 0; kx < g.kw; kx++) {
                  const tx = ix + g.pl - kx * g.dw;
                  if (tx < 0 || tx % g.sw !== 0) continue;
                  const ox = tx / g.sw;
                  if (ox >= g.outW) continue;
                  const dyBase = ((n * g.outH + oy) * g.outW + ox) * g.cout;
                  const wOff = (ci * g.kh + ky) * g.kw + kx;
                  for (let co = co0; co < co0 + g.coutG; co++) s += dy[dyBase + co]! * wt[co * g.cinG * khw + wOff]!;
                }
              }
              dx[xBase + c]! += s;
            }
          }
        }
      }
    }
  },
};
