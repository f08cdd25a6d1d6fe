/** Pixels → model input: x = (pixel/255 − mean[c]) / std[c], NCHW float32. */
import { fail } from '../errors.js';
import type { Preprocessing } from '../graph/ir.js';
import { floatTensor, type FloatTensor } from '../graph/tensor.js';
import type { ImageBatch } from './cifar10.js';

/** Images [start, start+n) of a batch as a normalised [n, 3, H, W] tensor. */
export function batchTensor(batch: ImageBatch, start: number, n: number, pre: Preprocessing): FloatTensor {
  const [c, h, w] = pre.inputSize;
  if (c !== 3 || h !== batch.height || w !== batch.width) {
    fail('SHAPE_MISMATCH', `the model expects ${c}x${h}x${w} images, the dataset has 3x${batch.height}x${batch.width}`);
  }
  const plane = h * w;
  const t = floatTensor([n, 3, h, w]);
  for (let i = 0; i < n; i++) {
    const src = (start + i) * 3 * plane;
    for (let ch = 0; ch < 3; ch++) {
      const scale = 1 / (255 * pre.std[ch]!);
      const shift = pre.mean[ch]! / pre.std[ch]!;
      const o = (i * 3 + ch) * plane;
      for (let p = 0; p < plane; p++) t.data[o + p] = batch.pixels[src + ch * plane + p]! * scale - shift;
    }
  }
  return t;
}

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** width*height*4 bytes, row-major RGBA. */
  readonly data: Uint8Array;
}

/**
 * A decoded picture → [1, 3, H, W] input: centre square crop, resized to the model's size
 * (box-averaging when shrinking so a photo does not alias, bilinear when enlarging), then normalised.
 */
export function imageTensor(img: RgbaImage, pre: Preprocessing): FloatTensor {
  const [, oh, ow] = pre.inputSize;
  const side = Math.min(img.width, img.height);
  const x0 = (img.width - side) / 2;
  const y0 = (img.height - side) / 2;
  const t = floatTensor([1, 3, oh, ow]);
  const sx = side / ow;
  const sy = side / oh;
  const sample = (ch: number, fx: number, fy: number): number => {
    if (sx <= 1 && sy <= 1) {
      // bilinear at the centre of the destination pixel
      const cx = Math.min(img.width - 1, Math.max(0, x0 + (fx + 0.5) * sx - 0.5));
      const cy = Math.min(img.height - 1, Math.max(0, y0 + (fy + 0.5) * sy - 0.5));
      const xa = Math.floor(cx), ya = Math.floor(cy);
      const xb = Math.min(img.width - 1, xa + 1), yb = Math.min(img.height - 1, ya + 1);
      const ax = cx - xa, ay = cy - ya;
      const px = (x: number, y: number) => img.data[(y * img.width + x) * 4 + ch]!;
      return (px(xa, ya) * (1 - ax) + px(xb, ya) * ax) * (1 - ay) + (px(xa, yb) * (1 - ax) + px(xb, yb) * ax) * ay;
    }
    const xs = Math.floor(x0 + fx * sx), xe = Math.max(xs + 1, Math.floor(x0 + (fx + 1) * sx));
    const ys = Math.floor(y0 + fy * sy), ye = Math.max(ys + 1, Math.floor(y0 + (fy + 1) * sy));
    let s = 0;
    for (let y = ys; y < ye; y++) for (let x = xs; x < xe; x++) s += img.data[(y * img.width + x) * 4 + ch]!;
    return s / ((xe - xs) * (ye - ys));
  };
  for (let ch = 0; ch < 3; ch++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) t.data[(ch * oh + y) * ow + x] = (sample(ch, x, y) / 255 - pre.mean[ch]!) / pre.std[ch]!;
    }
  }
  return t;
}

/** Softmax of one row of logits, then the k most probable classes. */
export function topK(logits: Float32Array, k: number, labels?: readonly string[]): { index: number; label?: string; prob: number }[] {
  let m = -Infinity;
  for (const v of logits) m = Math.max(m, v);
  let s = 0;
  for (const v of logits) s += Math.exp(v - m);
  return Array.from(logits, (v, index) => ({ index, prob: Math.exp(v - m) / s }))
    .sort((a, b) => b.prob - a.prob)
    .slice(0, k)
    .map((e) => (labels?.[e.index] !== undefined ? { index: e.index, label: labels[e.index]!, prob: e.prob } : e));
}

/** Index of the largest logit in each row of an [n, classes] tensor. */
export function argmaxRows(t: FloatTensor): number[] {
  const [n, k] = t.shape as [number, number];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (t.data[i * k + j]! > t.data[i * k + best]!) best = j;
    out.push(best);
  }
  return out;
}
