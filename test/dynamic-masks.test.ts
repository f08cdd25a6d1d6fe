/** Dynamic masks (SR-STE) on colnm layers: the pattern holds after every step, rows move, the decay is exact, resume is exact. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import type { Model } from '../src/graph/ir.js';
import { loadModel } from '../src/node/models.js';
import { pruneModel } from '../src/prune/apply.js';
import { readPruningMetadata } from '../src/prune/metadata.js';
import { parseMethod } from '../src/prune/spec.js';
import { NO_AUGMENTATION } from '../src/train/data.js';
import { finetune } from '../src/train/finetune.js';
import { createTrainer, type Trainer } from '../src/train/trainer.js';
import { Rng } from '../src/zoo/rng.js';
import { loadCifar10 } from '../src/node/data.js';
import { BUNDLED_IMAGES, densestColNmGroup } from './helpers.js';

const dense = loadModel('resnet20');
const pruned = pruneModel(dense, parseMethod('colnm:2:4')).model;
const pre = dense.metadata.preprocessing!;
const images = loadCifar10(BUNDLED_IMAGES, 48);

/** Weight name → (OC, Cin, kh, kw) of every colnm conv of the pruned model. */
function colnmWeights(m: Model): Map<string, readonly number[]> {
  const layers = readPruningMetadata(m);
  const out = new Map<string, readonly number[]>();
  for (const n of m.graph.nodes) if (n.op === 'Conv' && layers[n.name]?.pattern === 'colnm') out.set(n.inputs[1]!, m.graph.initializers.get(n.inputs[1]!)!.shape);
  return out;
}

function loadBatch(t: Trainer, seed: number): void {
  t.loadBatch(images, Array.from({ length: 8 }, (_, i) => (i + seed * 8) % images.count), pre, new Rng(seed), NO_AUGMENTATION);
}

describe('dynamic masks (sparse-refined straight-through)', () => {
  it('start from the dense weights with the one-shot mask; every step keeps 2:4 per tile while kept rows move', async () => {
    const t = await createTrainer(pruned, { batch: 8 });
    try {
      assert.equal(t.startDynamicMasks({ dense }), colnmWeights(pruned).size);
      assert.ok(t.dynamicMasksActive);
      // Forward weights = the pruned model's (the same l2 mask on the same dense weights).
      for (const name of colnmWeights(pruned).keys()) assert.deepEqual(t.executor.param(name), pruned.graph.initializers.get(name)!.data, name);
      let moved = 0;
      for (let s = 0; s < 6; s++) {
        loadBatch(t, s);
        t.step(0.5);
        moved += t.refreshMasks();
        for (const [name, shape] of colnmWeights(pruned)) assert.ok(densestColNmGroup(t.executor.param(name), shape) <= 2, `${name} after step ${s}`);
      }
      // Straight-through: pruned entries of the dense weights got updates, and some rows changed sides.
      assert.ok(moved > 0, 'no mask changed under a large learning rate');
      t.fixMasks();
      assert.ok(!t.dynamicMasksActive);
      const before = new Map([...colnmWeights(pruned).keys()].map((n) => [n, Float32Array.from(t.executor.param(n))]));
      loadBatch(t, 9);
      t.step(0.5);
      for (const [name, w0] of before) {
        const w1 = t.executor.param(name);
        for (let i = 0; i < w0.length; i++) if (w0[i] === 0) assert.equal(w1[i], 0, `${name}[${i}] left zero after fixMasks`);
      }
      // The exported model keeps the record and a valid pattern.
      const out = t.trainedModel();
      assert.deepEqual(readPruningMetadata(out), readPruningMetadata(pruned));
      for (const [name, shape] of colnmWeights(out)) assert.ok(densestColNmGroup(out.graph.initializers.get(name)!.data as Float32Array, shape) <= 2, name);
    } finally {
      t.dispose();
    }
  });

  it('the sparse-refined decay moves exactly the pruned dense weights, by lr·λ·w', async () => {
    const name = [...colnmWeights(pruned).keys()][3]!;
    const shadows: Float32Array[] = [];
    let mask: Float32Array | undefined;
    for (const decay of [0, 0.5]) {
      const t = await createTrainer(pruned, { batch: 8 });
      t.startDynamicMasks({ dense, decay });
      const w0 = Float32Array.from(t.stateArrays().get(`shadow:${name}`)!);
      loadBatch(t, 1);
      t.step(0.1);
      shadows.push(Float32Array.from(t.stateArrays().get(`shadow:${name}`)!));
      mask = Float32Array.from(t.stateArrays().get(`mask:${name}`)!);
      if (decay > 0) {
        let pruned0 = 0;
        for (let i = 0; i < w0.length; i++) {
          const want = mask[i] === 0 ? -0.1 * 0.5 * w0[i]! : 0;
          assert.ok(Math.abs(shadows[1]![i]! - shadows[0]![i]! - want) <= 1e-6 * (1 + Math.abs(w0[i]!)), `${name}[${i}]`);
          if (mask[i] === 0 && w0[i] !== 0) pruned0++;
        }
        assert.ok(pruned0 > 100, `${pruned0} pruned weights with a dense value`);
      }
      t.dispose();
    }
  });

  it('finetune: a run interrupted before and after the masks are fixed resumes to the weights of an uninterrupted run', async () => {
    const cfg = { epochs: 2, lr: 0.05, warmupSteps: 0, seed: 5, dynamicMasks: { steps: 7, refreshEvery: 2 } };
    const start = async (): Promise<Trainer> => {
      const t = await createTrainer(pruned, { batch: 8 });
      t.startDynamicMasks({ dense });
      return t;
    };
    const full = await start();
    const r = await finetune(full, images, pre, cfg);
    assert.equal(r.globalStep, 12);
    assert.ok(!full.dynamicMasksActive, 'masks fixed after steps');
    const want = full.trainedModel().graph.initializers;
    full.dispose();
    for (const stopAt of [5, 9]) {
      const first = await start();
      let state: Uint8Array | undefined;
      await finetune(first, images, pre, cfg, { maxSteps: stopAt, saveState: (s) => (state = s) });
      first.dispose();
      const second = await start();
      const rest = await finetune(second, images, pre, cfg, {}, state);
      assert.equal(rest.completed, true);
      const got = second.trainedModel().graph.initializers;
      for (const [name, t] of want) assert.deepEqual(got.get(name)!.data, t.data, `${name} (stopped at ${stopAt})`);
      second.dispose();
    }
  });

  it('clear errors: no colnm layer, a schedule without started masks, a wrong dense model', async () => {
    const t = await createTrainer(dense, { batch: 8 });
    assert.throws(() => t.startDynamicMasks(), /pruned with colnm/);
    await assert.rejects(finetune(t, images, pre, { epochs: 1, lr: 0.01, warmupSteps: 0, seed: 1, dynamicMasks: { steps: 2, refreshEvery: 1 } }), /startDynamicMasks/);
    t.dispose();
    const p = await createTrainer(pruned, { batch: 8 });
    assert.throws(() => p.startDynamicMasks({ dense: { ...dense, graph: { ...dense.graph, initializers: new Map() } } }), /dense model has no float32 weight/);
    assert.throws(() => p.startDynamicMasks({ decay: -1 }), /decay must be >= 0/);
    p.startDynamicMasks();
    await assert.rejects(finetune(p, images, pre, { epochs: 1, lr: 0.01, warmupSteps: 0, seed: 1 }), /no dynamicMasks schedule/);
    p.dispose();
  });
});
