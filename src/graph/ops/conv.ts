import type { AutoPad, ConvAttrs } from '../attrs.js';
import { resolveWindow } from '../geometry.js';
import { inferError, need, type AttrReader, type InferContext, type OpDef, type RawAttr } from './types.js';

export function parseAutoPad(a: AttrReader): AutoPad {
  const v = a.string('auto_pad', 'NOTSET');
  if (v === 'NOTSET' || v === 'SAME_UPPER' || v === 'SAME_LOWER' || v === 'VALID') return v;
  return a.bad('auto_pad', `has unknown value '${v}'`);
}

export function windowAttrs(attrs: { kernelShape: readonly number[]; strides: readonly number[]; dilations: readonly number[]; pads: readonly number[]; autoPad: AutoPad }): [string, RawAttr][] {
  const out: [string, RawAttr][] = [
    ['kernel_shape', { kind: 'ints', value: attrs.kernelShape }],
    ['strides', { kind: 'ints', value: attrs.strides }],
    ['dilations', { kind: 'ints', value: attrs.dilations }],
  ];
  if (attrs.autoPad === 'NOTSET') out.push(['pads', { kind: 'ints', value: attrs.pads }]);
  else out.push(['auto_pad', { kind: 'string', value: attrs.autoPad }]);
  return out;
}

export const Conv: OpDef<'Conv'> = {
  op: 'Conv',
  inputs: [2, 3],
  outputs: [1, 1],
  parse(a) {
    const ks = a.ints('kernel_shape');
    if (ks !== undefined && ks.length !== 2) a.unsupported(`kernel_shape=[${ks.join(',')}]: only 2-D convolution is supported`);
    return {
      group: a.int('group', 1),
      // 0x0 means "take it from the weight"; shape inference fills it in (see fillConvKernel).
      kernelShape: ks === undefined ? [0, 0] : [ks[0]!, ks[1]!],
      strides: a.pair('strides', 1),
      dilations: a.pair('dilations', 1),
      pads: a.pads(),
      autoPad: parseAutoPad(a),
    };
  },
  serialize(attrs) {
    // kernel_shape [0,0] means "not given" (taken from the weight): leave it out, as the file did.
    const window = windowAttrs(attrs).filter(([k]) => !(k === 'kernel_shape' && attrs.kernelShape[0] === 0));
    return [['group', { kind: 'int', value: attrs.group }], ...window];
  },
  infer(ctx) {
    const x = need(ctx, 0, 'Conv');
    const w = need(ctx, 1, 'Conv');
    const where = (why: string): never => inferError(ctx.node, 'Conv', why);
    if (x.shape.length !== 4) where(`input must be 4-D NCHW, got rank ${x.shape.length}`);
    if (w.shape.length !== 4) where(`weight must be 4-D [Cout, Cin/group, kh, kw], got rank ${w.shape.length}`);
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const [cout, cinG, kh, kw] = w.shape as [number, number, number, number];
    const g = ctx.attrs.group;
    if (g < 1 || c % g !== 0 || cout % g !== 0) where(`group=${g} does not divide input channels ${c} and output channels ${cout}`);
    if (cinG * g !== c) where(`weight expects ${cinG * g} input channels, input has ${c}`);
    const [akh, akw] = ctx.attrs.kernelShape;
    if ((akh !== 0 || akw !== 0) && (akh !== kh || akw !== kw)) where(`kernel_shape [${akh},${akw}] does not match weight [${kh},${kw}]`);
    const b = ctx.inputs[2];
    if (b !== undefined && (b.shape.length !== 1 || b.shape[0] !== cout)) where(`bias must be [${cout}], got [${b.shape.join(',')}]`);
    const r = resolveWindow({ ...ctx.attrs, kernelShape: [kh, kw] }, h, wd);
    if (r.outH < 1 || r.outW < 1) where(`input ${h}x${wd} is too small for a ${kh}x${kw} kernel`);
    return [{ dtype: 'float32', shape: [n, cout, r.outH, r.outW] }];
  },
};

/** Conv attributes with kernel_shape taken from the weight when the file omitted it. */
export function fillConvKernel(attrs: ConvAttrs, weightShape: readonly number[]): ConvAttrs {
  if (attrs.kernelShape[0] !== 0) return attrs;
  return { ...attrs, kernelShape: [weightShape[2]!, weightShape[3]!] };
}

export const FusedConv: OpDef<'FusedConv'> = {
  op: 'FusedConv',
  inputs: [2, 4],
  outputs: [1, 1],
  parse(a) {
    return a.unsupported('FusedConv is internal to sparsecnn and cannot be read from a file');
  },
  serialize() {
    throw new Error('internal error: FusedConv is never exported (export the model, not a compiled graph)');
  },
  infer(ctx) {
    const [y] = Conv.infer({ ...ctx, inputs: ctx.inputs.slice(0, 3) } as InferContext<'Conv'>);
    if (ctx.attrs.residual) {
      const r = need(ctx, 3, 'FusedConv');
      if (r.shape.join() !== y!.shape.join()) inferError(ctx.node, 'FusedConv', `residual [${r.shape.join(',')}] differs from the output [${y!.shape.join(',')}]`);
    }
    return [y!];
  },
};
