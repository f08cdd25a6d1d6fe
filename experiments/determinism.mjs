#!/usr/bin/env node
/**
 * Training determinism across runs and thread counts: trains the same model with the same seed for
 * STEPS steps once per entry of THREADS (in one process, one trainer after another) and prints a
 * SHA-256 of the weights each time, then the first step whose loss differs between runs.
 *
 *   node experiments/determinism.mjs [THREADS=1,2,2] [STEPS=40] [MODEL=resnet20] [kd|nokd]
 *
 * Every line should show the same hash. On 2026-12-07 (2-vCPU AMD EPYC, two 1-thread training runs
 * beside it) `2,2` twice gave a second run that left the first at step 27 (and at another step the
 * next time): a kernel worker woken by a late notify ran a job twice (fixed in
 * src/runtime/wasm/worker-main.ts; experiments/thread-stress.mjs found it). Needs `npm run build`
 * and ../shared/data.
 */
import { createHash } from 'node:crypto';
import '../dist/src/node/runtime.js';
import { loadModel } from '../dist/src/node/models.js';
import { loadCifar10Train } from '../dist/src/node/data.js';
import { defaultCifar10Dir } from '../dist/src/node/paths.js';
import { compile } from '../dist/src/runtime/session.js';
import { finetune, sessionTeacher } from '../dist/src/train/finetune.js';
import { createTrainer } from '../dist/src/train/trainer.js';

const threadList = (process.argv[2] ?? '1,2,2').split(',').map(Number);
const steps = Number(process.argv[3] ?? 40);
const model = loadModel(process.argv[4] ?? 'resnet20');
const distill = process.argv[5] === 'kd' ? { alpha: 0.7, temperature: 4 } : undefined;
const pre = model.metadata.preprocessing;
const train = loadCifar10Train(defaultCifar10Dir(), 4096);
const runs = [];
for (const threads of threadList) {
  const t = await createTrainer(model, { batch: 64, threads, calibration: { data: train, pre }, ...(distill ? { distill } : {}) });
  const s = distill ? await compile(model, { backend: 'wasm', threads }) : undefined;
  const losses = [];
  await finetune(t, train, pre, { epochs: 4, lr: 0.01, warmupSteps: 0, seed: 1, ...(distill ? { distill } : {}) }, { maxSteps: steps, onStep: (x) => losses.push(x.loss) }, undefined, s ? sessionTeacher(s) : undefined);
  const h = createHash('sha256');
  for (const p of t.executor.params) h.update(new Uint8Array(t.executor.view(p.w).slice().buffer));
  console.log(`threads ${threads}: weights ${h.digest('hex').slice(0, 16)}`);
  runs.push(losses);
  t.dispose();
  s?.dispose();
}
for (let r = 1; r < runs.length; r++) {
  const first = runs[0].findIndex((l, i) => l !== runs[r][i]);
  console.log(`run ${r + 1} vs run 1: ${first < 0 ? 'same loss at every step' : `first different loss at step ${first + 1} (${runs[r][first]} vs ${runs[0][first]})`}`);
}
