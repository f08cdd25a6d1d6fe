#!/usr/bin/env node
/**
 * Hunts thread races in the training kernels: a 1-thread and an N-thread trainer of the same model
 * get the same batches; after each step every parameter gradient, weight and BatchNorm running
 * statistic is compared bit for bit. On a difference it prints the first differing gradient in
 * backward order (the kernel to suspect), copies the 1-thread state into the other and goes on.
 *
 *   node experiments/thread-stress.mjs [STEPS=200] [MODEL=resnet20] [THREADS=2] [CHECKPOINT=store-all]
 *   TRACE=1 node experiments/thread-stress.mjs …   also hashes every op's outputs and input gradients
 *                                                  and names the first op whose results differ
 *
 * Races show on an oversubscribed machine: run two of these beside other work. 2026-12-07, 2-vCPU
 * AMD EPYC, two of these beside a 1-thread training run: before the fix in
 * src/runtime/wasm/worker-main.ts, 4 steps of about 2,300 differed (TRACE named a conv's weight
 * gradient, exactly doubled on the worker's half: the worker ran a job twice after a late notify);
 * after it, 0 of 1,500 (700 beside the training run, 800 beside a CPU burner; and
 * `determinism.mjs 2,2,2 60` agreed).
 */
import '../dist/src/node/runtime.js';
import { loadModel } from '../dist/src/node/models.js';
import { loadCifar10Train } from '../dist/src/node/data.js';
import { defaultCifar10Dir } from '../dist/src/node/paths.js';
import { createTrainer } from '../dist/src/train/trainer.js';
import { epochOrder } from '../dist/src/train/data.js';
import { Rng } from '../dist/src/zoo/rng.js';

const steps = Number(process.argv[2] ?? 200);
const model = loadModel(process.argv[3] ?? 'resnet20');
const threads = Number(process.argv[4] ?? 2);
const checkpoint = process.argv[5] ?? 'store-all';
const pre = model.metadata.preprocessing;
const train = loadCifar10Train(defaultCifar10Dir(), 4096);
const mk = (th) => createTrainer(model, { batch: 64, threads: th, checkpoint, calibration: { data: train, pre } });
const a = await mk(1);
const b = await mk(threads);
// Per step, a hash of every tensor each op wrote (forward outputs, backward input gradients), in order.
const hash32 = (x) => {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 0x01000193);
  return h >>> 0;
};
const trace = (t) => {
  const log = [];
  for (const pn of t.program.nodes) {
    const op = pn.op, name = pn.node.name || pn.node.outputs[0];
    const w = { ...op };
    const rec = (kind, arr) => log.push(`${kind} ${name}: ${arr.map((x) => (x === undefined ? '-' : hash32(x).toString(16))).join(' ')}`);
    w.forward = (x) => { op.forward(x); rec('fwd', x.outputs); };
    if (op.backward) w.backward = (x) => { op.backward(x); rec('bwd', x.dInputs); };
    if (op.backwardInPlace) w.backwardInPlace = (x) => { op.backwardInPlace(x); rec('bwd-inplace', x.dInputs); };
    pn.op = w;
  }
  return log;
};
const traceA = process.env.TRACE ? trace(a) : undefined, traceB = traceA ? trace(b) : undefined;
/** Indices where x and y differ bit for bit (at most 24). */
const where = (x, y) => {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length), v = new Uint32Array(y.buffer, y.byteOffset, y.length);
  const out = [];
  for (let i = 0; i < u.length && out.length < 24; i++) if (u[i] !== v[i]) out.push(i);
  return out;
};
let bad = 0;
const order = epochOrder(train.count, 1, 0);
for (let s = 0; s < steps; s++) {
  const idx = order.subarray(((s * 64) % (train.count - 64)), ((s * 64) % (train.count - 64)) + 64);
  if (traceA) { traceA.length = 0; traceB.length = 0; }
  a.loadBatch(train, idx, pre, new Rng(s));
  b.loadBatch(train, idx, pre, new Rng(s));
  const ra = a.step(0.01), rb = b.step(0.01);
  const diffs = [];
  const pa = a.executor.params, pb = b.executor.params;
  for (let k = pa.length - 1; k >= 0; k--) {
    const ga = a.executor.view(pa[k].grad), gb = b.executor.view(pb[k].grad);
    const at = where(ga, gb);
    if (at.length > 0) diffs.push(`grad ${pa[k].name} (${ga.length}) at [${at.join(',')}] (${ga[at[0]]} vs ${gb[at[0]]})`);
  }
  const sa = a.stateArrays(), sb = b.stateArrays();
  for (const [name, x] of sa) if (!name.startsWith('param:') && !name.startsWith('grad:') && where(x, sb.get(name)).length > 0) diffs.push(name);
  if (diffs.length > 0 || ra.loss !== rb.loss) {
    bad++;
    console.log(`step ${s}: loss ${ra.loss} vs ${rb.loss}; ${diffs.length} differing tensors, first: ${diffs.slice(0, 3).join('; ')}`);
    if (traceA) {
      const k = traceA.findIndex((l, i) => l !== traceB[i]);
      console.log(`  first differing op output (of ${traceA.length}): #${k}\n    1 thread: ${traceA[k]}\n    ${threads} threads: ${traceB[k]}\n    before: ${traceA[k - 1]}`);
    }
    b.loadStateArrays(sa);
  }
  if (s % 50 === 49) console.log(`${s + 1} steps, ${bad} with a difference`);
}
console.log(`done: ${steps} steps, ${bad} with a difference${traceA ? ` (${traceA.length} op outputs traced in the last step)` : ""}`);
a.dispose();
b.dispose();
