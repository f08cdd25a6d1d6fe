/**
 * Output sizes and effective padding of sliding-window ops (Conv, pools), shared by shape
 * inference and every kernel so the two can never disagree.
 */
import type { AutoPad } from './attrs.js';

export interface Window2d {
  readonly kernelShape: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  readonly autoPad: AutoPad;
  readonly ceilMode?: boolean;
}

export interface ResolvedWindow {
  readonly outH: number;
  readonly outW: number;
  /** Effective [top, left, bottom, right] padding for this input size. */
  readonly pads: readonly [number, number, number, number];
}

function axisOut(inSize: number, k: number, s: number, d: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const span = inSize + padBegin + padEnd - d * (k - 1) - 1;
  if (!ceil) return Math.floor(span / s) + 1;
  let out = Math.ceil(span / s) + 1;
  // A window that would start inside the end padding only is dropped (PyTorch/ORT rule).
  if ((out - 1) * s >= inSize + padBegin) out--;
  return out;
}

function samePads(inSize: number, k: number, s: number, d: number, lower: boolean): [number, number, number] {
  const out = Math.ceil(inSize / s);
  const total = Math.max(0, (out - 1) * s + d * (k - 1) + 1 - inSize);
  const begin = lower ? Math.ceil(total / 2) : Math.floor(total / 2);
  return [out, begin, total - begin];
}

export function resolveWindow(w: Window2d, inH: number, inW: number): ResolvedWindow {
  const [kh, kw] = w.kernelShape;
  const [sh, sw] = w.strides;
  const [dh, dw] = w.dilations;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    const lower = w.autoPad === 'SAME_LOWER';
    const [outH, pt, pb] = samePads(inH, kh, sh, dh, lower);
    const [outW, pl, pr] = samePads(inW, kw, sw, dw, lower);
    return { outH, outW, pads: [pt, pl, pb, pr] };
  }
  const pads: readonly [number, number, number, number] = w.autoPad === 'VALID' ? [0, 0, 0, 0] : w.pads;
  const ceil = w.ceilMode ?? false;
  return {
    outH: axisOut(inH, kh, sh, dh, pads[0], pads[2], ceil),
    outW: axisOut(inW, kw, sw, dw, pads[1], pads[3], ceil),
    pads,
  };
}
