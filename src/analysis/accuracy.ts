import type { ImageBatch } from '../data/cifar10.js';
import { argmaxRows, batchTensor } from '../data/preprocess.js';
import { fail } from '../errors.js';
import type { Preprocessing } from '../graph/ir.js';
import type { Session } from '../runtime/session.js';

export interface AccuracyResult {
  readonly correct: number;
  readonly images: number;
  readonly top1: number;
  /** Predicted class per image. */
  readonly predictions: readonly number[];
  readonly seconds: number;
}

/** Top-1 accuracy of a compiled model on labelled images, in batches, reporting progress. */
export async function evaluateAccuracy(
  session: Session,
  data: ImageBatch,
  pre: Preprocessing,
  opts: { batchSize?: number; onProgress?: (done: number, total: number, correct: number) => void } = {},
): Promise<AccuracyResult> {
  const bs = opts.batchSize ?? 50;
  if (!Number.isInteger(bs) || bs < 1) fail('INVALID_ARGUMENT', `batch size must be a positive integer, got ${bs}`);
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  const predictions: number[] = [];
  let correct = 0;
  const t0 = performance.now();
  for (let s = 0; s < data.count; s += bs) {
    const n = Math.min(bs, data.count - s);
    const out = await session.run({ [input]: batchTensor(data, s, n, pre) });
    const pred = argmaxRows(out[output]!);
    pred.forEach((p, i) => {
      predictions.push(p);
      if (p === data.labels[s + i]) correct++;
    });
    opts.onProgress?.(s + n, data.count, correct);
  }
  return { correct, images: data.count, top1: data.count === 0 ? 0 : correct / data.count, predictions, seconds: (performance.now() - t0) / 1000 };
}
