/**
 * The model zoo: architectures written as code. CIFAR models load real pretrained weights from the
 * ONNX files named in `pretrained` (found by the Node adapter, see node/models.ts); ImageNet-shape
 * models use seeded random weights and exist for speed work only.
 */
import { fail } from '../errors.js';
import type { Graph, Model, Preprocessing } from '../graph/ir.js';
import { CIFAR10_LABELS } from '../data/labels.js';
import type { WeightSource } from './builder.js';
import { efficientnetB0 } from './efficientnet.js';
import { mobilenetv2 } from './mobilenetv2.js';
import { mobilenetv2Cifar } from './mobilenetv2-cifar.js';
import { mobilenetv3Small } from './mobilenetv3.js';
import { resnet } from './resnet.js';
import { resnetCifar } from './resnet-cifar.js';
import { onnxWeightSource } from './weights.js';

export interface ZooEntry {
  readonly name: string;
  readonly description: string;
  readonly dataset: 'cifar10' | 'imagenet';
  readonly preprocessing: Preprocessing;
  readonly labels?: readonly string[];
  /** File name of the pretrained ONNX model whose weights the builder loads, when one exists. */
  readonly pretrained?: string;
  /** batchNorm: unfolded Conv + BatchNormalization, for training from scratch (CIFAR ResNets). */
  build(opts: { seed?: number; weights?: WeightSource; batchNorm?: boolean }): Graph;
}

/** CIFAR ResNets (akamaster): ImageNet statistics, per ../shared/data/README.md. */
const CIFAR_RESNET_PRE: Preprocessing = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: [3, 32, 32] };
/** MobileNetV2-CIFAR was trained with CIFAR-10 statistics. */
const CIFAR_MBV2_PRE: Preprocessing = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616], inputSize: [3, 32, 32] };
export const IMAGENET_PRE: Preprocessing = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: [3, 224, 224] };

const entries: ZooEntry[] = [
  { name: 'resnet20', description: 'ResNet-20 for CIFAR-10 (0.27M params), pretrained 91.6% on original test pixels', dataset: 'cifar10', preprocessing: CIFAR_RESNET_PRE, labels: CIFAR10_LABELS, pretrained: 'resnet20_cifar10.onnx', build: (o) => resnetCifar(20, o) },
  { name: 'resnet56', description: 'ResNet-56 for CIFAR-10 (0.85M params), pretrained 92.7% on original test pixels', dataset: 'cifar10', preprocessing: CIFAR_RESNET_PRE, labels: CIFAR10_LABELS, pretrained: 'resnet56_cifar10.onnx', build: (o) => resnetCifar(56, o) },
  { name: 'mobilenetv2-cifar', description: 'MobileNetV2 for CIFAR-10 (pytorch-cifar variant, 17 depthwise convs), pretrained when mobilenetv2_cifar10.onnx is available', dataset: 'cifar10', preprocessing: CIFAR_MBV2_PRE, labels: CIFAR10_LABELS, pretrained: 'mobilenetv2_cifar10.onnx', build: (o) => mobilenetv2Cifar(o) },
  { name: 'resnet18', description: 'ResNet-18 (11.7M params), ImageNet shapes, random weights: for speed work', dataset: 'imagenet', preprocessing: IMAGENET_PRE, build: (o) => resnet(18, o) },
  { name: 'resnet50', description: 'ResNet-50 (25.6M params), ImageNet shapes, random weights: for speed work', dataset: 'imagenet', preprocessing: IMAGENET_PRE, build: (o) => resnet(50, o) },
  { name: 'mobilenetv2', description: 'MobileNetV2 1.0 (3.5M params), ImageNet shapes, random weights: for speed work', dataset: 'imagenet', preprocessing: IMAGENET_PRE, build: (o) => mobilenetv2(o) },
  { name: 'mobilenetv3-small', description: 'MobileNetV3-Small (2.5M params), ImageNet shapes, random weights: for speed work', dataset: 'imagenet', preprocessing: IMAGENET_PRE, build: (o) => mobilenetv3Small(o) },
  { name: 'efficientnet-b0', description: 'EfficientNet-B0 (5.3M params), ImageNet shapes, random weights: for speed work', dataset: 'imagenet', preprocessing: IMAGENET_PRE, build: (o) => efficientnetB0(o) },
];

export const ZOO: ReadonlyMap<string, ZooEntry> = new Map(entries.map((e) => [e.name, e]));

export function zooEntry(name: string): ZooEntry {
  const e = ZOO.get(name);
  if (e === undefined) fail('NOT_FOUND', `no zoo model '${name}' (available: ${[...ZOO.keys()].join(', ')})`);
  return e;
}

export interface ZooBuildOptions {
  /** The imported pretrained ONNX model (entry.pretrained); random weights when absent. */
  readonly pretrained?: Model;
  /** Where the pretrained model came from, for metadata and error messages. */
  readonly pretrainedFile?: string;
  readonly seed?: number;
  /** Random weights with BatchNormalization kept as separate nodes (for training from scratch). */
  readonly batchNorm?: boolean;
}

export function buildZooModel(name: string, opts: ZooBuildOptions = {}): Model {
  const e = zooEntry(name);
  let graph: Graph;
  let source: string;
  if (opts.pretrained !== undefined) {
    const file = opts.pretrainedFile ?? e.pretrained ?? 'pretrained model';
    const weights = onnxWeightSource(opts.pretrained, file);
    graph = e.build({ weights });
    if (weights.remaining() !== 0) fail('INVALID_MODEL', `${file} has ${weights.remaining()} more layers than ${name}`);
    source = `pretrained: ${file}`;
  } else {
    const seed = opts.seed ?? 1;
    graph = e.build({ seed, ...(opts.batchNorm === true ? { batchNorm: true } : {}) });
    source = `random weights (seed ${seed})`;
  }
  return {
    graph,
    opset: 14,
    metadata: { name, preprocessing: e.preprocessing, ...(e.labels ? { labels: e.labels } : {}), source },
  };
}

export { GraphBuilder, type WeightSource, type ConvOptions } from './builder.js';
export { Rng } from './rng.js';
