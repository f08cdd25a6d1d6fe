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

export interface DistillationConfig {
  /** Weight of the teacher term: loss = (1 − α)·CE(labels) + α·T²·KL(teacher_T ‖ student_T). In [0, 1]. */
  readonly alpha: number;
  /** Softmax temperature T of both distributions in the teacher term (> 0; 4 is usual for CIFAR). */
  readonly temperature: number;
  /** Match intermediate values of the teacher too (feature distillation, featureLoss below). */
  readonly features?: FeatureDistillation;
}

/**
 * Feature distillation (FitNets, Romero et al. 2015; block-wise mimicking for pruned networks): the
 * student's values `values` (names shared with the teacher, each a boundary of the training chain)
 * are pulled toward the teacher's on the same batch, adding
 *   weight · (1/L) · Σ_l ‖x_l − t_l‖² / ‖t_l‖²
 * to the loss (L = values.length). Each term is the relative squared error of one value over the
 * batch, so values of any scale and width weigh alike. Logits say little per image when data is
 * scarce; every block's output says much more, and a pruned block's output has the dense shape.
 */
export interface FeatureDistillation {
  readonly values: readonly string[];
  /** > 0. */
  readonly weight: number;
}

/**
 * One term of the feature loss: returns c·‖x − t‖² / ‖t‖² and ADDS its gradient
 * 2c·(x − t)/‖t‖² to dx (the value's gradient from the layers above). Sums in f64; a zero
 * teacher value (‖t‖ = 0) gives the plain squared error instead of a division by zero.
 */
export function featureLoss(x: Float32Array, t: Float32Array, c: number, dx?: Float32Array): number {
  if (x.length !== t.length || (dx !== undefined && dx.length !== x.length)) throw new RangeError(`featureLoss: the student value has ${x.length} elements, the teacher's ${t.length}${dx === undefined ? '' : `, its gradient ${dx.length}`}`);
  let num = 0, den = 0;
  for (let k = 0; k < x.length; k++) {
    const d = x[k]! - t[k]!;
    num += d * d;
    den += t[k]! * t[k]!;
  }
  const norm = den > 0 ? den : 1;
  if (dx !== undefined) {
    const s = (2 * c) / norm;
    for (let k = 0; k < x.length; k++) dx[k]! += s * (x[k]! - t[k]!);
  }
  return (c * num) / norm;
}

/**
 * Knowledge distillation (Hinton et al.): cross-entropy on the labels blended with the KL divergence
 * from the teacher's softened distribution. The T² factor keeps the soft term's gradient scale
 * independent of T. `teacher` holds [n, classes] logits of the same batch. Accuracy counts the
 * student against the labels. dLogits is OVERWRITTEN with
 *   ((1 − α)·(softmax(s) − onehot) + α·T·(softmax(s/T) − softmax(t/T))) / n.
 */
export function distillationLoss(logits: Float32Array, labels: Int32Array | Uint8Array, teacher: Float32Array, n: number, classes: number, cfg: DistillationConfig, dLogits?: Float32Array): LossResult {
  const { alpha, temperature: T } = cfg;
  const ce = softmaxCrossEntropy(logits, labels, n, classes, dLogits);
  if (teacher.length < n * classes) throw new RangeError(`distillationLoss: need ${n}×${classes} teacher logits, got ${teacher.length}`);
  let kl = 0;
  const ps = new Float64Array(classes), pt = new Float64Array(classes);
  for (let r = 0; r < n; r++) {
    const base = r * classes;
    softmaxRow(logits, base, classes, T, ps);
    softmaxRow(teacher, base, classes, T, pt);
    for (let j = 0; j < classes; j++) {
      if (pt[j]! > 0) kl += pt[j]! * (Math.log(pt[j]!) - Math.log(Math.max(ps[j]!, 1e-300)));
      if (dLogits !== undefined) dLogits[base + j] = (1 - alpha) * dLogits[base + j]! + (alpha * T * (ps[j]! - pt[j]!)) / n;
    }
  }
  const loss = (1 - alpha) * ce.loss + (n > 0 ? (alpha * T * T * kl) / n : 0);
  return { loss, correct: ce.correct };
}

/** out = softmax(x[base .. base+classes) / T), in f64. */
export function softmaxRow(x: Float32Array, base: number, classes: number, T: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < classes; j++) max = Math.max(max, x[base + j]!);
  let sum = 0;
  for (let j = 0; j < classes; j++) sum += out[j] = Math.exp((x[base + j]! - max) / T);
  for (let j = 0; j < classes; j++) out[j]! /= sum;
}
