import type { Model, Preprocessing } from '../graph/ir.js';
import { feedInputs } from '../runtime/bind.js';
import type { Output } from './common.js';

/** --mean/--std override the model's metadata; without either, ImageNet statistics with a warning. */
export function preprocessingFor(model: Model, opts: { mean?: number[]; std?: number[] }, out: Output): Preprocessing {
  const md = model.metadata.preprocessing;
  const shape = feedInputs(model.graph)[0]?.shape ?? [];
  const dim = (i: number, d: number) => (typeof shape[i] === 'number' ? (shape[i] as number) : d);
  const inputSize: [number, number, number] = md?.inputSize ? [...md.inputSize] : [dim(1, 3), dim(2, 224), dim(3, 224)];
  if (md === undefined && (opts.mean === undefined || opts.std === undefined)) {
    out.note(`warning: ${model.metadata.name} has no preprocessing metadata; assuming ImageNet mean/std (pass --mean and --std to set them)`);
  }
  return {
    mean: opts.mean ?? md?.mean ?? [0.485, 0.456, 0.406],
    std: opts.std ?? md?.std ?? [0.229, 0.224, 0.225],
    inputSize,
  };
}
