#!/usr/bin/env node
// Top-1 on the full CIFAR-10 test set (10,000 JPEG-decoded images, ../shared/data/cifar10/test_batch.bin)
// of pruned models WITHOUT fine-tuning (fine-tuning is the training milestone's job):
//  - resnet20 / resnet56: colnm N:M against N:M along K (NVIDIA-style) and unstructured magnitude at the same sparsity;
//  - mobilenetv2-cifar: DEPrune DCP / DCP-B / DCP-BH at 50% and 70% of depthwise weights, with and without
//    30% l2 filter pruning of the pointwise expansion convs, against DW channel pruning at the same ratios.
// With --reconstruct N every pruned row is also scored after least-squares reconstruction of its kept
// weights on the first N training images (src/prune/reconstruct.ts); --match REGEX keeps only the
// methods it matches (plus dense); --tile T prunes colnm with tiles of T output channels (default 8).
// Usage: node experiments/pruning-accuracy.mjs [--threads T] [--models a,b] [--reconstruct N] [--match RE] [--tile T] > experiments/results/pruning-accuracy.md
import os from 'node:os';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../dist/src/node/runtime.js';
import { loadModel } from '../dist/src/node/models.js';
import { loadCifar10 } from '../dist/src/node/data.js';
import { pruneModel, parseMethod, reconstructPruned } from '../dist/src/prune/index.js';
import { loadCifar10Train } from '../dist/src/node/data.js';
import { compile } from '../dist/src/runtime/session.js';
import { evaluateAccuracy } from '../dist/src/analysis/accuracy.js';
import { scriptArgs } from '../scripts/script-args.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: o } = scriptArgs(import.meta.url, {
  options: {
    threads: { type: 'string', default: '1' },
    models: { type: 'string', default: 'resnet20,resnet56,mobilenetv2-cifar' },
    reconstruct: { type: 'string' },
    match: { type: 'string' },
    tile: { type: 'string' },
  },
});
const threads = Number(o.threads);
const models = o.models.split(',');
const dataFile = join(root, '..', 'shared', 'data', 'cifar10', 'test_batch.bin');
if (!existsSync(dataFile)) { console.error(`needs ${dataFile}`); process.exit(1); }
const data = loadCifar10(dataFile);
const reconstruct = o.reconstruct ? Number(o.reconstruct) : undefined;
const match = o.match ? new RegExp(o.match) : undefined;
const tile = o.tile ? Number(o.tile) : undefined;
const train = reconstruct ? loadCifar10Train(join(root, '..', 'shared', 'data', 'cifar10'), reconstruct) : undefined;
const top1 = async (model) => {
  const s = await compile(model, { backend: 'wasm', threads });
  const r = await evaluateAccuracy(s, data, model.metadata.preprocessing, { batchSize: 100 });
  s.dispose();
  return r;
};
const pct = (r) => `${r.correct}/${r.images} (${(r.top1 * 100).toFixed(2)}%)`;

const CONFIGS = {
  resnet20: [['dense'], ['colnm:2:4'], ['nm:2:4'], ['unstructured:0.5'], ['colnm:1:4'], ['nm:1:4'], ['unstructured:0.75']],
  resnet56: [['dense'], ['colnm:2:4'], ['nm:2:4'], ['unstructured:0.5'], ['colnm:1:4']],
  'mobilenetv2-cifar': [['dense'],
    ...[0.5, 0.7].flatMap((r) => [[`dcp:${r}`], [`dcp-b:${r}`], [`dcp-bh:${r}`], [`channel:${r}`], [`dcp:${r}`, 0.3], [`dcp-b:${r}`, 0.3], [`dcp-bh:${r}`, 0.3]])],
};

const rows = [];
for (const name of models) {
  const base = loadModel(name, { onWarning: (m) => console.error(m) });
  if (!/pretrained/.test(base.metadata.source ?? '')) { console.error(`${name}: no pretrained weights, skipped`); continue; }
  for (const [spec, pw] of CONFIGS[name]) {
    if (match && spec !== 'dense' && !match.test(spec + (pw ? ` + PW ${pw}` : ''))) continue;
    const t0 = Date.now();
    let model = base, report;
    const tiled = tile !== undefined && spec.startsWith('colnm');
    if (spec !== 'dense') ({ model, report } = pruneModel(base, parseMethod(spec), { ...(pw ? { pw } : {}), ...(tiled ? { tile } : {}) }));
    const r = await top1(model);
    const seconds = (Date.now() - t0) / 1000;
    let rec = '', recTime = '';
    if (reconstruct && spec !== 'dense') {
      const t1 = Date.now();
      const refit = (await reconstructPruned(base, model, train, base.metadata.preprocessing, { images: reconstruct, threads })).model;
      recTime = `${((Date.now() - t1) / 1000).toFixed(0)} s`;
      rec = pct(await top1(refit));
    }
    const dcp = report?.layers.filter((l) => l.deprune) ?? [];
    const imb = dcp.length ? (dcp.reduce((a, l) => a + l.deprune.imbalance, 0) / dcp.length).toFixed(3) : '';
    const row = `| ${name} | ${spec}${tiled ? ` tile ${tile}` : ''}${pw ? ` + PW ${pw}` : ''} | ${pct(r)} | ${reconstruct ? `${rec} | ` : ''}${report ? (report.totalSparsity * 100).toFixed(1) + '%' : '0%'} | ${((report?.macsAfter ?? 0) / 1e6 || '').toString().slice(0, 6)} | ${imb} | ${seconds.toFixed(0)} s |${reconstruct ? ` ${recTime} |` : ''}`;
    rows.push(row);
    console.error(row);
  }
}
console.log(`# Pruned-model accuracy on CIFAR-10 (no fine-tuning)

- date: ${new Date().toISOString()}
- machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}
- command: \`node experiments/pruning-accuracy.mjs ${process.argv.slice(2).join(' ')}\`
- data: ../shared/data/cifar10/test_batch.bin, all 10,000 test images (JPEG-decoded pixels: dense accuracy is ~10 points below published; compare rows with each other)
- sparsity: conv/Gemm weights zero or removed, whole model (first conv and classifier are kept dense by colnm/nm/unstructured)
- MACs after: effective MACs per image at batch 1, counting only non-zero weights (millions)
- imbalance: DEPrune layers' mean of (target ratio − smallest sub-GEMM ratio), sub-GEMM width 32, hardware tile 4${reconstruct ? `
- reconstructed: the same pruned model after least-squares reconstruction of its kept weights (\`prune --reconstruct ${reconstruct}\`: the first ${reconstruct} training images of data_batch_1.bin, ridge 1%, 128 rows per unknown); still no training` : ''}

| model | method | top-1 | ${reconstruct ? 'reconstructed top-1 | ' : ''}sparsity | MACs after (M) | imbalance | time |${reconstruct ? ' reconstruction time |' : ''}
|---|---|---|---|---|---|---|${reconstruct ? '---|---|' : ''}
${rows.join('\n')}
`);
