import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import type { Model } from '../src/graph/ir.js';
import { loadModel } from '../src/node/models.js';
import { parsePlanner, simulate } from '../src/plan/index.js';
import { parseMethod } from '../src/prune/spec.js';
import { pruneModel } from '../src/prune/apply.js';
import { readPruningMetadata } from '../src/prune/metadata.js';
import { finetune, sessionTeacher } from '../src/train/finetune.js';
import { distillationLoss } from '../src/train/ops/loss.js';
import { foldBatchNorm, unfoldBatchNorm } from '../src/train/bn-unfold.js';
import { batchTensor } from '../src/data/preprocess.js';
import { compile } from '../src/runtime/session.js';
import { nchwToNhwc } from '../src/runtime/wasm/layout.js';
import { NO_AUGMENTATION } from '../src/train/data.js';
import { createTrainer, type Trainer, type TrainerOptions } from '../src/train/trainer.js';
import type { ImageBatch } from '../src/data/cifar10.js';
import { buildZooModel, zooEntry } from '../src/zoo/index.js';
import { Rng } from '../src/zoo/rng.js';
import { loadCifar10 } from '../src/node/data.js';
import { BUNDLED_IMAGES, maxAbsDiff } from './helpers.js';

/** Real images (the bundled original-pixel test images): pretrained models see what they were trained on. */
function realImages(count: number): ImageBatch {
  return loadCifar10(BUNDLED_IMAGES, count);
}

/** A seeded random batch of CIFAR-shaped images (pixels and labels), no file needed. */
function randomImages(count: number, seed: number): ImageBatch {
  const r = new Rng(seed);
  const pixels = new Uint8Array(count * 3072);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(r.next() * 256);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % 10;
  return { count, labels, pixels, height: 32, width: 32 };
}

async function trainerWithBatch(model: Model, opts: TrainerOptions, seed = 3): Promise<Trainer> {
  const t = await createTrainer(model, opts);
  const data = randomImages(opts.batch, seed);
  t.loadBatch(data, Array.from({ length: opts.batch }, (_, i) => i), model.metadata.preprocessing!, new Rng(seed), NO_AUGMENTATION);
  return t;
}

function grads(t: Trainer): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  for (const p of t.executor.params) m.set(p.name, Float32Array.from(t.executor.view(p.grad)));
  return m;
}

