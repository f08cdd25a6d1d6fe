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
  /** This layer's time in the dense model over its time pruned (batch 1; median over alternating runs of both). */
  readonly speedup: number;
  readonly denseMs: number;
  readonly prunedMs: number;
}

export interface SensitivityReport {
  readonly dense: { readonly top1: number; readonly images: number };
  readonly layers: LayerSensitivity[];
}

/** A profiling session and its input, for timing single layers. */
async function profiled(model: Model, compileOpts: CompileOptions): Promise<{ run: () => Promise<Map<string, number>>; dispose: () => void }> {
  const s = await compile(model, { ...compileOpts, profile: true });
  const input = model.graph.inputs.find((i) => !model.graph.initializers.has(i.name))!;
  const x = floatTensor(input.shape.map((d) => (typeof d === 'number' ? d : 1)));
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.sin(i * 0.37);
  return {
    run: async () => {
      await s.run({ [input.name]: x });
      return new Map(s.profile().map((t) => [t.name, t.ms]));
    },
    dispose: () => s.dispose(),
  };
}

/**
 * Dense / pruned time of one layer: both sessions warmed up (the first calls run unoptimised
 * WebAssembly), then timed in alternation so that load on the machine hits both sides alike;
 * the median of the per-round ratios.
 */
async function layerSpeedup(dense: Awaited<ReturnType<typeof profiled>>, pruned: Awaited<ReturnType<typeof profiled>>, name: string, runs: number): Promise<{ denseMs: number; prunedMs: number; speedup: number }> {
  for (let w = 0; w < 10; w++) {
    await dense.run();
    await pruned.run();
  }
  const d: number[] = [], p: number[] = [], ratio: number[] = [];
  for (let r = 0; r < runs; r++) {
    const dm = (await dense.run()).get(name) ?? NaN;
    const pm = (await pruned.run()).get(name) ?? NaN;
    d.push(dm);
    p.push(pm);
    ratio.push(dm / pm);
  }
  const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return { denseMs: med(d), prunedMs: med(p), speedup: med(ratio) };
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
  const denseProf = await profiled(model, copts);
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
    const prunedProf = await profiled(one, copts);
    const t = await layerSpeedup(denseProf, prunedProf, name, o.runs ?? 9);
    prunedProf.dispose();
    layers.push({ name, op: l.op, sparsity: l.sparsity, top1: r.top1, drop: dense.top1 - r.top1, ...t });
  }
  denseProf.dispose();
  o.onLayer?.(targets.length, targets.length, '');
  return { dense: { top1: dense.top1, images: dense.images }, layers };
}
