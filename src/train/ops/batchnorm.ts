/**
 * BatchNormalization, inputs [x, scale γ, bias β, running_mean, running_var], channel = axis 1.
 *
 * Training mode (ForwardArgs.training): statistics of the batch, per channel over every other axis
 * (N, H, W for images), m values each:
 *     μ = Σx / m,   σ² = Σ(x − μ)² / m  (biased, used to normalise),   y = γ·(x − μ)/√(σ² + ε) + β.
 * When `updateStats` (training mode only), the running statistics are updated in place with ONNX
 * momentum semantics, running = running·momentum + batch·(1 − momentum), where the batch variance
 * fed to running_var is the UNBIASED one, σ²·m/(m − 1), as PyTorch does (ONNX's own training-mode
 * reference uses the biased one; we follow PyTorch so that exported running stats match what
 * PyTorch-trained models carry). With m = 1 the biased value (0) is used.
 * Inference mode normalises with the running statistics and never updates them.
 *
 * Saved (savedSizes [C, C, 1]): saved[0] = the mean used, saved[1] = 1/√(var + ε) used,
 * saved[2][0] = 1 when those were batch statistics (training mode), 0 when running ones, so
 * backward knows which derivative applies.
 *
 * Backward reads x and γ (never y, so γ = 0 is fine):
 *     training:  x̂ = (x − μ)·istd,  dβ = Σdy,  dγ = Σdy·x̂,  dx = γ·istd·(dy − dβ/m − x̂·dγ/m)
 *     inference: dβ = Σdy,  dγ = Σdy·x̂,  dx = γ·istd·dy
 * No gradient for the running statistics (dInputs[3], [4] are ignored).
 */
import { channelLayout, needsOnly, req, shapeOf } from './layout.js';
import type { TrainOp } from './types.js';

export const BatchNormalization: TrainOp<'BatchNormalization'> = {
  needs: (_a, shapes) => needsOnly(shapes, [0, 1]),
  savedSizes: (_a, shapes) => {
    const c = shapeOf(shapes, 0, 'BatchNormalization')[1] ?? 1;
    return [c, c, 1];
  },

  forward({ attrs, shapes, inputs, outputs, saved, training, save, updateStats, statsMomentum }) {
    const x = req(inputs, 0, 'BatchNormalization');
    const gamma = req(inputs, 1, 'BatchNormalization');
    const beta = req(inputs, 2, 'BatchNormalization');
    const runMean = req(inputs, 3, 'BatchNormalization');
    const runVar = req(inputs, 4, 'BatchNormalization');
    const y = outputs[0]!;
    const { outer, channels: C, inner } = channelLayout(shapeOf(shapes, 0, 'BatchNormalization'));
    const m = outer * inner;
    const at = (o: number, c: number, i: number) => (o * C + c) * inner + i;
    const mean = new Float64Array(C);
    const istd = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      if (training) {
        let s = 0;
        for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) s += x[at(o, c, i)]!;
        const mu = s / m;
        let v = 0;
        for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) v += (x[at(o, c, i)]! - mu) ** 2;
        const varB = v / m;
        mean[c] = mu;
        istd[c] = 1 / Math.sqrt(varB + attrs.epsilon);
        if (updateStats) {
          const unbiased = m > 1 ? (v / (m - 1)) : varB;
          const mom = statsMomentum ?? attrs.momentum;
          runMean[c] = runMean[c]! * mom + mu * (1 - mom);
          runVar[c] = runVar[c]! * mom + unbiased * (1 - mom);
        }
      } else {
        mean[c] = runMean[c]!;
        istd[c] = 1 / Math.sqrt(runVar[c]! + attrs.epsilon);
      }
      const k = gamma[c]! * istd[c]!;
      const off = beta[c]! - mean[c]! * k;
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) y[at(o, c, i)] = x[at(o, c, i)]! * k + off;
    }
    if (save) {
      saved[0]!.set(mean);
      saved[1]!.set(istd);
      saved[2]![0] = training ? 1 : 0;
    }
  },

  backward({ shapes, inputs, saved, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    if (dy === undefined) return;
    const [dx, dGamma, dBeta] = dInputs;
    if (dx === undefined && dGamma === undefined && dBeta === undefined) return;
    const x = req(inputs, 0, 'BatchNormalization');
    const gamma = req(inputs, 1, 'BatchNormalization');
    const mean = saved[0]!;
    const istd = saved[1]!;
    const batchStats = saved[2]![0] === 1;
    const { outer, channels: C, inner } = channelLayout(shapeOf(shapes, 0, 'BatchNormalization'));
    const m = outer * inner;
    const at = (o: number, c: number, i: number) => (o * C + c) * inner + i;
    for (let c = 0; c < C; c++) {
      const mu = mean[c]!;
      const is = istd[c]!;
      let sDy = 0;
      let sDyXhat = 0;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const j = at(o, c, i);
          sDy += dy[j]!;
          sDyXhat += dy[j]! * (x[j]! - mu) * is;
        }
      }
      if (dBeta !== undefined) dBeta[c]! += sDy;
      if (dGamma !== undefined) dGamma[c]! += sDyXhat;
      if (dx === undefined) continue;
      const k = gamma[c]! * is;
      if (batchStats) {
        const a = sDy / m;
        const b = sDyXhat / m;
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            const j = at(o, c, i);
            dx[j]! += k * (dy[j]! - a - (x[j]! - mu) * is * b);
          }
        }
      } else {
        for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) dx[at(o, c, i)]! += k * dy[at(o, c, i)]!;
      }
    }
  },
};
