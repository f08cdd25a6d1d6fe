import { NO_ATTRS } from '../attrs.js';
import { broadcastShapes } from '../broadcast.js';
import { inferError, need, type OpDef } from './types.js';

export const Gemm: OpDef<'Gemm'> = {
  op: 'Gemm',
  inputs: [2, 3],
  outputs: [1, 1],
  parse: (a) => ({ alpha: a.float('alpha', 1), beta: a.float('beta', 1), transA: a.int('transA', 0) !== 0, transB: a.int('transB', 0) !== 0 }),
  serialize: (attrs) => [
    ['alpha', { kind: 'float', value: attrs.alpha }],
    ['beta', { kind: 'float', value: attrs.beta }],
    ['transA', { kind: 'int', value: attrs.transA ? 1 : 0 }],
    ['transB', { kind: 'int', value: attrs.transB ? 1 : 0 }],
  ],
  infer(ctx) {
    const a = need(ctx, 0, 'Gemm');
    const b = need(ctx, 1, 'Gemm');
    if (a.shape.length !== 2 || b.shape.length !== 2) inferError(ctx.node, 'Gemm', `A and B must be 2-D, got [${a.shape.join(',')}] and [${b.shape.join(',')}]`);
    const [m, ka] = ctx.attrs.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [kb, n] = ctx.attrs.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (ka !== kb) inferError(ctx.node, 'Gemm', `inner dimensions differ: A gives K=${ka}, B gives K=${kb}`);
    const c = ctx.inputs[2];
    if (c !== undefined && broadcastShapes([m, n], c.shape)?.join() !== `${m},${n}`) inferError(ctx.node, 'Gemm', `C [${c.shape.join(',')}] does not broadcast to [${m},${n}]`);
    return [{ dtype: 'float32', shape: [m, n] }];
  },
};

export const MatMul: OpDef<'MatMul'> = {
  op: 'MatMul',
  inputs: [2, 2],
  outputs: [1, 1],
  parse: () => NO_ATTRS,
  serialize: () => [],
  infer(ctx) {
    const a = need(ctx, 0, 'MatMul').shape;
    const b = need(ctx, 1, 'MatMul').shape;
    if (a.length === 0 || b.length === 0) inferError(ctx.node, 'MatMul', 'operands must have rank >= 1');
    const a2 = a.length === 1 ? [1, a[0]!] : a;
    const b2 = b.length === 1 ? [b[0]!, 1] : b;
    const k1 = a2[a2.length - 1]!;
    const k2 = b2[b2.length - 2]!;
    if (k1 !== k2) inferError(ctx.node, 'MatMul', `inner dimensions differ: [${a.join(',')}] x [${b.join(',')}]`);
    const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
    if (batch === undefined) inferError(ctx.node, 'MatMul', `batch dimensions of [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    const shape = [...batch];
    if (a.length > 1) shape.push(a2[a2.length - 2]!);
    if (b.length > 1) shape.push(b2[b2.length - 1]!);
    return [{ dtype: 'float32', shape }];
  },
};
