/**
 * MobileNetV3-Small for ImageNet shapes, as torchvision defines it (Howard et al. 2019): 3x3/2 stem
 * conv to 16 + BN + HardSwish, the 11 inverted residual blocks of torchvision's
 * `_mobilenet_v3_conf("mobilenet_v3_small")`, each an expansion 1x1 conv + BN + activation (skipped
 * when the expanded width equals the input), a depthwise kxk + BN + activation, an optional
 * squeeze-excite (GAP, 1x1 conv to make_divisible(exp / 4, 8), ReLU, 1x1 conv back, HardSigmoid,
 * Mul) and a linear 1x1 projection + BN, with a residual Add when stride is 1 and channels are
 * unchanged; then a 1x1 conv to 576 + BN + HardSwish, global average pool, linear 1024 + HardSwish
 * and linear 1000 (dropout is the identity at inference). Names follow torchvision's state_dict
 * (features.4.block.0.0, features.4.block.2.fc1, classifier.3).
 */
import type { Graph } from '../graph/ir.js';
import { GraphBuilder, type WeightSource } from './builder.js';

type Act = 'RE' | 'HS';

/** torchvision builds MobileNetV3's BatchNorms with eps 1e-3 (not the default 1e-5). */
const BN_EPS = 1e-3;

/** kernel, expanded, out, squeeze-excite, activation, stride (torchvision's InvertedResidualConfig). */
export const MOBILENETV3_SMALL_CFG: readonly (readonly [number, number, number, boolean, Act, number])[] = [
  [3, 16, 16, true, 'RE', 2],
  [3, 72, 24, false, 'RE', 2],
  [3, 88, 24, false, 'RE', 1],
  [5, 96, 40, true, 'HS', 2],
  [5, 240, 40, true, 'HS', 1],
  [5, 240, 40, true, 'HS', 1],
  [5, 120, 48, true, 'HS', 1],
  [5, 144, 48, true, 'HS', 1],
  [5, 288, 96, true, 'HS', 2],
  [5, 576, 96, true, 'HS', 1],
  [5, 576, 96, true, 'HS', 1],
];

const RESIDUAL_GAMMA = 0.2;

/** torchvision's _make_divisible: round to a multiple of `divisor`, never more than 10% down. */
export function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

export function mobilenetv3Small(opts: { seed?: number; weights?: WeightSource } = {}): Graph {
  const b = new GraphBuilder('mobilenetv3-small', opts.seed ?? 3, opts.weights);
  const act = (x: string, a: Act, name: string) => (a === 'HS' ? b.hardSwish(x, name) : b.relu(x, name));
  /** Conv (no bias) + BN + activation, torchvision's Conv2dNormActivation: names p.0, p.1, p.2. */
  const convBnAct = (x: string, cout: number, kernel: number, stride: number, groups: number, a: Act, p: string) =>
    act(b.batchNorm(b.conv(x, cout, { kernel, stride, groups }, `${p}.0`), `${p}.1`, 1, BN_EPS), a, `${p}.2`);

  let x = b.input('input', ['batch', 3, 224, 224]);
  x = convBnAct(x, 16, 3, 2, 1, 'HS', 'features.0');
  let inPlanes = 16;
  MOBILENETV3_SMALL_CFG.forEach(([kernel, exp, outPlanes, se, a, stride], bi) => {
    const p = `features.${bi + 1}.block`;
    const residual = stride === 1 && inPlanes === outPlanes;
    let j = 0;
    let out = x;
    if (exp !== inPlanes) out = convBnAct(out, exp, 1, 1, 1, a, `${p}.${j++}`);
    out = convBnAct(out, exp, kernel, stride, exp, a, `${p}.${j++}`);
    if (se) {
      const q = `${p}.${j++}`;
      let s = b.globalAvgPool(out, `${q}.avgpool`);
      s = b.relu(b.conv(s, makeDivisible(exp / 4), { kernel: 1, bias: true }, `${q}.fc1`), `${q}.relu`);
      s = b.hardSigmoid(b.conv(s, exp, { kernel: 1, bias: true }, `${q}.fc2`), `${q}.hardsigmoid`, 1 / 6, 0.5);
      out = b.mul(out, s, `${q}.mul`);
    }
    const q = `${p}.${j++}`;
    out = b.batchNorm(b.conv(out, outPlanes, { kernel: 1 }, `${q}.0`), `${q}.1`, residual ? RESIDUAL_GAMMA : 1, BN_EPS);
    x = residual ? b.add(out, x, `features.${bi + 1}.add`) : out;
    inPlanes = outPlanes;
  });
  x = convBnAct(x, 6 * inPlanes, 1, 1, 1, 'HS', `features.${MOBILENETV3_SMALL_CFG.length + 1}`);
  x = b.flatten(b.globalAvgPool(x, 'avgpool'), 'flatten');
  x = b.hardSwish(b.linear(x, 1024, 'classifier.0'), 'classifier.1');
  b.output(b.linear(x, 1000, 'classifier.3'), 'logits');
  return b.build();
}
