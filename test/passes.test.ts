/** Each pass: op counts before/after, and the reference output unchanged (ref runs fused graphs too). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inferShapes } from '../src/graph/infer.js';
import type { Graph } from '../src/graph/ir.js';
import { convActivationFusion, convAddFusion, convBnFusion, FUSION_PASSES, runPasses } from '../src/graph/passes/index.js';
import { validateGraph } from '../src/graph/validate.js';
import { loadModel } from '../src/node/models.js';
import { compile } from '../src/runtime/session.js';
import { maxAbsDiff, waveInput } from './helpers.js';

function count(g: Graph, op: string): number {
  return g.nodes.filter((n) => n.op === op).length;
}

async function refOutput(g: Graph, x: ReturnType<typeof waveInput>): Promise<Float32Array> {
  const s = await compile(g, { backend: 'ref' });
  return (await s.run({ input: x })).logits!.data;
}

describe('fusion passes', () => {
  for (const [name, shape] of [['resnet18', [1, 3, 224, 224]], ['mobilenetv2', [1, 3, 224, 224]], ['mobilenetv3-small', [1, 3, 224, 224]], ['efficientnet-b0', [1, 3, 224, 224]], ['resnet20', [2, 3, 32, 32]], ['mobilenetv2-cifar', [2, 3, 32, 32]]] as const) {
    it(`${name}: the full fusion pipeline keeps the output (ref), folds every BN and fuses activations after convs`, async () => {
      const g = loadModel(name).graph;
      const shapes = new Map([['input', shape as readonly number[]]]);
      const fused = runPasses(g, shapes, [], FUSION_PASSES);
      validateGraph(fused);
      assert.equal(count(fused, 'BatchNormalization'), 0);
      assert.equal(count(fused, 'Conv') + count(fused, 'FusedConv'), count(g, 'Conv'));
      assert.ok(count(fused, 'FusedConv') > count(fused, 'Conv'), 'most convs fused something');
      // No activation is left directly after a conv.
      const producers = new Map(fused.nodes.flatMap((n) => n.outputs.map((o) => [o, n.op] as const)));
      for (const n of fused.nodes) {
        if (['Relu', 'Clip', 'HardSwish', 'HardSigmoid'].includes(n.op)) assert.notEqual(producers.get(n.inputs[0]!), 'Conv', `${n.name} after a conv`);
      }
      const x = waveInput(shape);
      const d = maxAbsDiff(await refOutput(g, x), await refOutput(fused, x));
      assert.ok(d < 1e-4, `max diff ${d}`);
    });
  }

  it('conv-bn-fusion folds each BN into its conv', () => {
    const g = loadModel('resnet18').graph;
    const ctx = { inferred: inferShapes(g, new Map([['input', [1, 3, 224, 224]]])) };
    const out = convBnFusion.run(g, ctx);
    assert.equal(count(g, 'BatchNormalization'), 20);
    assert.equal(count(out, 'BatchNormalization'), 0);
    assert.equal(count(out, 'Conv'), count(g, 'Conv'));
  });

  it('conv-add-fusion fuses the residual Adds of ResNet-20 (9 blocks) and activation fusion the ReLUs after them', () => {
    const g = loadModel('resnet20').graph;
    const shapes = new Map([['input', [1, 3, 32, 32] as readonly number[]]]);
    const a = convAddFusion.run(g, { inferred: inferShapes(g, shapes) });
    assert.equal(count(a, 'Add'), 0);
    assert.equal(a.nodes.filter((n) => n.op === 'FusedConv' && n.attrs.residual).length, 9);
    const b = convActivationFusion.run(a, { inferred: inferShapes(a, shapes) });
    assert.equal(count(b, 'Relu'), 0, 'all 19 ReLUs follow a conv or a fused residual conv');
    validateGraph(b);
  });

  it('SiLU (Sigmoid + Mul) after a conv fuses into one node', () => {
    const g = loadModel('efficientnet-b0').graph;
    const shapes = new Map([['input', [1, 3, 224, 224] as readonly number[]]]);
    const fused = runPasses(g, shapes, [], FUSION_PASSES);
    assert.ok(fused.nodes.some((n) => n.op === 'FusedConv' && n.attrs.activation.kind === 'silu'));
    // Every Sigmoid went into a conv (SiLU, or the squeeze-excite gate); each remaining Mul is an
    // SE scale whose gate is a FusedConv with a sigmoid epilogue.
    assert.equal(count(fused, 'Sigmoid'), 0);
    const producer = new Map(fused.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
    const muls = fused.nodes.filter((n) => n.op === 'Mul');
    assert.equal(muls.length, 16);
    for (const m of muls) assert.ok(m.inputs.some((x) => { const p = producer.get(x); return p?.op === 'FusedConv' && p.attrs.activation.kind === 'sigmoid'; }), m.name);
  });

  it('a pass can be disabled by name, and an unknown name is refused', () => {
    const g = loadModel('resnet20').graph;
    const shapes = new Map([['input', [1, 3, 32, 32] as readonly number[]]]);
    const noAdd = runPasses(g, shapes, ['conv-add-fusion'], FUSION_PASSES);
    assert.equal(count(noAdd, 'Add'), 9);
    assert.throws(() => runPasses(g, shapes, ['no-such-pass'], FUSION_PASSES), /unknown pass 'no-such-pass'/);
  });
});
