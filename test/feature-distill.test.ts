/**
 * Feature distillation: the loss term and its gradient (finite differences, alone and through a
 * whole network under every checkpoint schedule), the teacher's values arriving in the trainer's
 * layout, and the errors for values that cannot be matched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import { exposeValues } from '../src/graph/expose.js';
import type { Model } from '../src/graph/ir.js';
import { loadModel } from '../src/node/models.js';
import { loadCifar10 } from '../src/node/data.js';
import { compile } from '../src/runtime/session.js';
import { NO_AUGMENTATION } from '../src/train/data.js';
import { finetune, sessionTeacher, trainModeTeacher, type Teacher } from '../src/train/finetune.js';
import { featureLoss, type DistillationConfig } from '../src/train/ops/loss.js';
import { chainBoundaries, createTrainer, type Trainer } from '../src/train/trainer.js';
import { buildZooModel } from '../src/zoo/index.js';
import { Rng } from '../src/zoo/rng.js';
import { BUNDLED_IMAGES } from './helpers.js';

/** ResNet-20 has no BatchNorm (folded at export): training-mode values equal inference values, so a model matched against itself has a zero feature term. */
const VALUES = ['layer1.2.relu2_output', 'layer2.2.relu2_output', 'layer3.2.relu2_output', 'avgpool_output', 'flatten_output'];

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * scale);
}

async function loadedTrainer(model: Model, distill: DistillationConfig, checkpoint = 'store-all'): Promise<Trainer> {
  const t = await createTrainer(model, { batch: 2, distill, checkpoint });
  const data = loadCifar10(BUNDLED_IMAGES, 2);
  t.loadBatch(data, [0, 1], model.metadata.preprocessing!, new Rng(1), NO_AUGMENTATION);
  return t;
}