describe('training executor', () => {
  it('checkpointed steps give the same gradients as store-all, and the predicted peak equals the measured one', async () => {
    // The BatchNorm model checks that recomputing a segment reproduces training-mode BN exactly
    // (its batch statistics must not depend on the running statistics the first forward updated).
    for (const model of [loadModel('resnet20'), buildZooModel('resnet20', { seed: 9, batchNorm: true })]) {
      const t = await trainerWithBatch(model, { batch: 4, backend: 'wasm' });
      try {
        const chain = t.chain();
        assert.equal(chain.n, t.stageCount);
        assert.ok(chain.n >= 10, `resnet20 has ${chain.n} stages`);
        const ref = t.executor.step([]);
        const g0 = grads(t);
        assert.equal(ref.peakBytes, simulate(chain, []).peakBytes, 'store-all: predicted == measured');
        for (const spec of ['sqrt', 'uniform:2', 'dp', 'linear']) {
          const ck = [...parsePlanner(spec)[0]!.plan(chain)];
          const r = t.executor.step(ck);
          assert.equal(r.peakBytes, simulate(chain, ck).peakBytes, `${spec} (${ck.join(',')}): predicted == measured`);
          assert.equal(r.loss, ref.loss);
          for (const [name, g] of grads(t)) assert.deepEqual(g, g0.get(name), `${spec}: gradient of ${name}`);
        }
        const dp = parsePlanner('dp')[0]!.plan(chain);
        assert.ok(simulate(chain, [...dp]).peakBytes < ref.peakBytes, 'dp saves memory over store-all');
      } finally {
        t.dispose();
      }
    }
  });

  it('wasm gradients match the reference backend (folded model, and with BatchNorm in training mode)', async () => {
    for (const model of [loadModel('resnet20'), buildZooModel('resnet20', { seed: 7, batchNorm: true })]) {
      const a = await trainerWithBatch(model, { batch: 2, backend: 'wasm' });
      const b = await trainerWithBatch(model, { batch: 2, backend: 'ref' });
      try {
        // The second step of the wasm trainer runs on recycled memory: a gradient buffer handed out
        // unzeroed (an op's `fresh` input) that the op failed to overwrite would show here.
        a.executor.step([]);
        const ra = a.executor.step([]);
        b.executor.step([3, 6]);
        const rb = b.executor.step([3, 6]);
        assert.ok(Math.abs(ra.loss - rb.loss) < 1e-4 * Math.max(1, Math.abs(rb.loss)), `loss ${ra.loss} vs ${rb.loss}`);
        const gb = grads(b);
        for (const [name, g] of grads(a)) {
          const scale = Math.max(1e-3, ...Array.from(gb.get(name)!, Math.abs));
          assert.ok(maxAbsDiff(g, gb.get(name)!) / scale < 2e-3, `${model.metadata.source}: ${name}: wasm vs ref`);
        }
        for (const name of b.program.buffers) assert.ok(maxAbsDiff(a.executor.buffer(name)!, b.executor.buffer(name)!) < 1e-4, `${name}: running statistics`);
      } finally {
        a.dispose();
        b.dispose();
      }
    }
  });

  it('threads give bit-identical gradients and running statistics (folded model and training-mode BatchNorm)', async () => {
    for (const model of [loadModel('resnet20'), buildZooModel('resnet20', { seed: 9, batchNorm: true })]) {
      const a = await trainerWithBatch(model, { batch: 8, backend: 'wasm', threads: 1 });
      const b = await trainerWithBatch(model, { batch: 8, backend: 'wasm', threads: 2 });
      try {
        a.executor.step([]);
        b.executor.step([4]);
        const gb = grads(b);
        for (const [name, g] of grads(a)) assert.deepEqual(g, gb.get(name), name);
        for (const name of a.program.buffers) assert.deepEqual(a.executor.buffer(name), b.executor.buffer(name), `${name}: running statistics`);
      } finally {
        a.dispose();
        b.dispose();
      }
    }
  });

  it('refreshStatistics with average: the running statistics are the exact mean of the batches\' statistics, the old ones gone', async () => {
    const model = buildZooModel('resnet20', { seed: 6, batchNorm: true });
    const pre = model.metadata.preprocessing!;
    const batch = 4;
    const data = realImages(3 * batch);
    const part = (k: number): ImageBatch => ({ ...data, count: batch, labels: data.labels.subarray(k * batch, (k + 1) * batch), pixels: data.pixels.subarray(k * batch * 3072, (k + 1) * batch * 3072) });
    const t = await trainerWithBatch(model, { batch, backend: 'wasm' });
    try {
      const names = t.program.buffers;
      const stats = (): Float32Array[] => names.map((n) => Float32Array.from(t.executor.buffer(n)!));
      // One batch with average: that batch's statistics alone, whatever was there before.
      const one: Float32Array[][] = [];
      for (let k = 0; k < 3; k++) {
        t.refreshStatistics(part(k), pre, 1, { average: true });
        one.push(stats());
      }
      for (const b of t.program.buffers) t.executor.buffer(b)!.fill(7);
      t.refreshStatistics(data, pre, 3, { average: true });
      const all = stats();
      names.forEach((n, i) => {
        const want = all[i]!.map((_, c) => (one[0]![i]![c]! + one[1]![i]![c]! + one[2]![i]![c]!) / 3);
        assert.ok(maxAbsDiff(all[i]!, want) < 1e-5 * (1 + Math.max(...want.map(Math.abs))), `${n}: ${maxAbsDiff(all[i]!, want)}`);
      });
      assert.notDeepEqual(one[0], one[1], 'different batches give different statistics');
      // The node's momentum (0.9) keeps most of the old statistics after one batch.
      t.refreshStatistics(part(0), pre, 1);
      assert.ok(maxAbsDiff(stats()[0]!, one[0]![0]!) > 1e-3);
      assert.throws(() => t.refreshStatistics(data, pre, 0), /positive whole number of batches/);
    } finally {
      t.dispose();
    }
  });

  it('BatchNorm running statistics are updated once per step, not again when a segment is recomputed', async () => {
    const model = buildZooModel('resnet20', { seed: 5, batchNorm: true });
    const bnMean = model.graph.nodes.find((n) => n.op === 'BatchNormalization')!.inputs[3]!;
    const lastBn = [...model.graph.nodes].reverse().find((n) => n.op === 'BatchNormalization')!.inputs[3]!;
    const a = await trainerWithBatch(model, { batch: 4, backend: 'wasm' });
    const b = await trainerWithBatch(model, { batch: 4, backend: 'wasm' });
    try {
      const before = Float32Array.from(a.executor.buffer(bnMean)!);
      a.chain();
      b.chain();
      assert.deepEqual(a.executor.buffer(bnMean), before, 'measuring the chain updates nothing');
      a.executor.step([]);
      const everything = [...Array(b.stageCount - 1).keys()].map((i) => i + 1);
      b.executor.step(everything); // every stage but the last is recomputed
      assert.ok(maxAbsDiff(a.executor.buffer(bnMean)!, before) > 0, 'the step updated the statistics');
      for (const name of [bnMean, lastBn]) assert.deepEqual(b.executor.buffer(name), a.executor.buffer(name), `${name}: one update`);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('pruned weights stay exactly zero through fine-tuning and the pattern record survives', async () => {
    const { model } = pruneModel(loadModel('resnet20'), parseMethod('colnm:2:4'));
    const layers = readPruningMetadata(model);
    const data = realImages(32);
    const t = await createTrainer(model, { batch: 8, backend: 'wasm', calibration: { data, pre: model.metadata.preprocessing!, images: 32 } });
    try {
      assert.ok(t.maskedParams.length >= 15, `${t.maskedParams.length} masked`);
      assert.equal(t.unfoldedBatchNorms, 19);
      await finetune(t, data, model.metadata.preprocessing!, { epochs: 1, lr: 0.05, warmupSteps: 0, seed: 2 });
      const tuned = t.trainedModel();
      assert.deepEqual(readPruningMetadata(tuned), layers);
      assert.equal(tuned.graph.nodes.filter((n) => n.op === 'BatchNormalization').length, 0, 'BatchNorm folded back');
      let changed = 0;
      for (const node of model.graph.nodes) {
        if (!(node.name in layers)) continue;
        const w0 = model.graph.initializers.get(node.inputs[1]!)!.data as Float32Array;
        const conv = tuned.graph.nodes.find((n) => n.name === node.name)!;
        const w1 = tuned.graph.initializers.get(conv.inputs[1]!)!.data as Float32Array;
        for (let i = 0; i < w0.length; i++) {
          if (w0[i] === 0) assert.equal(w1[i], 0, `${node.name}[${i}] left zero`);
          else if (w1[i] !== w0[i]) changed++;
        }
      }
      assert.ok(changed > 1000, `${changed} kept weights changed`);
    } finally {
      t.dispose();
    }
  });

  it('an interrupted run resumed from its state ends with the weights of an uninterrupted run', async () => {
    const model = loadModel('resnet20');
    const data = realImages(48);
    const cfg = { epochs: 2, lr: 0.001, warmupSteps: 1, seed: 4 };
    const full = await createTrainer(model, { batch: 8, checkpoint: 'sqrt' });
    const r = await finetune(full, data, model.metadata.preprocessing!, cfg);
    assert.equal(r.globalStep, 12);
    const first = await createTrainer(model, { batch: 8, checkpoint: 'sqrt' });
    let state: Uint8Array | undefined;
    const part = await finetune(first, data, model.metadata.preprocessing!, cfg, { maxSteps: 5, saveState: (s) => (state = s) });
    assert.equal(part.completed, false);
    first.dispose();
    const second = await createTrainer(model, { batch: 8, checkpoint: 'sqrt' });
    const rest = await finetune(second, data, model.metadata.preprocessing!, cfg, {}, state);
    assert.equal(rest.completed, true);
    const wa = full.trainedModel().graph.initializers, wb = second.trainedModel().graph.initializers;
    for (const [name, t] of wa) assert.deepEqual(wb.get(name)!.data, t.data, name);
    full.dispose();
    second.dispose();
  });

  it('distillation: the teacher sees the batch the student sees (a model distilled from itself starts at zero teacher loss)', async () => {
    const model = loadModel('resnet20');
    const data = realImages(16);
    const distill = { alpha: 1, temperature: 4 };
    const student = await createTrainer(model, { batch: 8, distill });
    const teacher = await compile(model, { backend: 'wasm' });
    // lr tiny: the step's loss is the loss of the starting weights; a layout mix-up would make it large.
    const losses: number[] = [];
    const cfg = { epochs: 1, lr: 1e-9, warmupSteps: 0, seed: 2, distill };
    await finetune(student, data, model.metadata.preprocessing!, cfg, { maxSteps: 1, onStep: (s) => losses.push(s.loss) }, undefined, sessionTeacher(teacher));
    assert.equal(losses.length, 1);
    assert.ok(losses[0]! < 1e-6, `teacher loss of a model against itself: ${losses[0]}`);
    // The check can fail: logits other than the teacher's pay a teacher term.
    const t = student.teacherLogitsView;
    const other = t.map((v, i) => v + ((i * 7) % 5) - 2);
    assert.ok(distillationLoss(other, student.labelView, t, 8, 10, distill).loss > 0.1);
    await assert.rejects(finetune(student, data, model.metadata.preprocessing!, { epochs: 1, lr: 0.01, warmupSteps: 0, seed: 2, distill }), /distillation needs a teacher/);
    student.dispose();
    teacher.dispose();
  });

  it('a teacher trained with other input statistics sees the student\'s batch in its own (sessionTeacher renormalize)', async () => {
    const teacherModel = loadModel('resnet20');
    const tPre = teacherModel.metadata.preprocessing!;
    const sPre = zooEntry('mobilenetv2-cifar').preprocessing;
    assert.notDeepEqual(sPre.mean, tPre.mean);
    const data = realImages(8);
    const session = await compile(teacherModel, { backend: 'wasm' });
    const own = await session.run({ [session.inputNames[0]!]: batchTensor(data, 0, 8, tPre) });
    const ref = own[session.outputNames[0]!]!.data;
    const student = batchTensor(data, 0, 8, sPre);
    const shape = student.shape as unknown as readonly [number, number, number, number];
    const x = new Float32Array(student.data.length);
    nchwToNhwc(student.data, shape, x);
    const got = new Float32Array(80), raw = new Float32Array(80);
    await sessionTeacher(session, { student: sPre, teacher: tPre })(x, shape, got);
    assert.ok(maxAbsDiff(got, ref) < 1e-3, `renormalised teacher vs its own preprocessing: ${maxAbsDiff(got, ref)}`);
    // The check can fail: without renormalisation the teacher sees other inputs and gives other logits.
    await sessionTeacher(session)(x, shape, raw);
    assert.ok(maxAbsDiff(raw, ref) > 0.05, `unrenormalised teacher: ${maxAbsDiff(raw, ref)}`);
    // Same statistics: nothing to map, the plain teacher.
    const same = new Float32Array(80), xt = new Float32Array(x.length);
    nchwToNhwc(batchTensor(data, 0, 8, tPre).data, shape, xt);
    await sessionTeacher(session, { student: tPre, teacher: tPre })(xt, shape, same);
    assert.deepEqual(same, ref);
    assert.throws(() => sessionTeacher(session, { student: sPre, teacher: { ...tPre, mean: [0.5], std: [0.5] } }), /normalises 1 channels, the student 3/);
    session.dispose();
  });

  it('statistics matching: a pruned model whose unfolded BNs restore the dense statistics classifies far better before any step', async () => {
    const dense = loadModel('resnet20');
    const pruned = pruneModel(dense, parseMethod('colnm:2:4')).model;
    const data = realImages(512);
    const pre = dense.metadata.preprocessing!;
    const test = realImages(400);
    const accuracy = async (m: Model): Promise<number> => {
      const s = await compile(m, { backend: 'wasm' });
      let correct = 0;
      for (let start = 0; start < test.count; start += 100) {
        const logits = (await s.run({ input: batchTensor(test, start, 100, pre) })).logits!.data;
        for (let i = 0; i < 100; i++) {
          const row = logits.subarray(i * 10, i * 10 + 10);
          if (row.indexOf(Math.max(...row)) === test.labels[start + i]) correct++;
        }
      }
      s.dispose();
      return correct / test.count;
    };
    const plain = await createTrainer(pruned, { batch: 16, calibration: { data, pre } });
    const matched = await createTrainer(pruned, { batch: 16, calibration: { data, pre, reference: dense } });
    const a = await accuracy(plain.trainedModel());
    const b = await accuracy(matched.trainedModel());
    assert.ok(Math.abs(a - (await accuracy(pruned))) < 0.01, 'plain unfolding keeps the pruned function');
    assert.ok(b > a + 0.15, `statistics matching: ${b} vs ${a} without`);
    // Pruned weights are still zero after folding back (matching rescales whole channels).
    const folded = matched.trainedModel().graph;
    const weightOf = (g: Model['graph'], node: string) => g.initializers.get(g.nodes.find((n) => n.name === node)!.inputs[1]!)!.data as Float32Array;
    for (const n of pruned.graph.nodes.filter((x) => x.op === 'Conv')) {
      const before = weightOf(pruned.graph, n.name), after = weightOf(folded, n.name);
      before.forEach((v, i) => { if (v === 0) assert.equal(after[i], 0, n.name); });
    }
    plain.dispose();
    matched.dispose();
  });

  it('BatchNorm unfolding keeps the function, and folding it back restores the structure', async () => {
    const model = loadModel('resnet20');
    const data = realImages(64);
    const pre = model.metadata.preprocessing!;
    const { model: unfolded, added } = await unfoldBatchNorm(model, data, pre, 64);
    assert.equal(added, 19);
    const folded = foldBatchNorm(unfolded);
    assert.equal(folded.graph.nodes.length, model.graph.nodes.length);
    const x = batchTensor(data, 0, 4, pre);
    const logits = async (m: Model) => {
      const s = await compile(m, { backend: 'ref' });
      const r = (await s.run({ input: x })).logits!.data;
      s.dispose();
      return r;
    };
    const ref = await logits(model);
    assert.ok(maxAbsDiff(await logits(unfolded), ref) < 1e-3);
    assert.ok(maxAbsDiff(await logits(folded), ref) < 1e-3);
  });

  it('training lowers the loss on a fixed batch', async () => {
    const t = await trainerWithBatch(buildZooModel('resnet20', { seed: 2, batchNorm: true }), { batch: 16, backend: 'wasm', checkpoint: 'linear' });
    try {
      const first = t.step(0.05).loss;
      let last = first;
      for (let i = 0; i < 15; i++) last = t.step(0.05).loss;
      assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
    } finally {
      t.dispose();
    }
  });

  it('refuses bad input with clear errors', async () => {
    await assert.rejects(createTrainer(loadModel('resnet20'), { batch: 0 }), /batch size must be a positive integer/);
    const t = await trainerWithBatch(loadModel('resnet20'), { batch: 2 });
    try {
      assert.throws(() => t.executor.step([0]), /not a stage boundary/);
      assert.throws(() => t.executor.step([t.stageCount]), /not a stage boundary/);
    } finally {
      t.dispose();
    }
  });
});
