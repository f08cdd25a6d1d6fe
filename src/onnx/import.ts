/**
 * ONNX → graph IR. Decoding errors, unsupported ops and opsets, and inconsistent graphs all become
 * SparseCnnErrors naming the problem; nothing malformed reaches a kernel.
 */
import { fail } from '../errors.js';
import { INTERNAL_OPS, isOpType, type OpType } from '../graph/attrs.js';
import type { Dim, Graph, Model, ModelMetadata, Node, ValueInfo } from '../graph/ir.js';
import { AttrReader, OP_DEFS, type RawAttr } from '../graph/ops/index.js';
import type { DType, Tensor } from '../graph/tensor.js';
import { topoSort, validateGraph } from '../graph/validate.js';
import { readMetadata } from './metadata.js';
import { AttrType, DataType, onnx, toNumber, type AttributeProto, type ModelProto, type ValueInfoProto } from './proto.js';
import { tensorFromProto, type ExternalDataReader } from './tensor.js';

export const MIN_OPSET = 11;
export const MAX_OPSET = 21;

export interface ImportOptions {
  /** Model name when the file carries no sparsecnn metadata (e.g. the file stem). */
  readonly name?: string;
  readonly readExternal?: ExternalDataReader;
}

function decode(bytes: Uint8Array): ModelProto {
  if (bytes.length === 0) fail('INVALID_MODEL', 'the file is empty');
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    fail('INVALID_MODEL', `not a valid ONNX file: protobuf decoding failed (${why}); the file may be truncated or not an ONNX model`);
  }
  if (m.graph === null || m.graph === undefined || (m.graph.node ?? []).length === 0) fail('INVALID_MODEL', 'not a valid ONNX file: it has no graph (or an empty one)');
  if (toNumber(m.irVersion) <= 0) fail('INVALID_MODEL', 'not a valid ONNX file: ir_version is missing');
  return m;
}

function opsetOf(m: ModelProto): number {
  const entry = (m.opsetImport ?? []).find((o) => o.domain === '' || o.domain === 'ai.onnx' || o.domain === null || o.domain === undefined);
  if (entry === undefined) fail('INVALID_MODEL', 'the model imports no default-domain opset');
  const v = toNumber(entry.version);
  if (v < MIN_OPSET || v > MAX_OPSET) fail('UNSUPPORTED', `opset ${v} is not supported (sparsecnn reads opsets ${MIN_OPSET}-${MAX_OPSET}); convert the model with onnx.version_converter`);
  return v;
}

