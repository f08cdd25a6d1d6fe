#!/usr/bin/env node
/**
 * Checkpoint plans on real models: for each (model, batch), every planner's checkpoints, predicted
 * peak, measured peak (the trainer's allocator high-water mark over real training steps) and step
 * time, with ratios against store-all measured in the same process.
 *
 *   node bench/plan-models.mjs [--models resnet56:64,mobilenetv2-cifar:64,resnet50:8] [--planners store-all,sqrt,dp,linear]
 *        [--steps 3] [--threads 1] [--out bench/results/plan-models-DATE.md]
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { scriptArgs } from '../scripts/script-args.mjs';
import '../dist/src/node/runtime.js';
import { loadModel } from '../dist/src/node/models.js';
import { parsePlanner, simulate } from '../dist/src/plan/index.js';
import { createTrainer } from '../dist/src/train/trainer.js';
import { Rng } from '../dist/src/zoo/rng.js';

const { values: o } = scriptArgs(import.meta.url, {
  options: {
    models: { type: 'string', default: 'resnet56:64,mobilenetv2-cifar:64,resnet50:8' },
    planners: { type: 'string', default: 'store-all,sqrt,dp,linear' },
    steps: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const mib = (b) => (b / 1024 / 1024).toFixed(1);
const lines = [
  '# Checkpoint plans on real models',
  '',
  `- date: ${new Date().toISOString().slice(0, 10)}; machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, Node ${process.version}; shared and noisy: ratios come from one process`,
  `- command: \`node bench/plan-models.mjs ${process.argv.slice(2).join(' ')}\``,
  `- peak bytes count everything a training step holds in the trainer's memory: weights, gradients, momentum, input batch, activations, saved data, kernel workspace; "measured" is the allocator's high-water mark over ${o.steps} steps after one warm-up; step time is the median (forward + backward incl. recomputation, no optimizer), wasm kernels x${o.threads}`,
  '',
];
for (const spec of o.models.split(',')) {
  const [name, b] = spec.split(':');
  const batch = Number(b);
  const model = loadModel(name);
  const t = await createTrainer(model, { batch, threads: Number(o.threads) });
  const rng = new Rng(1);
  const x = t.inputView;
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const labels = t.labelView;
  for (let i = 0; i < labels.length; i++) labels[i] = i % t.program.classes;
  const chain = t.chain();
  const rows = [];
  for (const p of parsePlanner(o.planners)) {
    const t0 = performance.now();
    const ck = p.plan(chain);
    const planMs = performance.now() - t0;
    const predicted = simulate(chain, ck).peakBytes;
    const times = [];
    let measured = 0;
    for (let s = 0; s <= Number(o.steps); s++) {
      const s0 = performance.now();
      const r = t.executor.step(ck);
      if (s > 0) times.push(performance.now() - s0);
      measured = Math.max(measured, r.peakBytes);
    }
    times.sort((a, b) => a - b);
    rows.push({ planner: p.name, ck, predicted, measured, stepMs: times[Math.floor(times.length / 2)], planMs });
    process.stderr.write(`${name} b${batch} ${p.name}: ${ck.length} ckpts, predicted ${mib(predicted)} MiB, measured ${mib(measured)} MiB, ${rows.at(-1).stepMs.toFixed(0)} ms\n`);
  }
  t.dispose();
  const sa = rows.find((r) => r.planner === 'store-all') ?? rows[0];
  lines.push(`## ${name}, batch ${batch} (${chain.n} stages; weights + gradients + momentum + input: ${mib(chain.base)} MiB)`, '');
  lines.push('| planner | checkpoints | predicted peak | measured peak | predicted/measured | store-all peak ÷ this | step time | step time ÷ store-all | planning time |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    lines.push(`| ${r.planner} | ${r.ck.length} (${r.ck.join(' ') || '—'}) | ${mib(r.predicted)} MiB | ${mib(r.measured)} MiB | ${(r.predicted / r.measured).toFixed(4)} | ${(sa.measured / r.measured).toFixed(2)}x | ${r.stepMs.toFixed(0)} ms | ${(r.stepMs / sa.stepMs).toFixed(2)}x | ${r.planMs.toFixed(2)} ms |`);
  }
  lines.push('');
}
const md = lines.join('\n');
process.stdout.write(md);
if (o.out) writeFileSync(o.out, md);
