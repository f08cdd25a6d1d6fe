/** Mixup for distillation (function matching): the mixing itself, and that teacher and student see the same mixed batch. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import { loadCifar10 } from '../src/node/data.js';
import { loadModel } from '../src/node/models.js';
import { compile } from '../src/runtime/session.js';
import { epochOrder, mixBatch, mixSeed, NO_AUGMENTATION } from '../src/train/data.js';
import { finetune, sessionTeacher, type Teacher } from '../src/train/finetune.js';
import { createTrainer } from '../src/train/trainer.js';
import { Rng } from '../src/zoo/rng.js';
import { BUNDLED_IMAGES } from './helpers.js';

/** For mixed image `out`, the (partner j, weight λ) with out = λ·x_i + (1 − λ)·x_j, or undefined. */
function decompose(x: Float32Array, per: number, i: number, out: Float32Array): { j: number; lam: number } | undefined {
  const batch = x.length / per;
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-5 * (1 + Math.abs(b));
  const same = (a: number, b: number): boolean => { for (let k = 0; k < per; k++) if (!close(a === -1 ? out[i * per + k]! : x[a * per + k]!, x[b * per + k]!)) return false; return true; };
  if (same(-1, i)) return { j: i, lam: 1 };
  for (let j = 0; j < batch; j++) {
    if (j === i) continue;
    const lam = (out[i * per]! - x[j * per]!) / (x[i * per]! - x[j * per]!);
    if (!(lam >= -1e-6 && lam <= 1 + 1e-6)) continue;
    let ok = true;
    for (let k = 0; k < per && ok; k++) ok = close(out[i * per + k]!, lam * x[i * per + k]! + (1 - lam) * x[j * per + k]!);
    if (ok) return { j, lam };
  }
  return undefined;
}

describe('mixBatch', () => {
  it('makes every image a convex mix of itself and a partner, partners in pairs (one left alone in an odd batch), and replays from its seed', () => {
    const batch = 7, per = 24;
    const r = new Rng(5);
    const x = Float32Array.from({ length: batch * per }, () => r.normal());
    const out = Float32Array.from(x);
    mixBatch(out, batch, new Rng(11));
    const partners: number[] = [];
    let moved = 0;
    for (let i = 0; i < batch; i++) {
      const d = decompose(x, per, i, out);
      assert.ok(d !== undefined, `image ${i} is not a mix of two images of the batch`);
      partners.push(d.j);
      if (d.j !== i && d.lam < 0.99) moved++;
    }
    // Pairs: each image's partner has it as partner; exactly one image of the odd batch is alone.
    for (let i = 0; i < batch; i++) assert.equal(partners[partners[i]!], i, `partners ${partners.join(',')}`);
    assert.equal(partners.filter((j, i) => j === i).length, 1, `partners ${partners.join(',')}`);
    assert.ok(moved >= 3, `${moved} of ${batch} images changed noticeably`);
    const again = Float32Array.from(x);
    mixBatch(again, batch, new Rng(11));
    assert.deepEqual(again, out);
    const other = Float32Array.from(x);
    mixBatch(other, batch, new Rng(12));
    assert.notDeepEqual(other, out);
    assert.throws(() => mixBatch(new Float32Array(10), 3, new Rng(1)), /10 values are not 3 images/);
  });
});

describe('finetune with mixup', () => {
  it('teacher and student see the same mixed batch (a model distilled from itself starts at zero loss), and mixup needs alpha 1', async () => {
    const model = loadModel('resnet20');
    const pre = model.metadata.preprocessing!;
    const data = loadCifar10(BUNDLED_IMAGES, 16);
    const distill = { alpha: 1, temperature: 4 };
    const student = await createTrainer(model, { batch: 8, distill, augmentation: NO_AUGMENTATION });
    const session = await compile(model, { backend: 'wasm' });
    const inner = sessionTeacher(session);
    const seen: Float32Array[] = [];
    const teacher: Teacher = async (x, shape, out, f) => { seen.push(Float32Array.from(x)); await inner(x, shape, out, f); };
    const losses: number[] = [];
    const cfg = { epochs: 1, lr: 1e-9, warmupSteps: 0, seed: 2, distill, mixup: true };
    await finetune(student, data, pre, cfg, { maxSteps: 1, onStep: (s) => losses.push(s.loss) }, undefined, teacher);
    assert.ok(losses[0]! < 1e-6, `teacher loss of a model against itself on a mixed batch: ${losses[0]}`);
    // What the teacher saw is the batch of step 1 mixed: replay the unmixed batch and decompose.
    const plain = await createTrainer(model, { batch: 8, augmentation: NO_AUGMENTATION });
    const order = epochOrder(16, 2, 0);
    plain.loadBatch(data, order.subarray(0, 8), pre, new Rng(mixSeed(2, 0, 0)));
    const x = Float32Array.from(plain.inputView);
    assert.notDeepEqual(seen[0], x, 'the teacher saw a mixed batch, not the plain one');
    const per = x.length / 8;
    for (let i = 0; i < 8; i++) assert.ok(decompose(x, per, i, seen[0]!) !== undefined, `teacher image ${i} is a mix of the batch's images`);
    // State of a mixup run does not resume a run without it.
    let state: Uint8Array | undefined;
    await finetune(student, data, pre, cfg, { maxSteps: 1, saveState: (s) => (state = s) }, undefined, teacher);
    await assert.rejects(finetune(student, data, pre, { ...cfg, mixup: false }, {}, state, teacher), /state file was written by a different run/);
    await assert.rejects(finetune(student, data, pre, { epochs: 1, lr: 0.01, warmupSteps: 0, seed: 2, mixup: true }), /mixup mixes images but not labels: it needs pure distillation .*got no distillation/);
    const soft = { alpha: 0.7, temperature: 4 };
    const mixed = await createTrainer(model, { batch: 8, distill: soft });
    await assert.rejects(finetune(mixed, data, pre, { ...cfg, distill: soft }, {}, undefined, teacher), /mixup mixes images but not labels: it needs pure distillation .*got alpha 0\.7/);
    mixed.dispose();
    plain.dispose();
    student.dispose();
    session.dispose();
  });
});