describe('feature distillation', () => {
  it('featureLoss is c·‖x − t‖²/‖t‖², adds (does not overwrite) its gradient, and the gradient equals finite differences', () => {
    const n = 37;
    const x = randomArray(n, 1), t = randomArray(n, 2);
    const c = 0.3;
    let num = 0, den = 0;
    for (let k = 0; k < n; k++) {
      num += (x[k]! - t[k]!) ** 2;
      den += t[k]! ** 2;
    }
    const prior = randomArray(n, 3);
    const dx = Float32Array.from(prior);
    const loss = featureLoss(x, t, c, dx);
    assert.ok(Math.abs(loss - (c * num) / den) < 1e-12);
    const h = 1e-3;
    for (const k of [0, 5, 36]) {
      const xp = Float32Array.from(x), xm = Float32Array.from(x);
      xp[k]! += h;
      xm[k]! -= h;
      const fd = (featureLoss(xp, t, c) - featureLoss(xm, t, c)) / (xp[k]! - xm[k]!);
      assert.ok(Math.abs(dx[k]! - prior[k]! - fd) < 1e-4 * Math.max(1, Math.abs(fd)), `d/dx[${k}]: ${dx[k]! - prior[k]!} vs ${fd}`);
    }
    assert.equal(featureLoss(t, t, c), 0);
    // A zero teacher value: plain squared error, no division by zero.
    let sq = 0;
    for (let k = 0; k < n; k++) sq += x[k]! ** 2;
    assert.ok(Math.abs(featureLoss(x, new Float32Array(n), 1) - sq) < 1e-9);
    assert.throws(() => featureLoss(x, new Float32Array(n - 1), 1), /37 elements, the teacher's 36/);
  });

  it('through a network: the step gradient equals finite differences of the step loss, under every checkpoint schedule', async () => {
    const model = loadModel('resnet20');
    // α = 1 against the model's own logits: the logit term and its gradient are zero, the feature term is all there is.
    const distill: DistillationConfig = { alpha: 1, temperature: 4, features: { weight: 2, values: VALUES } };
    const teacher = await compile(exposeValues(model, VALUES), { backend: 'wasm' });
    const stepGrads: Map<string, Float32Array>[] = [];
    for (const checkpoint of ['store-all', 'sqrt', 'linear']) {
      const t = await loadedTrainer(model, distill, checkpoint);
      await sessionTeacher(teacher)(t.inputView, [2, 3, 32, 32], t.teacherLogitsView, t.teacherFeatureViews());
      // Move the targets off the student's values so the term has a gradient.
      let k = 0;
      for (const [, v] of t.teacherFeatureViews()) {
        const noise = randomArray(v.length, 10 + k++, 0.5);
        for (let i = 0; i < v.length; i++) v[i]! += noise[i]!;
      }
      const r = t.step(0);
      assert.ok(r.featureLoss > 0.01 && Math.abs(r.loss - r.featureLoss) < 1e-6, `loss ${r.loss}, feature term ${r.featureLoss}`);
      stepGrads.push(new Map(t.executor.params.map((p) => [p.name, Float32Array.from(t.executor.view(p.grad))])));
      if (checkpoint === 'store-all') {
        // Central differences on weights of an early conv (its gradient passes every distilled value) and of the last block.
        for (const name of [t.executor.params[0]!.name, t.executor.params[t.executor.params.length - 5]!.name]) {
          const w = t.executor.param(name);
          const g = stepGrads[0]!.get(name)!;
          for (const i of [0, 7, Math.floor(w.length / 2)]) {
            const w0 = w[i]!;
            // Small steps: ReLU kinks crossed by a step bias the difference (1e-2 steps were 8% off, 1e-3 steps 2%).
            const h = 1e-3 * Math.max(0.05, Math.abs(w0));
            w[i] = w0 + h;
            const lp = t.executor.step([]).loss;
            w[i] = w0 - h;
            const lm = t.executor.step([]).loss;
            w[i] = w0;
            const fd = (lp - lm) / (2 * h);
            assert.ok(Math.abs(g[i]! - fd) <= 5e-2 * Math.abs(fd) + 2e-5, `${name}[${i}]: gradient ${g[i]} vs finite difference ${fd}`);
          }
        }
      }
      t.dispose();
    }
    // Recomputed segments give the distilled values, and so the gradients, of store-all.
    for (const [name, g] of stepGrads[0]!) {
      for (const other of stepGrads.slice(1)) assert.deepEqual(other.get(name), g, `${name}: checkpointed gradient differs`);
    }
    teacher.dispose();
  });

  it('the teacher\'s values arrive in the trainer\'s layout: a model matched against itself starts at a zero feature term', async () => {
    const model = loadModel('resnet20');
    const distill: DistillationConfig = { alpha: 0.5, temperature: 4, features: { weight: 1, values: VALUES } };
    const data = loadCifar10(BUNDLED_IMAGES, 8);
    const teacher = await compile(exposeValues(model, VALUES), { backend: 'wasm' });
    const terms: number[] = [];
    const student = await createTrainer(model, { batch: 4, distill });
    await finetune(student, data, model.metadata.preprocessing!, { epochs: 1, lr: 1e-9, warmupSteps: 0, seed: 2, distill }, { maxSteps: 1, onStep: (s) => terms.push(s.featureLoss) }, undefined, sessionTeacher(teacher));
    assert.equal(terms.length, 1);
    assert.ok(terms[0]! < 1e-9, `feature term of a model against itself: ${terms[0]}`);
    // The check can fail: a teacher with other weights leaves a term.
    const init = new Map(model.graph.initializers);
    const first = student.program.params[0]!.name;
    init.set(first, { ...init.get(first)!, data: (init.get(first)!.data as Float32Array).map((v) => v * 1.5) } as never);
    const other = await compile(exposeValues({ ...model, graph: { ...model.graph, initializers: init } }, VALUES), { backend: 'wasm' });
    const moved: number[] = [];
    await finetune(student, data, model.metadata.preprocessing!, { epochs: 1, lr: 1e-9, warmupSteps: 0, seed: 2, distill }, { maxSteps: 1, onStep: (s) => moved.push(s.featureLoss) }, undefined, sessionTeacher(other));
    assert.ok(moved[0]! > 1e-3, `feature term against another teacher: ${moved[0]}`);
    // Settings that differ from the trainer's are refused (a resumed run must train the same terms).
    await assert.rejects(finetune(student, data, model.metadata.preprocessing!, { epochs: 1, lr: 0.01, warmupSteps: 0, seed: 2, distill: { ...distill, features: { weight: 3, values: VALUES } } }, {}, undefined, sessionTeacher(teacher)), /other distillation settings/);
    // A teacher compiled without the values says how to get them.
    const plain = await compile(model, { backend: 'wasm' });
    await assert.rejects(finetune(student, data, model.metadata.preprocessing!, { epochs: 1, lr: 0.01, warmupSteps: 0, seed: 2, distill }, { maxSteps: 1 }, undefined, sessionTeacher(plain)), /no output 'layer1.2.relu2_output'.*exposeValues/);
    for (const s of [teacher, other, plain]) s.dispose();
    student.dispose();
  });

  it('a training-mode teacher sees a batch as the student does: a BatchNorm model matched against itself starts at zero, an inference-mode teacher does not', async () => {
    const model = buildZooModel('resnet20', { seed: 9, batchNorm: true });
    const values = chainBoundaries(model).filter((v) => /relu/.test(v)).slice(-4);
    assert.equal(values.length, 4);
    const distill: DistillationConfig = { alpha: 1, temperature: 4, features: { weight: 1, values } };
    const data = loadCifar10(BUNDLED_IMAGES, 8);
    const pre = model.metadata.preprocessing!;
    const cfg = { epochs: 1, lr: 1e-9, warmupSteps: 0, seed: 2, distill };
    const firstStep = async (teacher: Teacher): Promise<{ loss: number; featureLoss: number }> => {
      const student = await createTrainer(model, { batch: 4, distill });
      const got: { loss: number; featureLoss: number }[] = [];
      // Augmented batches (the default): padding shifts the batch statistics away from the running ones.
      await finetune(student, data, pre, cfg, { maxSteps: 1, onStep: (s) => got.push({ loss: s.loss, featureLoss: s.featureLoss }) }, undefined, teacher);
      student.dispose();
      return got[0]!;
    };
    const train = await trainModeTeacher(model, { batch: 4, calibration: { data, pre } });
    const same = await firstStep(train.teach);
    assert.ok(same.featureLoss < 1e-9 && same.loss < 1e-6, `against itself in training mode: loss ${same.loss}, feature term ${same.featureLoss}`);
    const session = await compile(exposeValues(model, values), { backend: 'wasm' });
    const inference = await firstStep(sessionTeacher(session));
    assert.ok(inference.featureLoss > 1e-3, `against itself in inference mode: feature term ${inference.featureLoss}`);
    // The wrong batch size is refused, not read past.
    await assert.rejects(train.teach(new Float32Array(2 * 3072), [2, 3, 32, 32], new Float32Array(20)), /batches of 4, got 2/);
    train.dispose();
    session.dispose();
  });

  it('refuses values it cannot match, naming them', async () => {
    const model = loadModel('resnet20');
    const boundaries = chainBoundaries(model);
    assert.ok(VALUES.every((v) => boundaries.includes(v)));
    assert.ok(!boundaries.includes('logits'), 'the output is not a boundary');
    // Inside a residual block: not a boundary of the chain (two values are live there).
    await assert.rejects(createTrainer(model, { batch: 2, distill: { alpha: 0.5, temperature: 4, features: { weight: 1, values: ['layer1.0.relu1_output'] } } }), /'layer1.0.relu1_output' is not a boundary/);
    await assert.rejects(createTrainer(model, { batch: 2, distill: { alpha: 0.5, temperature: 4, features: { weight: 1, values: ['logits'] } } }), /'logits' is not a boundary/);
    await assert.rejects(createTrainer(model, { batch: 2, distill: { alpha: 0.5, temperature: 4, features: { weight: 0, values: VALUES } } }), /positive weight/);
    await assert.rejects(createTrainer(model, { batch: 2, distill: { alpha: 0.5, temperature: 4, features: { weight: 1, values: [] } } }), /at least one value/);
    assert.throws(() => exposeValues(model, ['no.such.value']), /has no value 'no.such.value'/);
    const plain = await createTrainer(model, { batch: 2 });
    assert.throws(() => plain.teacherFeatureViews(), /without feature distillation/);
    plain.dispose();
  });
});
