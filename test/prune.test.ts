/** Pruning patterns as properties of their masks, the dependency-group surgery, specs, and ONNX round trips. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../src/node/runtime.js';
import { SparseCnnError } from '../src/errors.js';
import { loadModel } from '../src/node/models.js';
import { exportOnnx } from '../src/onnx/export.js';
import { importOnnx } from '../src/onnx/import.js';
import { colNmMask, depruneMask, magnitudeMask, parseMethod, pruneModel, readPruningMetadata, reductionNmMask, score } from '../src/prune/index.js';
import { kIndex } from '../src/prune/patterns/colnm.js';
import { compile } from '../src/runtime/session.js';
import { Rng } from '../src/zoo/rng.js';
import { maxAbsDiff, runOrt, waveInput } from './helpers.js';

const rng = new Rng(11);
const randomWeights = (n: number) => rng.normalArray(n, 1);

describe('colnm: column-wise N:M at tile level', () => {
  it('keeps the same N of every M rows across each tile, the N best by l2 within the tile (random shapes, tails)', () => {
    for (let trial = 0; trial < 60; trial++) {
      const OC = 1 + Math.floor(rng.next() * 21);
      const Cin = 1 + Math.floor(rng.next() * 13);
      const k = [1, 3][Math.floor(rng.next() * 2)]!;
      const m = [4, 8][Math.floor(rng.next() * 2)]!;
      const n = 1 + Math.floor(rng.next() * (m - 1));
      const tile = [1, 4, 8][Math.floor(rng.next() * 3)]!;
      const w = randomWeights(OC * Cin * k * k);
      const { mask, keptRows } = colNmMask(w, OC, Cin, k, k, { n, m, tile, criterion: 'l2' });
      const K = Cin * k * k;
      const at = (oc: number, kk: number) => {
        const ci = kk % Cin, tap = Math.floor(kk / Cin), ky = Math.floor(tap / k), kx = tap % k;
        assert.equal(kIndex(ci, ky, kx, Cin, k), kk);
        return ((oc * Cin + ci) * k + ky) * k + kx;
      };
      assert.equal(keptRows.length, Math.ceil(OC / tile));
      keptRows.forEach((rows, t) => {
        const t0 = t * tile, t1 = Math.min(OC, t0 + tile);
        for (let g0 = 0; g0 < K; g0 += m) {
          const g1 = Math.min(K, g0 + m);
          const want = g1 - g0 === m ? n : Math.ceil((n * (g1 - g0)) / m);
          const kept = [...rows].filter((r) => r >= g0 && r < g1);
          assert.equal(kept.length, want, `tile ${t} group ${g0}`);
          const rowScore = (r: number) => score(Array.from({ length: t1 - t0 }, (_, j) => w[at(t0 + j, r)]!), 'l2');
          const worstKept = Math.min(...kept.map(rowScore));
          for (let r = g0; r < g1; r++) if (!kept.includes(r)) assert.ok(rowScore(r) <= worstKept + 1e-6, 'a dropped row never beats a kept one');
        }
        for (let oc = t0; oc < t1; oc++) for (let kk = 0; kk < K; kk++) assert.equal(mask[at(oc, kk)], rows.includes(kk) ? 1 : 0, 'same rows for every channel of the tile');
      });
    }
  });

  it('with a tile of one channel it is exactly per-channel N:M along the reduction axis', () => {
    const w = randomWeights(16 * 12 * 9);
    assert.deepEqual(colNmMask(w, 16, 12, 3, 3, { n: 2, m: 4, tile: 1, criterion: 'l2' }).mask, reductionNmMask(w, 16, 12, 3, 3, 2, 4));
  });
});

describe('baselines', () => {
  it('unstructured magnitude prunes exactly floor(R·n) of the smallest weights', () => {
    const w = randomWeights(1000);
    const mask = magnitudeMask(w, 0.37);
    assert.equal(mask.filter((v) => v === 0).length, 370);
    const maxPruned = Math.max(...[...w].filter((_, i) => !mask[i]).map(Math.abs));
    const minKept = Math.min(...[...w].filter((_, i) => mask[i]).map(Math.abs));
    assert.ok(maxPruned <= minKept);
  });
});

describe('DEPrune on depthwise convs', () => {
  const C = 100, kh = 3, kw = 3;
  const w = randomWeights(C * kh * kw);
  const opts = { ratio: 0.5, groupWidth: 32, hardwareTile: 4, align: 'auto' as const };

  it('DCP prunes the floor(PR·C·kh·kw) smallest weights of the layer; groups differ', () => {
    const r = depruneMask(w, C, kh, kw, { ...opts, mode: 'dcp' });
    assert.equal(r.mask.filter((v) => v === 0).length, Math.floor(0.5 * C * kh * kw));
    assert.equal(r.groups.length, 4);
    assert.ok(r.imbalance >= 0);
  });

  it('DCP-B prunes floor(PR·size) in every group (balanced), so imbalance only comes from rounding', () => {
    const r = depruneMask(w, C, kh, kw, { ...opts, mode: 'dcp-b' });
    r.groups.forEach((g) => assert.equal(g.pruned, Math.floor(0.5 * g.rows)));
    const dcp = depruneMask(w, C, kh, kw, { ...opts, mode: 'dcp' });
    assert.ok(r.imbalance <= dcp.imbalance + 1e-12);
    assert.ok(r.imbalance < 0.02);
  });

  it('DCP-BH rounds every group to a multiple of the hardware tile, down (u) or up (o), and reports it', () => {
    for (const align of ['u', 'o'] as const) {
      const r = depruneMask(w, C, kh, kw, { ...opts, ratio: 0.55, mode: 'dcp-bh', align });
      assert.equal(r.alignment, align);
      r.groups.forEach((g) => {
        assert.equal(g.pruned % 4, 0, 'aligned to the hardware tile');
        const base = Math.floor(0.55 * g.rows);
        assert.equal(g.pruned, align === 'u' ? Math.floor(base / 4) * 4 : Math.min(g.rows, Math.ceil(base / 4) * 4));
      });
    }
    const auto = depruneMask(w, C, kh, kw, { ...opts, ratio: 0.55, mode: 'dcp-bh' });
    assert.ok(auto.alignment === 'u' || auto.alignment === 'o');
  });
});

describe('pruneModel', () => {
  it('colnm on resnet20: first conv and classifier stay dense, every other conv is 50% zero, metadata records the pattern', () => {
    const { model, report } = pruneModel(loadModel('resnet20'), parseMethod('colnm:2:4'));
    assert.equal(report.layers.length, 18);
    assert.ok(!report.layers.some((l) => l.name === 'conv1' || l.name === 'linear'));
    for (const l of report.layers) assert.ok(Math.abs(l.sparsity - 0.5) < 0.01, `${l.name} ${l.sparsity}`);
    assert.ok(report.macsAfter < 0.52 * report.macsBefore);
    const md = readPruningMetadata(importOnnx(exportOnnx(model)));
    assert.deepEqual(md['layer2.0.conv1'], { pattern: 'colnm', n: 2, m: 4, tile: 8 });
  });

  for (const [name, spec, pw, shape] of [
    ['resnet20', 'colnm:1:4', undefined, [2, 3, 32, 32]],
    ['resnet18', 'filter:0.3', undefined, [1, 3, 224, 224]],
    ['mobilenetv2-cifar', 'dcp-bh:0.5', 0.3, [2, 3, 32, 32]],
    ['efficientnet-b0', 'dcp-b:0.7', 0.3, [1, 3, 224, 224]],
  ] as const) {
    it(`${name} ${spec}${pw ? ` --pw ${pw}` : ''}: the exported pruned model gives the same output in onnxruntime as in our engine`, async () => {
      const { model } = pruneModel(loadModel(name), parseMethod(spec), pw === undefined ? {} : { pw });
      const x = waveInput(shape);
      const ours = (await (await compile(model, { backend: 'wasm', threads: 1 })).run({ input: x })).logits!;
      const ref = (await (await compile(model, { backend: 'ref' })).run({ input: x })).logits!;
      assert.ok(maxAbsDiff(ours.data, ref.data) < 1e-4, 'wasm == ref');
      const theirs = await runOrt(exportOnnx(model), { input: x }, 'logits');
      assert.ok(maxAbsDiff(ours.data, theirs) < 1e-4, 'ours == onnxruntime');
    });
  }

  it('filter pruning really removes channels, ties residual channels, and shrinks the parameter count', () => {
    const before = loadModel('mobilenetv2-cifar');
    const { model, report } = pruneModel(before, parseMethod('dcp-bh:0.5'), { pw: 0.3 });
    const w = (m: typeof model, name: string) => m.graph.initializers.get(m.graph.nodes.find((n) => n.name === name)!.inputs[1]!)!.shape;
    assert.deepEqual(w(before, 'layers.1.c1'), [96, 16, 1, 1]);
    assert.deepEqual(w(model, 'layers.1.c1'), [96 - Math.floor(0.3 * 96), 16, 1, 1], 'expansion conv lost 30% of its filters');
    assert.deepEqual(w(model, 'layers.1.c2'), [68, 1, 3, 3], 'the depthwise conv lost the same channels');
    assert.deepEqual(w(model, 'layers.1.c3'), [24, 68, 1, 1], 'the projection conv lost those input channels');
    assert.equal(report.layers.filter((l) => l.pattern.startsWith('dcp-bh')).length, 17);
  });

  it('impossible specs are clear errors', () => {
    const bad = (s: string, re: RegExp) => assert.throws(() => parseMethod(s), (e: unknown) => e instanceof SparseCnnError && re.test(e.message));
    bad('colnm:4:4', /N:M needs 1 <= N < M/);
    bad('colnm:0:4', /N:M needs 1 <= N < M/);
    bad('colnm:2', /expected colnm:N:M/);
    bad('dcp:1.5', /ratio must be a number in \[0, 1\)/);
    bad('unstructured:-0.1', /ratio/);
    bad('magic:3', /unknown pruning method 'magic'/);
    assert.throws(() => pruneModel(loadModel('resnet20'), parseMethod('dcp:0.5')), /has none/);
    assert.throws(() => pruneModel(loadModel('resnet20'), parseMethod('colnm:2:4'), { pw: 0.3 }), /PW filter pruning \(pw, pwRatios\) is part of DEPrune.*colnm:2:4 does not use it/);
  });
});
