/**
 * ResNet-18/50 for ImageNet shapes, as torchvision defines them (He et al. 2016): 7x7/2 stem conv +
 * BN + ReLU + 3x3/2 max pool, four stages of BasicBlocks [2,2,2,2] (ResNet-18) or Bottlenecks
 * [3,4,6,3] (ResNet-50, stride on the 3x3 conv as in torchvision's "v1.5"), a 1x1 conv + BN
 * downsample shortcut where shape changes, global average pool and a 1000-way linear layer.
 * Layer names follow torchvision's state_dict (layer1.0.conv1, layer2.0.downsample.0, fc).
 * Random weights: the last BN of each residual branch gets a small gamma (as zero-init residual
 * training does) so activations stay in range through the deep random net.
 */
import type { Graph } from '../graph/ir.js';
import { GraphBuilder, type WeightSource } from './builder.js';

const RESIDUAL_GAMMA = 0.2;

export function resnet(depth: 18 | 50, opts: { seed?: number; weights?: WeightSource } = {}): Graph {
  const bottleneck = depth === 50;
  const layers = bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2];
  const expansion = bottleneck ? 4 : 1;
  const b = new GraphBuilder(`resnet${depth}`, opts.seed ?? depth, opts.weights);
  let x = b.input('input', ['batch', 3, 224, 224]);
  x = b.relu(b.batchNorm(b.conv(x, 64, { kernel: 7, stride: 2, pad: 3 }, 'conv1'), 'bn1'), 'relu');
  x = b.pool('MaxPool', x, 3, 2, 1, 'maxpool');
  let inPlanes = 64;
  [64, 128, 256, 512].forEach((planes, li) => {
    for (let i = 0; i < layers[li]!; i++) {
      const stride = li > 0 && i === 0 ? 2 : 1;
      const p = `layer${li + 1}.${i}`;
      const outPlanes = planes * expansion;
      let out: string;
      if (bottleneck) {
        out = b.relu(b.batchNorm(b.conv(x, planes, { kernel: 1 }, `${p}.conv1`), `${p}.bn1`), `${p}.relu1`);
        out = b.relu(b.batchNorm(b.conv(out, planes, { kernel: 3, stride }, `${p}.conv2`), `${p}.bn2`), `${p}.relu2`);
        out = b.batchNorm(b.conv(out, outPlanes, { kernel: 1 }, `${p}.conv3`), `${p}.bn3`, RESIDUAL_GAMMA);
      } else {
        out = b.relu(b.batchNorm(b.conv(x, planes, { kernel: 3, stride }, `${p}.conv1`), `${p}.bn1`), `${p}.relu1`);
        out = b.batchNorm(b.conv(out, planes, { kernel: 3 }, `${p}.conv2`), `${p}.bn2`, RESIDUAL_GAMMA);
      }
      let sc = x;
      if (stride !== 1 || inPlanes !== outPlanes) {
        sc = b.batchNorm(b.conv(x, outPlanes, { kernel: 1, stride }, `${p}.downsample.0`), `${p}.downsample.1`);
      }
      x = b.relu(b.add(out, sc, `${p}.add`), `${p}.relu_out`);
      inPlanes = outPlanes;
    }
  });
  x = b.flatten(b.globalAvgPool(x, 'avgpool'), 'flatten');
  b.output(b.linear(x, 1000, 'fc'), 'logits');
  return b.build();
}
