/**
 * BatchNorm unfolding for fine-tuning folded models.
 *
 * Exported CNNs usually have BatchNorm folded into the convolutions (the shared ResNets and
 * MobileNetV2 do). Such a network is badly conditioned for SGD: nothing re-normalises a layer whose
 * input statistics moved, so a pruned model (whose activations moved a lot) or even a modest
 * learning rate diverges. Before fine-tuning we therefore put a BatchNormalization after every
 * Conv that lacks one, calibrated so the network computes exactly the same function:
 *     gamma = beta-free std σ_c,  beta = mean μ_c,  running mean = μ_c,  running var = σ_c² − eps
 * with μ_c, σ_c the per-channel statistics of that conv's output on calibration images. In
 * inference mode BN(y) = σ (y − μ)/σ + μ = y; in training mode it normalises with batch statistics
 * and restores the calibrated scale, as the BN the model was trained with did. After training,
 * foldBatchNorm() folds every BN back into its Conv (conv-bn-fusion): the exported model has the
 * original structure, node names (so the pruning record still applies) and zeros (folding scales
 * whole output channels).
 *
 * With a `reference` model (the dense model a pruned one came from), γ and β come from the
 * reference's statistics of the same conv instead: BN then maps every channel back to the mean and
 * spread it had before pruning (statistics matching; the pruned network's own drift is what its
 * running statistics record). In training mode that holds at every layer from the first step.
 */
import type { ImageBatch } from '../data/cifar10.js';
import { batchTensor } from '../data/preprocess.js';
import { exposeValues } from '../graph/expose.js';
import { inferShapes } from '../graph/infer.js';
import type { Graph, Model, Node, Preprocessing } from '../graph/ir.js';
import { convBnFusion, deadCodeElimination, FUSION_PASS_NAMES, runPasses } from '../graph/passes/index.js';
import { floatTensor, type Tensor } from '../graph/tensor.js';
import { feedInputs } from '../runtime/bind.js';
import { compile } from '../runtime/session.js';

const EPS = 1e-5;

/** Convs whose output no BatchNormalization reads. */
function unnormalisedConvs(g: Graph): Node[] {
  const bnInputs = new Set(g.nodes.filter((n) => n.op === 'BatchNormalization').map((n) => n.inputs[0]!));
  return g.nodes.filter((n) => n.op === 'Conv' && !bnInputs.has(n.outputs[0]!));
}

/** True when the model has convolutions with no BatchNormalization after them (a folded model). */
export function needsUnfolding(model: Model): boolean {
  return unnormalisedConvs(model.graph).length > 0;
}

/**
 * Adds a calibrated BatchNormalization after every Conv without one (statistics from the first
 * `images` images of `data`, through the wasm engine). Returns the model unchanged when none lacks one.
 */