function rawAttr(a: AttributeProto, node: string): RawAttr | undefined {
  switch (a.type) {
    case AttrType.INT: return { kind: 'int', value: toNumber(a.i) };
    case AttrType.INTS: return { kind: 'ints', value: (a.ints ?? []).map(toNumber) };
    case AttrType.FLOAT: return { kind: 'float', value: a.f ?? 0 };
    case AttrType.FLOATS: return { kind: 'floats', value: [...(a.floats ?? [])] };
    case AttrType.STRING: return { kind: 'string', value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case AttrType.TENSOR: return a.t ? { kind: 'tensor', value: tensorFromProto(a.t) } : undefined;
    default: return fail('UNSUPPORTED', `node '${node}': attribute '${a.name ?? ''}' has type ${String(a.type)} (graphs and string lists are not supported)`);
  }
}

function elemType(code: number | null | undefined, what: string): DType {
  if (code === DataType.FLOAT) return 'float32';
  if (code === DataType.INT64) return 'int64';
  return fail('UNSUPPORTED', `${what} has element type ${String(code)}; sparsecnn models take and return float32 (or int64) tensors`);
}

function valueInfo(v: ValueInfoProto, i: number, what: string): ValueInfo {
  const name = v.name ?? '';
  const tt = v.type?.tensorType;
  if (!tt) fail('UNSUPPORTED', `${what} '${name}' is not a tensor`);
  const dims = tt.shape?.dim ?? [];
  const shape: Dim[] = dims.map((d, j) => {
    if (d.dimValue !== null && d.dimValue !== undefined && toNumber(d.dimValue) > 0) return toNumber(d.dimValue);
    return d.dimParam !== null && d.dimParam !== undefined && d.dimParam !== '' ? d.dimParam : `${what}${i}_dim${j}`;
  });
  return { name, dtype: elemType(tt.elemType, `${what} '${name}'`), shape };
}

function buildNode(op: OpType, name: string, inputs: string[], outputs: string[], raw: Map<string, RawAttr>, opset: number): Node {
  const reader = new AttrReader(raw, name, op);
  return toNode(op, name, inputs, outputs, reader, opset);
}

function toNode<O extends OpType>(op: O, name: string, inputs: string[], outputs: string[], reader: AttrReader, opset: number): Node {
  const attrs = OP_DEFS[op].parse(reader, opset);
  return { name, op, inputs, outputs, attrs } as Node;
}

export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): Model {
  const m = decode(bytes);
  const opset = opsetOf(m);
  const g = m.graph!;

  const unsupported = new Map<string, number>();
  for (const n of g.node ?? []) {
    const domain = n.domain ?? '';
    const key = domain === '' || domain === 'ai.onnx' ? (n.opType ?? '') : `${domain}::${n.opType ?? ''}`;
    if (!isOpType(key) || INTERNAL_OPS.has(key)) unsupported.set(key, (unsupported.get(key) ?? 0) + 1);
  }
  if (unsupported.size > 0) {
    const list = [...unsupported].map(([op, k]) => `${op} (${k} node${k > 1 ? 's' : ''})`).join(', ');
    fail('UNSUPPORTED', `unsupported op${unsupported.size > 1 ? 's' : ''}: ${list}`);
  }

  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) {
    if (!t.name) fail('INVALID_MODEL', 'an initializer has no name');
    initializers.set(t.name, tensorFromProto(t, options.readExternal));
  }

  const consumed = new Set<string>((g.output ?? []).map((o) => o.name ?? ''));
  for (const n of g.node ?? []) for (const x of n.input ?? []) consumed.add(x);

  const used = new Set<string>();
  const nodes: Node[] = (g.node ?? []).map((n, i) => {
    const op = n.opType as OpType;
    let name = n.name && n.name !== '' ? n.name : `${op}_${i}`;
    while (used.has(name)) name = `${name}_${i}`;
    used.add(name);
    const raw = new Map<string, RawAttr>();
    for (const a of n.attribute ?? []) {
      const r = rawAttr(a, name);
      if (r !== undefined && a.name) raw.set(a.name, r);
    }
    // Optional trailing outputs nobody reads (Dropout's mask, BN's training stats) are dropped.
    const outputs = [...(n.output ?? [])];
    while (outputs.length > OP_DEFS[op].outputs[1] && !consumed.has(outputs[outputs.length - 1]!)) outputs.pop();
    if (outputs.length > OP_DEFS[op].outputs[1]) fail('UNSUPPORTED', `node '${name}' (${op}): its optional output '${outputs[outputs.length - 1]}' is used, which sparsecnn does not support`);
    return buildNode(op, name, [...(n.input ?? [])], outputs, raw, opset);
  });

  const inputs = (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map((v, i) => valueInfo(v, i, 'input'));
  const outputs = (g.output ?? []).map((v, i) => valueInfo(v, i, 'output'));
  const available = new Set([...initializers.keys(), ...inputs.map((i) => i.name)]);
  const graph: Graph = { name: g.name ?? 'graph', inputs, outputs, initializers, nodes: topoSort(nodes, available) };
  validateGraph(graph);
  const metadata: ModelMetadata = readMetadata(m.metadataProps ?? [], options.name ?? graph.name);
  return { graph, metadata, opset };
}
