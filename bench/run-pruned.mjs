#!/usr/bin/env node
// Pruned models on the sparse kernels vs the same weights on our dense kernels (ratios.dense) and vs
// onnxruntime-node running the model (its zeros included) natively, in one process run each.
// Usage: node bench/run-pruned.mjs [--model resnet50] [--threads 2] [--specs colnm:2:4,colnm:1:4,colnm:1:8] [--runs 10]
import { execFileSync } from 'node:child_process';
import { scriptArgs } from '../scripts/script-args.mjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { freeResultPath } from './results-file.mjs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'sparsecnn.js');
const { values: parsed } = scriptArgs(import.meta.url, { options: { model: { type: 'string' }, threads: { type: 'string' }, runs: { type: 'string' }, specs: { type: 'string' } } });
const arg = (k, d) => parsed[k.slice(2)] ?? d;
const model = arg('--model', 'resnet50');
const threads = arg('--threads', '2');
const runs = arg('--runs', '10');
const specs = arg('--specs', 'colnm:2:4,colnm:1:4,colnm:1:8').split(',');
const tmp = mkdtempSync(join(os.tmpdir(), 'sparsecnn-pruned-'));
const sh = (args) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const rows = [];
const cmds = [];
for (const spec of specs) {
  const file = join(tmp, `${model}-${spec.replace(/:/g, '_')}.onnx`);
  const p = JSON.parse(sh(['prune', model, '--method', spec, '-o', file, '--json']));
  const args = ['bench', file, '--threads', threads, '--runs', runs, '--warmup', '10', '--vs', 'onnxruntime-node', '--json'];
  cmds.push(`sparsecnn prune ${model} --method ${spec} -o F.onnx && sparsecnn ${args.slice(0, 1).join(' ')} F.onnx ${args.slice(2).join(' ')}`);
  const b = JSON.parse(sh(args));
  const e = Object.fromEntries(b.engines.map((x) => [x.name, x]));
  const sparseLayers = e.sparsecnn.kernels.filter((k) => k.kernel.startsWith('conv2d_colnm')).length;
  rows.push(`| ${spec} | ${(p.totalSparsity * 100).toFixed(1)}% | ${sparseLayers} | ${e.sparsecnn.medianMs.toFixed(1)} | ${e['sparsecnn-dense'].medianMs.toFixed(1)} | **${b.ratios.dense.toFixed(2)}x** | ${e['onnxruntime-node'].medianMs.toFixed(1)} | ${b.ratios['onnxruntime-node'].toFixed(2)} |`);
  console.error(rows[rows.length - 1]);
}
const out = freeResultPath(join(root, 'bench', 'results'), `pruned-${model}-${new Date().toISOString().slice(0, 10)}`);
writeFileSync(out, `# ${model}, pruned, on the sparse kernels

- date: ${new Date().toISOString()}
- machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}; load average at start ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}
- command: \`node bench/run-pruned.mjs --model ${model} --threads ${threads} --runs ${runs} --specs ${specs.join(',')}\`, i.e. for each spec:
${cmds.map((c) => `  - \`${c}\``).join('\n')}
- batch 1, ${threads} threads for every engine; median of ${runs} runs after 10 warm-up runs; colnm on every conv but the first (and not the classifier)
- sparse/dense: the same pruned weights on our dense kernels (pattern metadata dropped) over the sparse time
- onnxruntime-node runs the exported ONNX file (dense model with its zeros) natively (MLAS, AVX-512); ratio above 1 = sparsecnn faster

| method | weights zero | layers on conv2d_colnm | sparse ms | dense kernels ms | sparse vs dense | onnxruntime-node ms | vs onnxruntime-node |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`);
console.error(`wrote ${out}`);
