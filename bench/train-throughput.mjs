#!/usr/bin/env node
/**
 * Training throughput of sparsecnn: ResNet-20 (CIFAR-10, BN folded into conv biases, exactly the
 * pretrained file's graph), batch 64, forward + backward + SGD update, images/s at 1 and 2 threads.
 * The TensorFlow.js peer (same architecture and batch) is bench/train-tfjs.mjs; run both in the
 * same session and compare ratios (results: bench/results/train-throughput-*.md).
 *
 *   node bench/train-throughput.mjs [--threads 1,2] [--batch 64] [--steps 10] [--checkpoint store-all] [--model resnet20] [--bn]
 *
 * --bn trains what `sparsecnn finetune` trains: the folded model with a calibrated BatchNorm unfolded
 * after every conv (training-mode BN: batch statistics, running averages), not the bare folded graph.
 */
import { scriptArgs } from '../scripts/script-args.mjs';
import '../dist/src/node/runtime.js';
import { loadModel } from '../dist/src/node/models.js';
import { loadCifar10Train } from '../dist/src/node/data.js';
import { defaultCifar10Dir } from '../dist/src/node/paths.js';
import { createTrainer } from '../dist/src/train/trainer.js';
import { Rng } from '../dist/src/zoo/rng.js';

const { values: o } = scriptArgs(import.meta.url, {
  options: {
    threads: { type: 'string', default: '1,2' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    checkpoint: { type: 'string', default: 'store-all' },
    model: { type: 'string', default: 'resnet20' },
    bn: { type: 'boolean', default: false },
  },
});
const batch = Number(o.batch);
for (const threads of o.threads.split(',').map(Number)) {
  const model = loadModel(o.model);
  const calibration = o.bn ? { calibration: { data: loadCifar10Train(defaultCifar10Dir(), 512), pre: model.metadata.preprocessing } } : {};
  const t = await createTrainer(model, { batch, threads, checkpoint: o.checkpoint, ...calibration });
  const rng = new Rng(1);
  const x = t.inputView;
  for (let i = 0; i < x.length; i++) x[i] = rng.normal() * 0.5;
  const labels = t.labelView;
  for (let i = 0; i < labels.length; i++) labels[i] = Math.floor(rng.next() * 10);
  const times = [];
  const losses = [];
  for (let s = 0; s < Number(o.warmup) + Number(o.steps); s++) {
    const r = t.step(0.001);
    losses.push(r.loss);
    if (s >= Number(o.warmup)) times.push(r.ms);
  }
  t.dispose();
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ peer: 'sparsecnn', backend: 'wasm', threads, batch, model: o.model, batchNorm: o.bn ? `unfolded (${t.unfoldedBatchNorms})` : 'folded', checkpoint: o.checkpoint, imagesPerSec: (batch * 1000) / med, stepMsMedian: med, steps: times.length, lossFirst: losses[0], lossLast: losses.at(-1) }));
}
