#!/usr/bin/env node
/**
 * Screening before fine-tuning: reconstructed top-1 (no training) of MobileNetV2-CIFAR DCP-BH 50% +
 * PW 30% placed by weights, for ways of pruning that act before training only (so the dense rows
 * of experiments/results/finetune-mobilenetv2-cifar-pipeline.md stay the comparison).
 *
 *   node experiments/pw-alloc-screen.mjs recon 512,2048 [--model F.onnx]   allocation on the dense model
 *                                                                           (as --pw-alloc weights), reconstruction on N images
 *   node experiments/pw-alloc-screen.mjs rctx [--model F.onnx]              allocation measured on the DCP-BH-pruned,
 *                                                                           reconstructed model (KL against it), reconstruction on 512
 *
 * --model: the stage-1 dense model of that file (default /tmp/ft/mb1/mobilenetv2-cifar-dense.onnx).
 * Allocation: 256 training images; reconstruction: the first training images; 1 thread.
 */
import { scriptArgs } from '../scripts/script-args.mjs';
import '../dist/src/node/runtime.js';
import { evaluateAccuracy } from '../dist/src/analysis/accuracy.js';
import { loadCifar10, loadCifar10Train } from '../dist/src/node/data.js';
import { loadModel } from '../dist/src/node/models.js';
import { defaultCifar10Dir } from '../dist/src/node/paths.js';
import { pruneModel } from '../dist/src/prune/apply.js';
import { allocatePwRatios } from '../dist/src/prune/allocate.js';
import { parseMethod } from '../dist/src/prune/spec.js';
import { reconstructPruned } from '../dist/src/prune/reconstruct.js';
import { compile } from '../dist/src/runtime/session.js';

const { values: o, positionals: [mode, arg] } = scriptArgs(import.meta.url, { allowPositionals: true, options: { model: { type: 'string', default: '/tmp/ft/mb1/mobilenetv2-cifar-dense.onnx' } } });
if (mode !== 'recon' && mode !== 'rctx') throw new Error('usage: pw-alloc-screen.mjs recon N[,N…] | rctx  [--model F.onnx]');
const dir = defaultCifar10Dir();
const train = loadCifar10Train(dir);
const test = loadCifar10(dir);
const base = loadModel(o.model);
const pre = base.metadata.preprocessing;
const method = parseMethod('dcp-bh:0.5');
const copts = { backend: 'wasm', threads: 1 };
const t0 = performance.now();
const log = (...a) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0)} s]`, ...a);
async function top1(m) {
  const s = await compile(m, copts);
  const r = await evaluateAccuracy(s, test, pre, { batchSize: 100 });
  s.dispose();
  return `${((r.correct / test.count) * 100).toFixed(2)}% (${r.correct})`;
}

// Where the PW group's costs are measured: on the dense model (as `--pw-alloc`), or on the model
// the PW pruning will be added to (DCP-BH pruned and reconstructed).
const measuredOn = mode === 'rctx' ? (await reconstructPruned(base, pruneModel(base, method).model, train, pre, { images: 512, threads: 1 })).model : base;
const alloc = await allocatePwRatios(measuredOn, train, { ratio: 0.3, budget: 'weights', images: 256, compile: copts });
log('ratios', JSON.stringify(Object.fromEntries(alloc.ratios)));
log('allocated', JSON.stringify(alloc.allocated), 'uniform', JSON.stringify(alloc.uniform));
const oneShot = pruneModel(base, method, { pwRatios: alloc.ratios }).model;
for (const n of (mode === 'recon' ? arg ?? '512' : '512').split(',').map(Number)) {
  const r = await reconstructPruned(base, oneShot, train, pre, { images: n, threads: 1 });
  log(`reconstructed on ${n} images: ${await top1(r.model)}`);
}
