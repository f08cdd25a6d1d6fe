/** Library callers get typed SparseCnnErrors before any kernel runs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SparseCnnError } from '../src/errors.js';
import { floatTensor, intTensor } from '../src/graph/tensor.js';
import { importOnnx } from '../src/onnx/import.js';
import { onnx } from '../src/onnx/proto.js';
import { loadModel } from '../src/node/models.js';
import { compile } from '../src/runtime/session.js';

function rejectsWith(code: string, pattern: RegExp) {
  return (e: unknown) => e instanceof SparseCnnError && e.code === code && pattern.test(e.message);
}

describe('API input checks', () => {
  it('wrong input shape, dtype, missing and unknown inputs are SHAPE_MISMATCH errors naming the input', async () => {
    const s = await compile(loadModel('resnet20'));
    await assert.rejects(s.run({ input: floatTensor([1, 3, 28, 28]) }), rejectsWith('SHAPE_MISMATCH', /input 'input' expects shape \[batch,3,32,32\], got \[1,3,28,28\]/));
    await assert.rejects(s.run({ input: floatTensor([3, 32, 32]) }), rejectsWith('SHAPE_MISMATCH', /expects shape/));
    await assert.rejects(s.run({ input: intTensor([1], [1]) }), rejectsWith('SHAPE_MISMATCH', /must be float32, got int64/));
    await assert.rejects(s.run({}), rejectsWith('SHAPE_MISMATCH', /input 'input' .* is missing/));
    await assert.rejects(s.run({ input: floatTensor([1, 3, 32, 32]), extra: floatTensor([1]) }), rejectsWith('SHAPE_MISMATCH', /unknown input 'extra'/));
    const bad = { dtype: 'float32' as const, shape: [1, 3, 32, 32], data: new Float32Array(5) };
    await assert.rejects(s.run({ input: bad }), rejectsWith('SHAPE_MISMATCH', /has 5 values but shape \[1,3,32,32\] needs 3072/));
  });

  it('an unsupported opset is refused with the supported range', () => {
    const m = onnx.ModelProto.create({
      irVersion: 3,
      opsetImport: [{ domain: '', version: 7 }],
      graph: { name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }], output: [{ name: 'y' }] },
    });
    assert.throws(() => importOnnx(onnx.ModelProto.encode(m).finish()), rejectsWith('UNSUPPORTED', /opset 7 is not supported .*11-21/));
  });

  it('a node reading a value nothing defines is INVALID_MODEL naming both', () => {
    const t = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } };
    const m = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'g', node: [{ opType: 'Add', name: 'add0', input: ['x', 'ghost'], output: ['y'] }], input: [{ name: 'x', type: t }], output: [{ name: 'y', type: t }] },
    });
    assert.throws(() => importOnnx(onnx.ModelProto.encode(m).finish()), rejectsWith('INVALID_MODEL', /'add0' \(Add\) reads 'ghost'/));
  });

  it('a weight shape that does not fit the input is a SHAPE_MISMATCH naming the node', async () => {
    const t = (dims: number[]) => ({ tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } });
    const m = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Conv', name: 'conv0', input: ['x', 'w'], output: ['y'] }],
        initializer: [{ name: 'w', dims: [4, 5, 3, 3], dataType: 1, floatData: new Array(180).fill(0.1) }],
        input: [{ name: 'x', type: t([1, 3, 8, 8]) }],
        output: [{ name: 'y', type: t([1, 4, 6, 6]) }],
      },
    });
    const model = importOnnx(onnx.ModelProto.encode(m).finish());
    const s = await compile(model, { backend: 'ref' });
    await assert.rejects(s.run({ x: floatTensor([1, 3, 8, 8]) }), rejectsWith('SHAPE_MISMATCH', /'conv0' \(Conv\): weight expects 5 input channels, input has 3/));
  });
});
