import { NO_ATTRS, type PoolAttrs } from '../attrs.js';
import { resolveWindow } from '../geometry.js';
import { parseAutoPad, windowAttrs } from './conv.js';
import { inferError, need, type AttrReader, type InferContext, type OpDef, type RawAttr, type ValueType } from './types.js';

function parsePool(a: AttrReader, op: 'AveragePool' | 'MaxPool'): PoolAttrs {
  const ks = a.ints('kernel_shape');
  if (ks === undefined) a.bad('kernel_shape', 'is required');
  if (ks.length !== 2) a.unsupported(`kernel_shape=[${ks.join(',')}]: only 2-D pooling is supported`);
  if (op === 'MaxPool' && a.int('storage_order', 0) !== 0) a.unsupported('storage_order=1 is not supported');
  return {
    kernelShape: [ks[0]!, ks[1]!],
    strides: a.pair('strides', 1),
    dilations: a.pair('dilations', 1),
    pads: a.pads(),
    autoPad: parseAutoPad(a),
    ceilMode: a.int('ceil_mode', 0) !== 0,
    countIncludePad: a.int('count_include_pad', 0) !== 0,
  };
}

function inferPool(ctx: InferContext<'AveragePool' | 'MaxPool'>, op: string): ValueType[] {
  const x = need(ctx, 0, op);
  if (x.shape.length !== 4) inferError(ctx.node, op, `input must be 4-D NCHW, got rank ${x.shape.length}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const r = resolveWindow(ctx.attrs, h, w);
  if (r.outH < 1 || r.outW < 1) inferError(ctx.node, op, `input ${h}x${w} is too small for the window`);
  return [{ dtype: 'float32', shape: [n, c, r.outH, r.outW] }];
}

function serializePool(attrs: PoolAttrs, avg: boolean): [string, RawAttr][] {
  const out = windowAttrs(attrs);
  if (attrs.ceilMode) out.push(['ceil_mode', { kind: 'int', value: 1 }]);
  if (avg && attrs.countIncludePad) out.push(['count_include_pad', { kind: 'int', value: 1 }]);
  return out;
}

export const AveragePool: OpDef<'AveragePool'> = {
  op: 'AveragePool',
  inputs: [1, 1],
  outputs: [1, 1],
  parse: (a) => parsePool(a, 'AveragePool'),
  // AveragePool gained `dilations` only in opset 19; drop the default so opset 13-18 readers accept it.
  serialize: (attrs) => serializePool(attrs, true).filter(([k]) => !(k === 'dilations' && attrs.dilations.every((d) => d === 1))),
  infer: (ctx) => inferPool(ctx, 'AveragePool'),
};

export const MaxPool: OpDef<'MaxPool'> = {
  op: 'MaxPool',
  inputs: [1, 1],
  // The optional Indices output is refused at import (see onnx/import.ts).
  outputs: [1, 1],
  parse: (a) => parsePool(a, 'MaxPool'),
  serialize: (attrs) => serializePool(attrs, false),
  infer: (ctx) => inferPool(ctx, 'MaxPool'),
};

export const GlobalAveragePool: OpDef<'GlobalAveragePool'> = {
  op: 'GlobalAveragePool',
  inputs: [1, 1],
  outputs: [1, 1],
  parse: () => NO_ATTRS,
  serialize: () => [],
  infer(ctx) {
    const x = need(ctx, 0, 'GlobalAveragePool');
    if (x.shape.length !== 4) inferError(ctx.node, 'GlobalAveragePool', `input must be 4-D NCHW, got rank ${x.shape.length}`);
    return [{ dtype: 'float32', shape: [x.shape[0]!, x.shape[1]!, 1, 1] }];
  },
};
