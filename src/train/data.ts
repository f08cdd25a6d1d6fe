/**
 * Training batches: CIFAR-style CHW uint8 images → normalised NHWC floats written straight into the
 * executor's input buffer, with the standard CIFAR augmentation (random crop from the image padded
 * by 4 zero pixels, random horizontal flip). Every random choice comes from an Rng seeded by
 * (seed, epoch, batch), so a run resumed at any step boundary draws exactly what the uninterrupted
 * run drew.
 */
import type { ImageBatch } from '../data/cifar10.js';
import type { Preprocessing } from '../graph/ir.js';
import { Rng } from '../zoo/rng.js';

export interface Augmentation {
  /** Zero padding before the random crop (4 for CIFAR); 0 disables cropping. */
  readonly pad: number;
  readonly flip: boolean;
}

export const CIFAR_AUGMENTATION: Augmentation = { pad: 4, flip: true };
export const NO_AUGMENTATION: Augmentation = { pad: 0, flip: false };

/** A 32-bit seed from several integers (splitmix-style mixing). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** 0 … count−1 in the order of a Fisher-Yates shuffle drawn from `rng`. */
function shuffledIndices(count: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** The epoch's image order: a Fisher-Yates shuffle seeded by (seed, epoch). */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  return shuffledIndices(count, new Rng(mixSeed(seed, epoch, 0x5eed)));
}

/**
 * Writes images `indices` as an NHWC batch into `dst` and their labels into `labels`. With
 * augmentation, output pixel (y, x) is source pixel (y + dy, x' + dx) with x' = x or W−1−x (flip)
 * and dy, dx uniform in [−pad, pad]; outside the image it is a black pixel, normalised — what
 * torchvision's RandomCrop(32, padding=4) before ToTensor/Normalize produces.
 */
export function fillBatch(
  dst: Float32Array, labels: Int32Array, data: ImageBatch, indices: ArrayLike<number>, pre: Preprocessing,
  aug: Augmentation, rng: Rng,
): void {
  const H = data.height, W = data.width, plane = H * W;
  const scale = [0, 1, 2].map((c) => 1 / (255 * pre.std[c]!));
  const shift = [0, 1, 2].map((c) => pre.mean[c]! / pre.std[c]!);
  for (let i = 0; i < indices.length; i++) {
    const img = indices[i]!;
    labels[i] = data.labels[img]!;
    const dy = aug.pad > 0 ? Math.floor(rng.next() * (2 * aug.pad + 1)) - aug.pad : 0;
    const dx = aug.pad > 0 ? Math.floor(rng.next() * (2 * aug.pad + 1)) - aug.pad : 0;
    const flip = aug.flip && rng.next() < 0.5;
    const src = img * 3 * plane;
    let o = i * plane * 3;
    for (let y = 0; y < H; y++) {
      const sy = y + dy;
      for (let x = 0; x < W; x++, o += 3) {
        const sx = (flip ? W - 1 - x : x) + dx;
        if (sy < 0 || sy >= H || sx < 0 || sx >= W) {
          dst[o] = -shift[0]!;
          dst[o + 1] = -shift[1]!;
          dst[o + 2] = -shift[2]!;
        } else {
          const p = src + sy * W + sx;
          dst[o] = data.pixels[p]! * scale[0]! - shift[0]!;
          dst[o + 1] = data.pixels[p + plane]! * scale[1]! - shift[1]!;
          dst[o + 2] = data.pixels[p + 2 * plane]! * scale[2]! - shift[2]!;
        }
      }
    }
  }
}

/** Cosine learning rate from lr0 at step 0 to 0 at `total` (Loshchilov & Hutter, no restarts), after `warmup` linear steps. */
export function cosineLr(lr0: number, step: number, total: number, warmup = 0): number {
  if (step < warmup) return (lr0 * (step + 1)) / warmup;
  const t = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return 0.5 * lr0 * (1 + Math.cos(Math.PI * t));
}

/**
 * Mixup of a loaded batch, in place: the images are paired at random (a shuffle, then consecutive
 * pairs; with an odd batch one image stays as it is) and within a pair (a, b) image a becomes
 * λ_a·x_a + (1 − λ_a)·x_b and image b λ_b·x_b + (1 − λ_b)·x_a, each λ uniform in [0, 1), all drawn
 * from `rng`. Pairs, unlike a general permutation, mix in place without a copy of the batch, so
 * nothing is allocated outside the trainer's arena. Mixing normalised values equals mixing pixels
 * (the normalisation is affine). Labels are not mixed: the caller trains on a teacher's outputs for
 * the mixed images (function matching, Beyer et al. 2022), which need no labels.
 */
export function mixBatch(x: Float32Array, batch: number, rng: Rng): void {
  if (!Number.isInteger(batch) || batch < 1 || x.length % batch !== 0) throw new RangeError(`mixBatch: ${x.length} values are not ${batch} images`);
  const per = x.length / batch;
  const order = shuffledIndices(batch, rng);
  for (let p = 0; p + 1 < batch; p += 2) {
    const a = order[p]! * per, b = order[p + 1]! * per;
    const la = rng.next(), lb = rng.next();
    for (let k = 0; k < per; k++) {
      const va = x[a + k]!, vb = x[b + k]!;
      x[a + k] = la * va + (1 - la) * vb;
      x[b + k] = lb * vb + (1 - lb) * va;
    }
  }
}
