/** Sensitivity-placed PW filter pruning: per-group ratios, the exact knapsack, the measured KLs and the budget. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import { batchTensor } from '../src/data/preprocess.js';
import { SparseCnnError } from '../src/errors.js';
import type { Model } from '../src/graph/ir.js';
import type { FloatTensor } from '../src/graph/tensor.js';
import { loadModel } from '../src/node/models.js';
import { choosePwRatios, chooseOptions, measurePwSensitivity } from '../src/prune/allocate.js';
import { expansionGroups, pwGroups } from '../src/prune/apply.js';
import { parseMethod, pruneModel } from '../src/prune/index.js';
import { compile } from '../src/runtime/session.js';
import { randomImages, twoInvertedResiduals } from './helpers.js';
import { Rng } from '../src/zoo/rng.js';

const shapeOf = (m: Model, conv: string): readonly number[] => m.graph.initializers.get(m.graph.nodes.find((n) => n.name === conv)!.inputs[1]!)!.shape;

describe('PW allocation: per-group ratios', () => {
  it('pwRatios prunes each named expansion group at its own ratio and the others at --pw', () => {
    const before = loadModel('mobilenetv2-cifar');
    const { model } = pruneModel(before, parseMethod('dcp-bh:0.5'), { pw: 0.3, pwRatios: new Map([['layers.1.c1', 0.5], ['layers.15.c1', 0]]) });
    assert.deepEqual(shapeOf(model, 'layers.1.c1'), [48, 16, 1, 1], 'layers.1: half of 96 filters removed');
    assert.deepEqual(shapeOf(model, 'layers.1.c3'), [24, 48, 1, 1], 'and the projection lost those inputs');
    assert.deepEqual(shapeOf(model, 'layers.15.c1'), [960, 160, 1, 1], 'layers.15 left whole');
    assert.deepEqual(shapeOf(model, 'layers.2.c1'), [144 - Math.floor(0.3 * 144), 24, 1, 1], 'unnamed groups follow --pw');
  });

  it('pwRatios alone (no --pw) prunes only the named groups; bad names and ratios are clear errors', () => {
    const before = loadModel('mobilenetv2-cifar');
    const { model } = pruneModel(before, parseMethod('dcp:0'), { pwRatios: new Map([['layers.16.c1', 0.25]]) });
    assert.deepEqual(shapeOf(model, 'layers.16.c1'), [720, 160, 1, 1]);
    assert.deepEqual(shapeOf(model, 'layers.2.c1'), [144, 24, 1, 1]);
    assert.equal(expansionGroups(before.graph).length, 17);
    const bad = (o: ReadonlyMap<string, number>, re: RegExp) => assert.throws(() => pruneModel(before, parseMethod('dcp:0'), { pwRatios: o }), (e: unknown) => e instanceof SparseCnnError && re.test(e.message));
    bad(new Map([['layers.1.c3', 0.3]]), /'layers.1.c3' is not the first source of a pointwise expansion group/);
    bad(new Map([['layers.1.c1', 1]]), /ratio of 'layers.1.c1' must be in \[0, 1\)/);
    bad(new Map([['layers.1.c1', Number.NaN]]), /must be in \[0, 1\)/);
    assert.throws(() => pruneModel(before, parseMethod('dcp:0'), { pw: 0.3, pwScope: 'most' as 'all' }), /pwScope must be expansion or all, got 'most'/);
  });

  it("pwScope 'all' adds the groups whose sources are all 1x1 convs (head conv, residual streams), never a 3x3 conv", () => {
    const mb = loadModel('mobilenetv2-cifar');
    assert.equal(pwGroups(mb.graph).length, 17);
    const all = pwGroups(mb.graph, new Set(), 'all');
    assert.equal(all.length, 25, '17 expansion groups, 7 residual streams, the head conv');
    const head = all.find((g) => g.sources[0]!.name === 'c2')!;
    assert.equal(head.channels, 1280);
    assert.deepEqual(head.sinks.map((n) => n.name), ['fc']);
    const last = all.find((g) => g.sources[0]!.name === 'layers.16.c3')!;
    assert.deepEqual(last.sources.map((n) => n.name).sort(), ['layers.16.c3', 'layers.16.sc']);
    assert.ok(!all.some((g) => g.sources.some((n) => n.name === 'c1')), 'the 3x3 stem is no pointwise conv');
    const { model } = pruneModel(mb, parseMethod('dcp:0'), { pw: 0.3, pwScope: 'all' });
    assert.deepEqual(shapeOf(model, 'c2'), [1280 - 384, 320 - 96, 1, 1], 'head filters and the 320-channel stream both lose 30%');
    assert.deepEqual(shapeOf(model, 'fc'), [10, 1280 - 384]);
    assert.deepEqual(shapeOf(model, 'layers.16.sc'), [320 - 96, 160 - 48, 1, 1]);
    assert.throws(() => pruneModel(mb, parseMethod('dcp:0'), { pwRatios: new Map([['c2', 0.5]]) }), /'c2' is not the first source of a pointwise expansion group \(pwScope expansion/);
  });

  it("removing a head or residual group's filters computes what zeroing them in the dense model computes", async () => {
    const model = twoInvertedResiduals(4);
    assert.deepEqual(pwGroups(model.graph, new Set(), 'all').map((g) => g.sources[0]!.name), ['e1', 'p1', 'e2', 'p2']);
    const { model: pruned } = pruneModel(model, parseMethod('dcp:0'), { pwScope: 'all', pwRatios: new Map([['p1', 0.5], ['p2', 0.25]]) });
    assert.deepEqual(shapeOf(pruned, 'p1'), [6, 24, 1, 1]);
    assert.deepEqual(shapeOf(pruned, 'e2'), [48, 6, 1, 1]);
    assert.deepEqual(shapeOf(pruned, 'p2'), [12, 48, 1, 1]);
    assert.deepEqual(shapeOf(pruned, 'fc'), [10, 12]);
    // The dense model with every removed filter (weight row and bias) set to zero: its channels are
    // zero everywhere downstream, so the readers' columns for them contribute nothing.
    const zeroed = new Map(model.graph.initializers);
    for (const conv of ['p1', 'p2']) {
      const node = (m: Model) => m.graph.nodes.find((n) => n.name === conv)!;
      const w = model.graph.initializers.get(node(model).inputs[1]!) as FloatTensor;
      const b = model.graph.initializers.get(node(model).inputs[2]!) as FloatTensor;
      const kept = pruned.graph.initializers.get(node(pruned).inputs[1]!) as FloatTensor;
      const k = w.data.length / w.shape[0]!;
      const rows = new Set(Array.from({ length: kept.shape[0]! }, (_, i) => Array.from(kept.data.subarray(i * k, (i + 1) * k)).join()));
      const wz = Float32Array.from(w.data);
      const bz = Float32Array.from(b.data);
      let removed = 0;
      for (let o = 0; o < w.shape[0]!; o++) {
        if (rows.has(Array.from(w.data.subarray(o * k, (o + 1) * k)).join())) continue;
        wz.fill(0, o * k, (o + 1) * k);
        bz[o] = 0;
        removed++;
      }
      assert.equal(removed, w.shape[0]! - kept.shape[0]!, `${conv}: the kept filters are dense filters`);
      zeroed.set(node(model).inputs[1]!, { ...w, data: wz });
      zeroed.set(node(model).inputs[2]!, { ...b, data: bz });
    }
    const run = async (m: Model): Promise<Float32Array> => {
      const s = await compile(m, { backend: 'ref' });
      const y = (await s.run({ input: batchTensor(randomImages(4, 2), 0, 4, model.metadata.preprocessing!) })).logits as FloatTensor;
      s.dispose();
      return y.data;
    };
    const want = await run({ ...model, graph: { ...model.graph, initializers: zeroed } });
    const got = await run(pruned);
    const dense = await run(model);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)), `logit ${i}: ${got[i]} vs ${want[i]}`);
    assert.ok(dense.some((v, i) => Math.abs(v - want[i]!) > 1e-3), 'the removed filters mattered (the check can fail)');
  });
});

describe('PW allocation: the multiple-choice knapsack', () => {
  it('equals brute force over every combination (random instances, costs saturating at the target)', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 200; trial++) {
      const groups = Array.from({ length: 1 + Math.floor(rng.next() * 5) }, () =>
        Array.from({ length: 1 + Math.floor(rng.next() * 4) }, () => ({ cost: Math.floor(rng.next() * 10), score: Math.round(rng.next() * 100) / 10 })));
      const maxCost = groups.reduce((s, g) => s + Math.max(...g.map((o) => o.cost)), 0);
      const target = Math.floor(rng.next() * (maxCost + 1));
      let best = Infinity;
      const walk = (i: number, cost: number, score: number): void => {
        if (i === groups.length) {
          if (cost >= target) best = Math.min(best, score);
          return;
        }
        for (const o of groups[i]!) walk(i + 1, cost + o.cost, score + o.score);
      };
      walk(0, 0, 0);
      const picks = chooseOptions(groups, target);
      assert.equal(picks.length, groups.length);
      const cost = picks.reduce((s, p, i) => s + groups[i]![p]!.cost, 0);
      const score = picks.reduce((s, p, i) => s + groups[i]![p]!.score, 0);
      assert.ok(cost >= target, `trial ${trial}: cost ${cost} < target ${target}`);
      assert.ok(Math.abs(score - best) < 1e-9, `trial ${trial}: score ${score} vs brute force ${best}`);
    }
  });

  it('an unreachable budget is a clear error', () => {
    assert.throws(() => chooseOptions([[{ cost: 1, score: 0 }], [{ cost: 2, score: 1 }]], 4), /no choice of ratios removes the budget \(4\); the largest reaches 3/);
  });
});

describe('PW allocation: measured sensitivity', () => {
  it('KL per group and ratio is the KL of that pruned model, and the choice meets the uniform budget with no more KL', async () => {
    const model = twoInvertedResiduals(3);
    const data = randomImages(16, 9);
    const grid = [0.25, 0.5, 0.75];
    const sens = await measurePwSensitivity(model, data, { grid, images: 16, compile: { backend: 'ref' } });
    assert.deepEqual(sens.groups.map((g) => [g.source, g.channels]), [['e1', 24], ['e2', 48]]);
    // The units: a channel of e2 carries 12 weights of e2 (input 12) and 16 of p2; at 8x8 and 4x4 pixels.
    const e2 = sens.groups.find((g) => g.source === 'e2')!;
    assert.deepEqual(e2.unit, { weights: 12 + 16, macs: 12 * 64 + 16 * 16 });
    assert.equal(sens.pwWeights, 8 * 24 + 24 * 12 + 12 * 48 + 48 * 16);

    // Recompute one candidate's KL independently.
    const probs = async (m: Model): Promise<Float64Array[]> => {
      const s = await compile(m, { backend: 'ref' });
      const y = (await s.run({ input: batchTensor(data, 0, 16, model.metadata.preprocessing!) })).logits as FloatTensor;
      s.dispose();
      return Array.from({ length: 16 }, (_, i) => {
        const z = Array.from(y.data.subarray(i * 10, i * 10 + 10));
        const m0 = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m0));
        const t = e.reduce((a, b) => a + b, 0);
        return Float64Array.from(e, (v) => v / t);
      });
    };
    const p = await probs(model);
    const q = await probs(pruneModel(model, parseMethod('dcp:0'), { pwRatios: new Map([['e2', 0.5]]) }).model);
    const kl = p.reduce((s, pi, i) => s + pi.reduce((a, v, j) => a + v * Math.log(v / q[i]![j]!), 0), 0) / 16;
    const c = e2.candidates.find((x) => x.ratio === 0.5)!;
    assert.equal(c.removed, 24);
    assert.ok(Math.abs(c.kl - kl) < 1e-6 * Math.max(1, kl), `measured ${c.kl} vs ${kl}`);
    for (const g of sens.groups) {
      assert.equal(g.candidates[0]!.kl, 0);
      for (const x of g.candidates) assert.ok(x.kl >= -1e-9 && Number.isFinite(x.kl));
    }

    for (const budget of ['weights', 'macs', 'filters'] as const) {
      const a = choosePwRatios(sens, 0.5, budget);
      const unit = budget === 'filters' ? 'filters' : budget;
      assert.ok(a.allocated[unit] >= a.uniform[unit], `${budget}: allocated ${a.allocated[unit]} < uniform ${a.uniform[unit]}`);
      assert.ok(a.allocated.kl <= a.uniform.kl + 1e-12, `${budget}: the uniform choice is feasible, so the optimum has no more KL`);
      // The ratios really prune what the allocation says.
      const { model: pruned } = pruneModel(model, parseMethod('dcp:0'), { pwRatios: a.ratios });
      for (const g of a.groups) assert.equal(shapeOf(pruned, g.source)[0], g.channels - g.chosen.removed, `${budget}: ${g.source}`);
    }
  });

  it('bad inputs are clear errors', async () => {
    const data = randomImages(4, 1);
    await assert.rejects(measurePwSensitivity(twoInvertedResiduals(1), data, { images: 8, compile: { backend: 'ref' } }), /needs 8 calibration images, the data has 4/);
    await assert.rejects(measurePwSensitivity(twoInvertedResiduals(1), data, { images: 4, grid: [1.2], compile: { backend: 'ref' } }), /grid ratios must be in \(0, 1\)/);
    await assert.rejects(measurePwSensitivity(loadModel('resnet20'), data, { images: 4 }), /no pointwise expansion group/);
  });

  it("scope 'all' measures the head and residual groups too; a classifier's columns are not PW weights", async () => {
    const model = twoInvertedResiduals(3);
    const sens = await measurePwSensitivity(model, randomImages(8, 3), { grid: [0.5], images: 8, scope: 'all', compile: { backend: 'ref' } });
    assert.equal(sens.scope, 'all');
    assert.deepEqual(sens.groups.map((g) => g.source), ['e1', 'p1', 'e2', 'p2']);
    // A channel of p2 carries its 48 input weights (4x4 pixels); fc's column is a Gemm's, not counted.
    assert.deepEqual(sens.groups.find((g) => g.source === 'p2')!.unit, { weights: 48, macs: 48 * 16 });
    // A channel of p1 carries 24 weights of p1 and 48 of e2, both at 8x8 pixels.
    assert.deepEqual(sens.groups.find((g) => g.source === 'p1')!.unit, { weights: 24 + 48, macs: (24 + 48) * 64 });
    const a = choosePwRatios(sens, 0.5, 'weights');
    assert.equal(a.scope, 'all');
    const { model: pruned } = pruneModel(model, parseMethod('dcp:0'), { pwRatios: a.ratios, pwScope: a.scope });
    for (const g of a.groups) assert.equal(shapeOf(pruned, g.source)[0], g.channels - g.chosen.removed, g.source);
  });
});
