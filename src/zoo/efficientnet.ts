/**
 * EfficientNet-B0 for ImageNet shapes, as torchvision defines it (Tan & Le 2019): 3x3/2 stem conv
 * to 32 + BN + SiLU, seven stages of MBConv blocks (expand ratio, kernel, stride, in, out, layers)
 * as below, each an expansion 1x1 conv + BN + SiLU (skipped when the ratio is 1), a depthwise kxk +
 * BN + SiLU, a squeeze-excite (GAP, 1x1 conv to max(1, in / 4), SiLU, 1x1 conv back, Sigmoid, Mul)
 * and a linear 1x1 projection + BN, with a residual Add when stride is 1 and channels are unchanged
 * (stochastic depth is the identity at inference); then a 1x1 conv to 1280 + BN + SiLU, global
 * average pool and a 1000-way linear layer (dropout is the identity at inference). Names follow
 * torchvision's state_dict (features.2.0.block.0.0, features.2.0.block.2.fc1, classifier.1).
 * Random weights: the projection BN of each residual block gets a small gamma.
 */
import type { Graph } from '../graph/ir.js';
import { GraphBuilder, type WeightSource } from './builder.js';

/** expand ratio, kernel, stride, in, out, layers (torchvision's MBConvConfig list for B0). */
export const EFFICIENTNET_B0_CFG: readonly (readonly [number, number, number, number, number, number])[] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

const RESIDUAL_GAMMA = 0.2;

export function efficientnetB0(opts: { seed?: number; weights?: WeightSource } = {}): Graph {
  const b = new GraphBuilder('efficientnet-b0', opts.seed ?? 4, opts.weights);
  /** Conv (no bias) + BN + SiLU, torchvision's Conv2dNormActivation: names p.0, p.1, p.2. */
  const convBnSilu = (x: string, cout: number, kernel: number, stride: number, groups: number, p: string) =>
    b.silu(b.batchNorm(b.conv(x, cout, { kernel, stride, groups }, `${p}.0`), `${p}.1`), `${p}.2`);

  let x = b.input('input', ['batch', 3, 224, 224]);
  x = convBnSilu(x, 32, 3, 2, 1, 'features.0');
  EFFICIENTNET_B0_CFG.forEach(([ratio, kernel, firstStride, cin, cout, layers], si) => {
    for (let i = 0; i < layers; i++) {
      const inPlanes = i === 0 ? cin : cout;
      const stride = i === 0 ? firstStride : 1;
      const expanded = inPlanes * ratio;
      const residual = stride === 1 && inPlanes === cout;
      const p = `features.${si + 1}.${i}.block`;
      let j = 0;
      let out = x;
      if (ratio !== 1) out = convBnSilu(out, expanded, 1, 1, 1, `${p}.${j++}`);
      out = convBnSilu(out, expanded, kernel, stride, expanded, `${p}.${j++}`);
      const q = `${p}.${j++}`;
      let s = b.globalAvgPool(out, `${q}.avgpool`);
      s = b.silu(b.conv(s, Math.max(1, Math.floor(inPlanes / 4)), { kernel: 1, bias: true }, `${q}.fc1`), `${q}.silu`);
      s = b.sigmoid(b.conv(s, expanded, { kernel: 1, bias: true }, `${q}.fc2`), `${q}.sigmoid`);
      out = b.mul(out, s, `${q}.mul`);
      const r = `${p}.${j++}`;
      out = b.batchNorm(b.conv(out, cout, { kernel: 1 }, `${r}.0`), `${r}.1`, residual ? RESIDUAL_GAMMA : 1);
      x = residual ? b.add(out, x, `features.${si + 1}.${i}.add`) : out;
    }
  });
  x = convBnSilu(x, 1280, 1, 1, 1, `features.${EFFICIENTNET_B0_CFG.length + 1}`);
  x = b.flatten(b.globalAvgPool(x, 'avgpool'), 'flatten');
  b.output(b.linear(x, 1000, 'classifier.1'), 'logits');
  return b.build();
}
