/**
 * MobileNetV2 (width 1.0) for ImageNet shapes, as torchvision defines it (Sandler et al. 2018):
 * 3x3/2 stem conv to 32 + BN + ReLU6, 17 inverted residuals (expansion t, out c, repeats n, first
 * stride s) as below, each an expansion 1x1 conv + BN + ReLU6 (skipped when t = 1), a depthwise 3x3
 * + BN + ReLU6 and a linear 1x1 projection + BN, with a residual Add when stride is 1 and channels
 * are unchanged; then a 1x1 conv to 1280 + BN + ReLU6, global average pool and a 1000-way linear
 * layer (dropout is the identity at inference). Names follow torchvision's state_dict
 * (features.2.conv.0.0, features.2.conv.2, classifier.1). Random weights: the projection BN of each
 * residual block gets a small gamma so activations stay in range.
 */
import type { Graph } from '../graph/ir.js';
import { GraphBuilder, type WeightSource } from './builder.js';

/** Inverted residual settings t, c, n, s (torchvision's inverted_residual_setting). */
export const MOBILENETV2_CFG: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

const RESIDUAL_GAMMA = 0.2;

export function mobilenetv2(opts: { seed?: number; weights?: WeightSource } = {}): Graph {
  const b = new GraphBuilder('mobilenetv2', opts.seed ?? 2, opts.weights);
  /** Conv (no bias) + BN + ReLU6, torchvision's Conv2dNormActivation: names p.0, p.1, p.2. */
  const convBnRelu6 = (x: string, cout: number, kernel: number, stride: number, groups: number, p: string) =>
    b.relu6(b.batchNorm(b.conv(x, cout, { kernel, stride, groups }, `${p}.0`), `${p}.1`), `${p}.2`);

  let x = b.input('input', ['batch', 3, 224, 224]);
  x = convBnRelu6(x, 32, 3, 2, 1, 'features.0');
  let inPlanes = 32;
  let idx = 1;
  for (const [t, c, n, s] of MOBILENETV2_CFG) {
    for (let i = 0; i < n; i++, idx++) {
      const stride = i === 0 ? s : 1;
      const hidden = inPlanes * t;
      const residual = stride === 1 && inPlanes === c;
      const p = `features.${idx}.conv`;
      let j = 0;
      let out = x;
      if (t !== 1) out = convBnRelu6(out, hidden, 1, 1, 1, `${p}.${j++}`);
      out = convBnRelu6(out, hidden, 3, stride, hidden, `${p}.${j++}`);
      out = b.conv(out, c, { kernel: 1 }, `${p}.${j++}`);
      out = b.batchNorm(out, `${p}.${j++}`, residual ? RESIDUAL_GAMMA : 1);
      x = residual ? b.add(out, x, `features.${idx}.add`) : out;
      inPlanes = c;
    }
  }
  x = convBnRelu6(x, 1280, 1, 1, 1, `features.${idx}`);
  x = b.flatten(b.globalAvgPool(x, 'avgpool'), 'flatten');
  b.output(b.linear(x, 1000, 'classifier.1'), 'logits');
  return b.build();
}
