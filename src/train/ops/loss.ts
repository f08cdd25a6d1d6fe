/**
 * Softmax cross-entropy on a [n, classes] row-major logits buffer, numerically stable
 * (log-sum-exp shifted by the row maximum, float64 sums).
 */

export interface LossResult {
  /** Mean over the batch of −log softmax(logits)[label]. */
  readonly loss: number;
  /** Rows whose first maximal logit is at the label. */
  readonly correct: number;
}

/**
 * Returns the mean loss and the number of correct predictions; when `dLogits` is given it is
 * OVERWRITTEN (not accumulated) with d(mean loss)/d(logits) = (softmax − onehot(label)) / n.
 */
export function softmaxCrossEntropy(logits: Float32Array, labels: Int32Array | Uint8Array, n: number, classes: number, dLogits?: Float32Array): LossResult {
  if (logits.length < n * classes || labels.length < n) throw new RangeError(`softmaxCrossEntropy: need ${n}×${classes} logits and ${n} labels, got ${logits.length} and ${labels.length}`);
  if (dLogits !== undefined && dLogits.length < n * classes) throw new RangeError(`softmaxCrossEntropy: dLogits has ${dLogits.length} values, need ${n * classes}`);
  let total = 0;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const base = r * classes;
    const label = labels[r]!;
    if (label < 0 || label >= classes) throw new RangeError(`softmaxCrossEntropy: label ${label} of row ${r} is out of range [0, ${classes})`);
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < classes; j++) {
      const v = logits[base + j]!;
      if (v > max) { max = v; arg = j; }
    }
    if (arg === label) correct++;
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[base + j]! - max);
    const logSum = Math.log(sum);
    total += logSum - (logits[base + label]! - max);
    if (dLogits !== undefined) {
      for (let j = 0; j < classes; j++) {
        const p = Math.exp(logits[base + j]! - max) / sum;
        dLogits[base + j] = (p - (j === label ? 1 : 0)) / n;
      }
    }
  }
  return { loss: n > 0 ? total / n : 0, correct };
}
