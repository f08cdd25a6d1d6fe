/**
 * ResNet-20/56 for CIFAR-10 (He et al. 2016, §4.2) as in akamaster/pytorch_resnet_cifar10, whose
 * pretrained checkpoints ship as ONNX with BatchNorm folded into each Conv (so Conv has a bias and
 * there is no BN node). Shortcut option A: x[:, :, ::2, ::2] then zero-pad planes/4 channels per side.
 */
import type { Graph } from '../graph/ir.js';
import { GraphBuilder, type WeightSource } from './builder.js';

const INT64_MAX = Number.POSITIVE_INFINITY; // written as INT64_MAX by GraphBuilder.slice

/**
 * `batchNorm`: Conv (no bias) + BatchNormalization, the form to train from scratch; the default is
 * the folded form of the pretrained files.
 */
export function resnetCifar(depth: number, opts: { seed?: number; weights?: WeightSource; batchNorm?: boolean } = {}): Graph {
  if ((depth - 2) % 6 !== 0) throw new Error(`internal error: ResNet-CIFAR depth must be 6n+2, got ${depth}`);
  const blocks = (depth - 2) / 6;
  const b = new GraphBuilder(`resnet${depth}`, opts.seed ?? depth, opts.weights);
  let x = b.input('input', ['batch', 3, 32, 32]);
  const bn = opts.batchNorm === true;
  const convBn = (v: string, planes: number, stride: number, name: string, gamma = 1): string =>
    bn ? b.batchNorm(b.conv(v, planes, { kernel: 3, stride }, name), name.replace('conv', 'bn'), gamma) : b.conv(v, planes, { kernel: 3, stride, bias: true }, name);
  x = b.relu(convBn(x, 16, 1, 'conv1'), 'relu');
  let inPlanes = 16;
  [16, 32, 64].forEach((planes, li) => {
    for (let i = 0; i < blocks; i++) {
      const stride = li > 0 && i === 0 ? 2 : 1;
      const p = `layer${li + 1}.${i}`;
      let out = b.relu(convBn(x, planes, stride, `${p}.conv1`), `${p}.relu1`);
      out = convBn(out, planes, 1, `${p}.conv2`);
      let sc = x;
      if (stride !== 1 || inPlanes !== planes) {
        const [n, c, h, w] = b.shapeOf(x) as [number, number, number, number];
        const h2 = Math.ceil(h / 2);
        const w2 = Math.ceil(w / 2);
        sc = b.slice(sc, [0], [INT64_MAX], [2], [2], `${p}.shortcut.slice_h`, [n, c, h2, w]);
        sc = b.slice(sc, [0], [INT64_MAX], [3], [2], `${p}.shortcut.slice_w`, [n, c, h2, w2]);
        const q = planes / 4;
        sc = b.pad(sc, [0, q, 0, 0, 0, q, 0, 0], `${p}.shortcut.pad`);
      }
      x = b.relu(b.add(out, sc, `${p}.add`), `${p}.relu2`);
      inPlanes = planes;
    }
  });
  x = b.pool('AveragePool', x, 8, 8, 0, 'avgpool');
  x = b.linear(b.flatten(x, 'flatten'), 10, 'linear');
  b.output(x, 'logits');
  return b.build();
}
