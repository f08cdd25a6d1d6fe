/**
 * Sensitivity analysis: prune one layer (or one dependency group, for filter/channel methods) at a
 * time, and measure what it costs in accuracy and what it gains in that layer's time, so a user
 * can choose per-layer ratios (`--layer name=spec`) where they are cheap.
 */
import { evaluateAccuracy } from '../analysis/accuracy.js';
import type { ImageBatch } from '../data/cifar10.js';
import { floatTensor } from '../graph/tensor.js';
import type { Model } from '../graph/ir.js';
import { compile, type CompileOptions } from '../runtime/session.js';
import { pruneModel } from './apply.js';
import type { PruneMethod, PruneOptions } from './spec.js';

export interface LayerSensitivity {
  readonly name: string;
  readonly op: string;
  readonly sparsity: number;
  readonly top1: number;
  /** Dense top-1 minus this model's top-1 (points of fraction, 0..1). */
  readonly drop: number;
  /** This layer's time in the dense model over its time pruned (median of runs, batch 1). */
  readonly speedup: number;
  readonly denseMs: number;
  readonly prunedMs: number;
}

export interface SensitivityReport {
  readonly dense: { readonly top1: number; readonly images: number };
  readonly layers: LayerSensitivity[];
}

async function layerTimes(model: Model, compileOpts: CompileOptions, runs: number): Promise<Map<string, number>> {
  const s = await compile(model, { ...compileOpts, profile: true });
  const input = model.graph.inputs.find((i) => !model.graph.initializers.has(i.name))!;
  const x = floatTensor(input.shape.map((d) => (typeof d === 'number' ? d : 1)));
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.sin(i * 0.37);
  const samples = new Map<string, number[]>();
  for (let r = 0; r < runs + 2; r++) {
    await s.run({ [input.name]: x });
    if (r < 2) continue; // warm-up
    for (const t of s.profile()) samples.set(t.name, [...(samples.get(t.name) ?? []), t.ms]);
  }
  s.dispose();
  return new Map([...samples].map(([k, v]) => [k, v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!]));
}

export async function pruningSensitivity(
  model: Model, method: PruneMethod, opts: PruneOptions, data: ImageBatch,
  o: { compile?: CompileOptions; runs?: number; onLayer?: (done: number, total: number, name: string) => void } = {},
): Promise<SensitivityReport> {
  const copts = o.compile ?? {};
  const pre = model.metadata.preprocessing!;
  const denseSession = await compile(model, copts);
  const dense = await evaluateAccuracy(denseSession, data, pre, { batchSize: 100 });
  denseSession.dispose();
  const denseTimes = await layerTimes(model, copts, o.runs ?? 5);
  const targets = pruneModel(model, method, opts).report.layers.map((l) => l.name);
  const layers: LayerSensitivity[] = [];
  for (const [i, name] of targets.entries()) {
    o.onLayer?.(i, targets.length, name);
    const { model: one, report } = pruneModel(model, method, { ...opts, dense: [...(opts.dense ?? []), ...targets.filter((t) => t !== name)] });
    const l = report.layers.find((x) => x.name === name);
    if (l === undefined) continue;
    const s = await compile(one, copts);
    const r = await evaluateAccuracy(s, data, pre, { batchSize: 100 });
    s.dispose();
    const prunedMs = (await layerTimes(one, copts, o.runs ?? 5)).get(name) ?? NaN;
    const denseMs = denseTimes.get(name) ?? NaN;
    layers.push({ name, op: l.op, sparsity: l.sparsity, top1: r.top1, drop: dense.top1 - r.top1, speedup: denseMs / prunedMs, denseMs, prunedMs });
  }
  o.onLayer?.(targets.length, targets.length, '');
  return { dense: { top1: dense.top1, images: dense.images }, layers };
}
