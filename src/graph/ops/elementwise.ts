import { NO_ATTRS, type NoAttrs, type OpType } from '../attrs.js';
import { broadcastShapes } from '../broadcast.js';
import { inferError, need, normAxis, type OpDef } from './types.js';

type UnaryOp = 'Relu' | 'Sigmoid' | 'HardSwish' | 'Identity';

function unary<O extends UnaryOp>(op: O): OpDef<O> {
  return {
    op,
    inputs: [1, 1],
    outputs: [1, 1],
    parse: () => NO_ATTRS as never,
    serialize: () => [],
    infer: (ctx) => [need(ctx, 0, op)],
  };
}

export const Relu = unary('Relu');
export const Sigmoid = unary('Sigmoid');
export const HardSwish = unary('HardSwish');
export const Identity = unary('Identity');

/** Inference-only: a no-op. Its optional `mask` output is refused at import. */
export const Dropout: OpDef<'Dropout'> = {
  op: 'Dropout',
  inputs: [1, 3],
  outputs: [1, 1],
  parse: (): NoAttrs => NO_ATTRS,
  serialize: () => [],
  infer: (ctx) => [need(ctx, 0, 'Dropout')],
};

/** From opset 11 on, min and max are optional scalar inputs. */
export const Clip: OpDef<'Clip'> = {
  op: 'Clip',
  inputs: [1, 3],
  outputs: [1, 1],
  parse(a, opset) {
    if (opset < 11 || a.has('min') || a.has('max')) a.unsupported('Clip with min/max attributes (opset < 11) is not supported');
    return NO_ATTRS;
  },
  serialize: () => [],
  infer(ctx) {
    for (const i of [1, 2]) {
      const t = ctx.inputs[i];
      if (t !== undefined && t.shape.reduce((p, d) => p * d, 1) !== 1) inferError(ctx.node, 'Clip', `input ${i} (min/max) must be a scalar`);
    }
    return [need(ctx, 0, 'Clip')];
  },
};

export const HardSigmoid: OpDef<'HardSigmoid'> = {
  op: 'HardSigmoid',
  inputs: [1, 1],
  outputs: [1, 1],
  parse: (a) => ({ alpha: a.float('alpha', 0.2), beta: a.float('beta', 0.5) }),
  serialize: (attrs) => [['alpha', { kind: 'float', value: attrs.alpha }], ['beta', { kind: 'float', value: attrs.beta }]],
  infer: (ctx) => [need(ctx, 0, 'HardSigmoid')],
};

type BinaryOp = Extract<OpType, 'Add' | 'Sub' | 'Mul' | 'Div'>;

function binary<O extends BinaryOp>(op: O): OpDef<O> {
  return {
    op,
    inputs: [2, 2],
    outputs: [1, 1],
    parse: () => NO_ATTRS as never,
    serialize: () => [],
    infer(ctx) {
      const a = need(ctx, 0, op);
      const b = need(ctx, 1, op);
      if (a.dtype !== b.dtype) inferError(ctx.node, op, `operands have different types ${a.dtype} and ${b.dtype}`);
      const shape = broadcastShapes(a.shape, b.shape);
      if (shape === undefined) inferError(ctx.node, op, `shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] do not broadcast`);
      return [{ dtype: a.dtype, shape }];
    },
  };
}

export const Add = binary('Add');
export const Sub = binary('Sub');
export const Mul = binary('Mul');
export const Div = binary('Div');

export const BatchNormalization: OpDef<'BatchNormalization'> = {
  op: 'BatchNormalization',
  inputs: [5, 5],
  outputs: [1, 1],
  parse(a) {
    if (a.int('training_mode', 0) !== 0) a.unsupported('training_mode=1 in an inference graph is not supported');
    return { epsilon: a.float('epsilon', 1e-5), momentum: a.float('momentum', 0.9) };
  },
  serialize: (attrs) => [['epsilon', { kind: 'float', value: attrs.epsilon }], ['momentum', { kind: 'float', value: attrs.momentum }]],
  infer(ctx) {
    const x = need(ctx, 0, 'BatchNormalization');
    if (x.shape.length < 2) inferError(ctx.node, 'BatchNormalization', 'input must have a channel axis');
    const c = x.shape[1]!;
    for (let i = 1; i < 5; i++) {
      const p = need(ctx, i, 'BatchNormalization');
      if (p.shape.length !== 1 || p.shape[0] !== c) inferError(ctx.node, 'BatchNormalization', `parameter ${i} must be [${c}], got [${p.shape.join(',')}]`);
    }
    return [x];
  },
};

export const Softmax: OpDef<'Softmax'> = {
  op: 'Softmax',
  inputs: [1, 1],
  outputs: [1, 1],
  parse: (a, opset) => (opset < 13 ? { axis: a.int('axis', 1), legacy: true } : { axis: a.int('axis', -1), legacy: false }),
  serialize: (attrs) => [['axis', { kind: 'int', value: attrs.axis }]],
  infer(ctx) {
    const x = need(ctx, 0, 'Softmax');
    normAxis(ctx.attrs.axis, x.shape.length, ctx.node, 'Softmax');
    return [x];
  },
};
