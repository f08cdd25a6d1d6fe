/**
 * MobileNetV2 for CIFAR-10, the widely used pytorch-cifar definition: 3x3 stem at stride 1,
 * inverted residuals (expansion, out, repeats, first stride) as below, ReLU (not ReLU6), a residual
 * Add whenever stride is 1 (through a 1x1 conv shortcut when channels change), 1x1 conv to 1280,
 * global average pool, linear to 10. BatchNorm is folded into the convs, as in the shipped ONNX.
 * Layer names follow the ONNX export (c1, c2, c3, sc) so errors name recognisable layers.
 */
import type { Graph } from '../graph/ir.js';
import { GraphBuilder, type WeightSource } from './builder.js';

export const MOBILENETV2_CIFAR_CFG: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1], [6, 24, 2, 1], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

export function mobilenetv2Cifar(opts: { seed?: number; weights?: WeightSource } = {}): Graph {
  const b = new GraphBuilder('mobilenetv2-cifar', opts.seed ?? 2, opts.weights);
  let x = b.input('input', ['batch', 3, 32, 32]);
  x = b.relu(b.conv(x, 32, { kernel: 3, bias: true }, 'c1'), 'relu');
  let inPlanes = 32;
  let idx = 0;
  for (const [expansion, outPlanes, repeats, firstStride] of MOBILENETV2_CIFAR_CFG) {
    for (let i = 0; i < repeats; i++, idx++) {
      const stride = i === 0 ? firstStride : 1;
      const planes = expansion * inPlanes;
      const p = `layers.${idx}`;
      let out = b.relu(b.conv(x, planes, { kernel: 1, bias: true }, `${p}.c1`), `${p}.relu1`);
      out = b.relu(b.conv(out, planes, { kernel: 3, stride, groups: planes, bias: true }, `${p}.c2`), `${p}.relu2`);
      out = b.conv(out, outPlanes, { kernel: 1, bias: true }, `${p}.c3`);
      if (stride === 1) {
        const sc = inPlanes === outPlanes ? x : b.conv(x, outPlanes, { kernel: 1, bias: true }, `${p}.sc`);
        out = b.add(out, sc, `${p}.add`);
      }
      x = out;
      inPlanes = outPlanes;
    }
  }
  x = b.relu(b.conv(x, 1280, { kernel: 1, bias: true }, 'c2'), 'relu_head');
  x = b.flatten(b.globalAvgPool(x, 'gap'), 'flatten');
  b.output(b.linear(x, 10, 'fc'), 'logits');
  return b.build();
}
