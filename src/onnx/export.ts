/**
 * Graph IR → ONNX bytes that onnxruntime (or any ONNX runtime) loads. Attributes are written in
 * their canonical form; the opset written is max(14, the imported one) because HardSwish needs 14
 * and nothing we emit changed meaning between 14 and 21.
 */
import { fail } from '../errors.js';
import type { OpType } from '../graph/attrs.js';
import { inferShapes } from '../graph/infer.js';
import type { Dim, Model, NodeOf, ValueInfo } from '../graph/ir.js';
import { OP_DEFS, type RawAttr } from '../graph/ops/index.js';
import type { Tensor } from '../graph/tensor.js';
import { feedInputs } from '../runtime/bind.js';
import { writeMetadata } from './metadata.js';
import { AttrType, DataType, onnx, type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import { tensorToProto } from './tensor.js';
import { MAX_OPSET } from './import.js';

export const PRODUCER = 'sparsecnn';
export const PRODUCER_VERSION = '0.1.0';

function attrProto(name: string, a: RawAttr): AttributeProto {
  switch (a.kind) {
    case 'int': return { name, type: AttrType.INT, i: a.value };
    case 'ints': return { name, type: AttrType.INTS, ints: [...a.value] };
    case 'float': return { name, type: AttrType.FLOAT, f: a.value };
    case 'floats': return { name, type: AttrType.FLOATS, floats: [...a.value] };
    case 'string': return { name, type: AttrType.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor': return { name, type: AttrType.TENSOR, t: tensorToProto('', a.value) };
  }
}

/** `rank`: the inferred rank; a declared shape of another rank (e.g. none in the source file) is left out. */
function valueInfoProto(v: ValueInfo, rank?: number): ValueInfoProto {
  const elemType = v.dtype === 'float32' ? DataType.FLOAT : DataType.INT64;
  if (rank !== undefined && rank !== v.shape.length) return { name: v.name, type: { tensorType: { elemType } } };
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: v.shape.map((d: Dim) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function serializeAttrs<O extends OpType>(node: NodeOf<O>): [string, RawAttr][] {
  return OP_DEFS[node.op].serialize(node.attrs);
}

export function exportOnnx(model: Model): Uint8Array {
  const g = model.graph;
  const opset = Math.min(MAX_OPSET, Math.max(14, model.opset));
  const extraInits: TensorProto[] = [];
  // Ranks (for legacy Softmax) from a batch-1 inference; symbolic dims bind to 1.
  const shapes = new Map(feedInputs(g).map((i) => [i.name, i.shape.map((d) => (typeof d === 'number' ? d : 1))] as const));
  const types = inferShapes(g, shapes).types;

  const nodes: NodeProto[] = g.nodes.map((n) => {
    const inputs = [...n.inputs];
    if ((n.op === 'Unsqueeze' || n.op === 'Squeeze') && n.attrs.axes !== undefined) {
      // opset < 13 kept axes as an attribute; 13+ takes them as an input.
      const name = `${n.name}__axes`;
      const t: Tensor = { dtype: 'int64', shape: [n.attrs.axes.length], data: BigInt64Array.from(n.attrs.axes, (v) => BigInt(v)) };
      extraInits.push(tensorToProto(name, t));
      inputs[1] = name;
    }
    let attrs = serializeAttrs(n);
    if (n.op === 'Softmax' && n.attrs.legacy) {
      const rank = types.get(n.inputs[0]!)?.shape.length ?? 0;
      const axis = n.attrs.axis < 0 ? n.attrs.axis + rank : n.attrs.axis;
      if (axis !== rank - 1) fail('UNSUPPORTED', `node '${n.name}': an opset<13 Softmax over axes ${axis}.. of a rank-${rank} tensor cannot be written at opset ${opset}`);
      attrs = [['axis', { kind: 'int', value: -1 }]];
    }
    if (n.op === 'Unsqueeze' || n.op === 'Squeeze') attrs = [];
    return { name: n.name, opType: n.op, domain: '', input: inputs, output: [...n.outputs], attribute: attrs.map(([k, v]) => attrProto(k, v)) };
  });

  const initializer = [...[...g.initializers].map(([name, t]) => tensorToProto(name, t)), ...extraInits];
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: PRODUCER,
    producerVersion: PRODUCER_VERSION,
    opsetImport: [{ domain: '', version: opset }],
    metadataProps: writeMetadata(model.metadata),
    graph: {
      name: g.name,
      node: nodes,
      initializer,
      input: g.inputs.map((i) => valueInfoProto(i)),
      output: g.outputs.map((o) => valueInfoProto(o, types.get(o.name)?.shape.length)),
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}
