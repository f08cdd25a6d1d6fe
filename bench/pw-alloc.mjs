#!/usr/bin/env node
// Where DEPrune's PW pruning goes changes what it saves: MobileNetV2-CIFAR dense, DCP-BH 50% + uniform
// PW 30%, and DCP-BH 50% + PW 30% placed by sensitivity (--pw-alloc, budgets in MACs and in weights),
// whole-model latency on our wasm engine and in onnxruntime-node, in one process with the engines'
// runs interleaved round by round (the machine is shared: load hits every model alike).
// The allocations are read from fine-tuning rows (experiments/finetune.mjs --pw-alloc --rows FILE),
// so the timed models are the ones whose accuracy the results table gives.
// Rows written with --pw-alloc-scope all (the placement may also use the head conv and the residual
// streams) are pruned with that scope.
// Usage: node bench/pw-alloc.mjs --alloc macs=FILE.json,weights=FILE.json [--batch 1,32] [--threads 1] [--rounds 15]
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { freeResultPath } from './results-file.mjs';
import { scriptArgs } from '../scripts/script-args.mjs';
import '../dist/src/node/runtime.js';
import { modelStats } from '../dist/src/analysis/stats.js';
import { loadModel } from '../dist/src/node/models.js';
import { exportOnnx } from '../dist/src/onnx/export.js';
import { parseMethod, pruneModel } from '../dist/src/prune/index.js';
import { compile } from '../dist/src/runtime/session.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = scriptArgs(import.meta.url, {
  options: { alloc: { type: 'string' }, batch: { type: 'string', default: '1,32' }, threads: { type: 'string', default: '1' }, rounds: { type: 'string', default: '15' } },
});
const allocArg = args.alloc;
if (!allocArg) throw new Error('pass --alloc NAME=ROWS.json[,NAME=ROWS.json] (rows written by experiments/finetune.mjs --pw-alloc)');
const batches = args.batch.split(',').map(Number);
const threads = Number(args.threads);
const rounds = Number(args.rounds);
const perRound = 5;

const base = loadModel('mobilenetv2-cifar');
const method = parseMethod('dcp-bh:0.5');
const variants = [
  { name: 'dense', model: base },
  { name: 'DCP-BH 50% + PW 30% uniform', model: pruneModel(base, method, { pw: 0.3 }).model },
];
for (const part of allocArg.split(',')) {
  const [label, file] = part.split('=');
  const rows = JSON.parse(readFileSync(file, 'utf8')).rows;
  const a = rows.find((r) => r.pwAllocation)?.pwAllocation;
  if (!a) throw new Error(`${file}: no row with a pwAllocation`);
  // Rows from before --pw-alloc-scope record no scope: their allocations are over the expansion groups.
  const scope = a.scope ?? 'expansion';
  variants.push({ name: `DCP-BH 50% + PW 30% allocated (${label}${scope === 'all' ? ', placed in all PW groups' : ''})`, model: pruneModel(base, method, { pw: 0.3, pwRatios: new Map(Object.entries(a.ratios)), pwScope: scope }).model });
}
// Batch-1 MACs and parameters, counting non-zero weights only (params also count biases: close enough for a ratio).
const stats = variants.map((v) => {
  const nodes = modelStats(v.model).nodes;
  return { macs: nodes.reduce((s, n) => s + n.macs * (1 - n.sparsity), 0), params: nodes.reduce((s, n) => s + n.params * (1 - n.sparsity), 0) };
});

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const results = [];
for (const batch of batches) {
  const shape = [batch, 3, 32, 32];
  const x = new Float32Array(shape.reduce((a, b) => a * b)).map((_, i) => Math.sin(i * 0.37));
  const engines = [];
  for (const v of variants) {
    const s = await compile(v.model, { backend: 'wasm', threads });
    const o = await ort.InferenceSession.create(exportOnnx(v.model), { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const ours = async () => s.run({ input: { dtype: 'float32', shape, data: x } });
    const theirs = async () => o.run({ input: new ort.Tensor('float32', x, shape) });
    // Same answer before timing.
    const a = (await ours()).logits.data, b = (await theirs()).logits.data;
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    if (d > 1e-3) throw new Error(`${v.name}: sparsecnn and onnxruntime differ by ${d}`);
    for (let i = 0; i < 10; i++) { await ours(); await theirs(); }
    engines.push({ v, ours, theirs, t: { ours: [], theirs: [] }, dispose: () => { s.dispose(); void o.release(); } });
  }
  for (let r = 0; r < rounds; r++) {
    for (const e of engines) {
      for (const k of ['ours', 'theirs']) {
        const t0 = performance.now();
        for (let i = 0; i < perRound; i++) await e[k]();
        e.t[k].push((performance.now() - t0) / perRound);
      }
    }
  }
  for (const e of engines) e.dispose();
  results.push({ batch, rows: engines.map((e) => ({ name: e.v.name, ours: median(e.t.ours), theirs: median(e.t.theirs) })) });
  console.error(`batch ${batch}: ${results.at(-1).rows.map((r) => `${r.name} ${r.ours.toFixed(2)} / ${r.theirs.toFixed(2)} ms`).join('; ')}`);
}

const fmt = (n) => `${(n / 1e6).toFixed(1)}M`;
const table = results.map(({ batch, rows }) => {
  const dense = rows[0];
  return [
    `### batch ${batch}`,
    '',
    '| model | MACs | weights | sparsecnn ms | vs dense | onnxruntime-node ms | vs dense |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r, i) => `| ${r.name} | ${fmt(stats[i].macs)} | ${fmt(stats[i].params)} | ${r.ours.toFixed(2)} | ${(dense.ours / r.ours).toFixed(2)}x | ${r.theirs.toFixed(2)} | ${(dense.theirs / r.theirs).toFixed(2)}x |`),
    '',
  ].join('\n');
}).join('\n');
const out = freeResultPath(join(root, 'bench', 'results'), `pw-alloc-mobilenetv2-cifar-${new Date().toISOString().slice(0, 10)}`);
writeFileSync(out, `# MobileNetV2-CIFAR: uniform vs sensitivity-placed PW pruning, latency

- date: ${new Date().toISOString()}
- machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}; load average at start ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}
- command: \`node bench/pw-alloc.mjs ${process.argv.slice(2).join(' ')}\`
- ${threads} thread(s) per engine; each round times ${perRound} runs of every model on both engines in turn; medians over ${rounds} rounds (after 10 warm-up runs each)
- MACs and weights count non-zero weights only (DCP zeros included, removed channels gone)
- allocations: the per-block PW ratios recorded by the fine-tuning rows named in the command

${table}`);
console.error(`wrote ${out}`);
