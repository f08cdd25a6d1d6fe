import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportOnnx } from '../src/onnx/export.js';
import { importOnnx } from '../src/onnx/import.js';
import { onnx } from '../src/onnx/proto.js';
import { loadModel } from '../src/node/models.js';

describe('ONNX export details', () => {
  it('an output declared without a shape is exported without one (not as a scalar)', () => {
    const vi = (name: string, dims?: number[]) => ({ name, type: { tensorType: { elemType: 1, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } } });
    const m = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'g', node: [{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], input: [vi('x', [2, 3])], output: [vi('y')] },
    });
    const out = onnx.ModelProto.decode(exportOnnx(importOnnx(onnx.ModelProto.encode(m).finish())));
    const y = out.graph!.output![0]!;
    assert.equal(y.type!.tensorType!.elemType, 1);
    assert.equal(y.type!.tensorType!.shape, null, 'no shape rather than rank 0');
  });

  it('zoo models carry their preprocessing and labels through export and import', () => {
    const back = importOnnx(exportOnnx(loadModel('resnet20')));
    assert.deepEqual(back.metadata.preprocessing?.mean, [0.485, 0.456, 0.406]);
    assert.equal(back.metadata.labels?.[3], 'cat');
    assert.equal(back.metadata.name, 'resnet20');
    const out = onnx.ModelProto.decode(exportOnnx(loadModel('resnet20')));
    assert.equal(out.producerName, 'sparsecnn');
    assert.ok(Number(out.opsetImport![0]!.version) >= 14);
  });
});