export async function unfoldBatchNorm(model: Model, data: ImageBatch, pre: Preprocessing, images = 512, reference?: Model): Promise<{ model: Model; added: number }> {
  const g = model.graph;
  const convs = unnormalisedConvs(g);
  if (convs.length === 0) return { model, added: 0 };
  const stats = await convOutputStats(model, convs.map((c) => c.outputs[0]!), data, pre, images);
  // Statistics of the same convs in the reference model (same node names and channel counts).
  const refStats: (ChannelStats | undefined)[] = convs.map(() => undefined);
  if (reference !== undefined) {
    const byName = new Map<string, Node>(reference.graph.nodes.filter((n) => n.op === 'Conv').map((n) => [n.name, n]));
    const pairs: { k: number; r: Node }[] = [];
    convs.forEach((c, k) => {
      const r = byName.get(c.name);
      if (r !== undefined) pairs.push({ k, r });
    });
    const got = await convOutputStats(reference, pairs.map((p) => p.r.outputs[0]!), data, pre, images);
    pairs.forEach((p, i) => {
      if (got[i]!.mean.length === stats[p.k]!.mean.length) refStats[p.k] = got[i];
    });
  }
  const inits = new Map<string, Tensor>(g.initializers);
  const bnAfter = new Map<Node, Node>();
  const renamed = new Map<Node, Node>();
  convs.forEach((conv, k) => {
    const { mean, std } = stats[k]!;
    const C = mean.length;
    const rvar = std.map((sd) => sd * sd - EPS);
    // γ, β: this model's own statistics (BN computes the identity), or the reference's: then BN maps
    // each channel back to the mean and spread it had in the reference (dense) model.
    const target = refStats[k] ?? stats[k]!;
    const y = conv.outputs[0]!;
    const pre = `${y}.unfolded`;
    const p = `${conv.name}.bn_unfolded`;
    inits.set(`${p}.weight`, floatTensor([C], Float32Array.from(target.std)));
    inits.set(`${p}.bias`, floatTensor([C], Float32Array.from(target.mean)));
    inits.set(`${p}.running_mean`, floatTensor([C], Float32Array.from(mean)));
    inits.set(`${p}.running_var`, floatTensor([C], rvar));
    renamed.set(conv, { ...conv, outputs: [pre] } as Node);
    bnAfter.set(conv, { name: p, op: 'BatchNormalization', inputs: [pre, `${p}.weight`, `${p}.bias`, `${p}.running_mean`, `${p}.running_var`], outputs: [y], attrs: { epsilon: EPS, momentum: 0.9 } });
  });
  const nodes: Node[] = [];
  for (const node of g.nodes) {
    nodes.push(renamed.get(node) ?? node);
    const bn = bnAfter.get(node);
    if (bn !== undefined) nodes.push(bn);
  }
  return { model: { ...model, graph: { ...g, nodes, initializers: inits } }, added: convs.length };
}

interface ChannelStats {
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

/** Per-channel mean and std (σ ≥ 1e-2) of the values `outs` on the first `images` images, through the wasm engine. */
async function convOutputStats(model: Model, outs: readonly string[], data: ImageBatch, pre: Preprocessing, images: number): Promise<ChannelStats[]> {
  const g = model.graph;
  const input = feedInputs(g)[0]!;
  const chw = input.shape.slice(1) as number[];
  const types = inferShapes(g, new Map([[input.name, [1, ...chw]]])).types;
  const session = await compile(exposeValues(model, outs), { backend: 'wasm', threads: 1, disablePasses: FUSION_PASS_NAMES });
  const sums = outs.map((o) => ({ s1: new Float64Array(types.get(o)!.shape[1]!), s2: new Float64Array(types.get(o)!.shape[1]!), n: 0 }));
  const count = Math.min(images, data.count);
  try {
    for (let start = 0; start < count; start += 64) {
      const n = Math.min(64, count - start);
      const res = await session.run({ [input.name]: batchTensor(data, start, n, pre) });
      outs.forEach((o, k) => {
        const t = res[o]!;
        const [, C, H, W] = t.shape as [number, number, number, number];
        const acc = sums[k]!;
        const plane = H * W;
        for (let img = 0; img < n; img++) {
          for (let c = 0; c < C; c++) {
            let a = 0, b = 0;
            const base = (img * C + c) * plane;
            for (let p = 0; p < plane; p++) {
              const v = t.data[base + p]!;
              a += v;
              b += v * v;
            }
            acc.s1[c]! += a;
            acc.s2[c]! += b;
          }
        }
        acc.n += n * plane;
      });
    }
  } finally {
    session.dispose();
  }
  return sums.map(({ s1, s2, n }) => {
    const C = s1.length;
    const mean = new Float32Array(C), std = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const mu = s1[c]! / n;
      const v = Math.max(s2[c]! / n - mu * mu, 0);
      // A dead channel (constant output) keeps σ ≥ 1e-2 so the BN stays invertible and trainable.
      mean[c] = mu;
      std[c] = Math.max(Math.sqrt(v + EPS), 1e-2);
    }
    return { mean, std };
  });
}

/** Folds every BatchNormalization that directly follows a Conv back into it (inference form). */
export function foldBatchNorm(model: Model): Model {
  const g = model.graph;
  const input = feedInputs(g)[0]!;
  const shapes = new Map([[input.name, [1, ...(input.shape.slice(1) as number[])]]]);
  return { ...model, graph: runPasses(g, shapes, [], [convBnFusion, deadCodeElimination]) };
}
