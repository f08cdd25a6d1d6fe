import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ImageBatch } from '../src/data/cifar10.js';
import type { Model, Preprocessing } from '../src/graph/ir.js';
import { floatTensor, type FloatTensor } from '../src/graph/tensor.js';
import { GraphBuilder } from '../src/zoo/builder.js';
import { Rng } from '../src/zoo/rng.js';
import { PACKAGE_ROOT } from '../src/node/paths.js';

export const ROOT = PACKAGE_ROOT;
export const ASSET_MODELS = join(ROOT, 'assets', 'models');
export const BUNDLED_IMAGES = join(ROOT, 'assets', 'cifar10', 'test_batch_exact_first1017.bin');
/** ../shared/data beside the checkout (present in development and CI). */
export const SHARED_DATA = join(ROOT, '..', 'shared', 'data');
export const HAS_SHARED = existsSync(join(SHARED_DATA, 'models'));
export const SHARED_SKIP = HAS_SHARED ? false : 'needs ../shared/data beside the checkout';

/** Deterministic, input-like values in [-2, 2]. */
export function waveInput(shape: readonly number[], phase = 0.37): FloatTensor {
  const t = floatTensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = 2 * Math.sin(i * phase + 0.1) * Math.cos(i * 0.011);
  return t;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Runs an ONNX model (path or bytes) in onnxruntime-node, one thread, and returns the named output. */
export async function runOrt(model: string | Uint8Array, feeds: Record<string, FloatTensor>, output: string): Promise<Float32Array> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, { intraOpNumThreads: 1 }) : await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', v.data, [...v.shape]);
  const r = await session.run(f);
  const out = r[output];
  if (out === undefined) throw new Error(`onnxruntime gave no '${output}'`);
  return out.data as Float32Array;
}

/**
 * Largest number of K rows (k in (ky, kx, ci) order) with a nonzero weight in any (tile of `tile`
 * output channels, group of `m` consecutive rows) of an OIHW conv weight: at most N for a valid
 * column-wise N:M pattern.
 */
export function densestColNmGroup(w: Float32Array, [OC, Cin, kh, kw]: readonly number[], tile = 8, m = 4): number {
  const K = Cin! * kh! * kw!;
  let worst = 0;
  for (let t0 = 0; t0 < OC!; t0 += tile) {
    for (let g0 = 0; g0 < K; g0 += m) {
      let rows = 0;
      for (let k = g0; k < Math.min(K, g0 + m); k++) {
        const ci = k % Cin!, tap = Math.floor(k / Cin!);
        let any = false;
        for (let oc = t0; oc < Math.min(OC!, t0 + tile); oc++) any ||= w[oc * K + ci * kh! * kw! + tap] !== 0;
        if (any) rows++;
      }
      worst = Math.max(worst, rows);
    }
  }
  return worst;
}

/** Seeded random images of size×size pixels (labels 0), no file needed. */
export function randomImages(count: number, seed: number, size = 8): ImageBatch {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * 3 * size * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(rng.next() * 256);
  return { count, labels: new Uint8Array(count), pixels, height: size, width: size };
}

/**
 * Two inverted-residual blocks (1x1 expansion → depthwise → 1x1 projection) of different widths,
 * the second depthwise conv strided: two DEPrune PW groups, 'e1' (24 channels) and 'e2' (48).
 */
export function twoInvertedResiduals(seed: number, size = 8): Model {
  const pre: Preprocessing = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], inputSize: [3, size, size] };
  const b = new GraphBuilder('two-blocks', seed);
  let x = b.input('input', ['batch', 3, size, size]);
  x = b.relu(b.conv(x, 8, { kernel: 3, bias: true }, 'stem'), 'r0');
  x = b.relu(b.conv(x, 24, { kernel: 1, bias: true }, 'e1'), 'r1');
  x = b.relu(b.conv(x, 24, { kernel: 3, groups: 24, bias: true }, 'd1'), 'r2');
  x = b.conv(x, 12, { kernel: 1, bias: true }, 'p1');
  x = b.relu(b.conv(x, 48, { kernel: 1, bias: true }, 'e2'), 'r3');
  x = b.relu(b.conv(x, 48, { kernel: 3, stride: 2, groups: 48, bias: true }, 'd2'), 'r4');
  x = b.conv(x, 16, { kernel: 1, bias: true }, 'p2');
  b.output(b.linear(b.flatten(b.globalAvgPool(x, 'gap'), 'flat'), 10, 'fc'), 'logits');
  return { graph: b.build(), opset: 14, metadata: { name: 'two-blocks', preprocessing: pre } };
}
