/**
 * Add, Sub, Mul, Div with numpy broadcasting. Operands of rank 4 are NHWC-stored, others row-major
 * (types.ts); broadcasting works on IR axes, so [N,C,H,W] · [N,C,1,1] (squeeze-excite) and
 * [N,C,H,W] + [C,1,1] both do what the IR says. The gradient of a broadcast operand is the output
 * gradient summed (in float64) over the axes it was broadcast along.
 */
import type { OpType } from '../../graph/attrs.js';
import { forEachBroadcast, needsNothing, needsOnly, req, shapeOf, sumOverBroadcast } from './layout.js';
import type { OpShapes, TrainOp } from './types.js';

type BinaryOp = Extract<OpType, 'Add' | 'Sub' | 'Mul' | 'Div'>;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function forward(shapes: OpShapes, inputs: readonly (Float32Array | undefined)[], y: Float32Array, op: BinaryOp, f: (a: number, b: number) => number): void {
  const a = req(inputs, 0, op);
  const b = req(inputs, 1, op);
  const as = shapeOf(shapes, 0, op);
  const bs = shapeOf(shapes, 1, op);
  const os = shapes.outputs[0]!;
  if (sameShape(as, os) && sameShape(bs, os)) {
    for (let i = 0; i < y.length; i++) y[i] = f(a[i]!, b[i]!);
    return;
  }
  forEachBroadcast(os, as, bs, (o, ia, ib) => { y[o] = f(a[ia]!, b[ib]!); });
}

/**
 * dTarget += scale · Σ dy[o] · factor(otherOffset) over the broadcast axes of the target
 * (factor: e.g. the other operand for Mul; 1 for Add/Sub).
 */
function grad(shapes: OpShapes, target: number, dTarget: Float32Array | undefined, dy: Float32Array, scale: number, factor?: (o: number, b: number) => number): void {
  if (dTarget === undefined) return;
  const os = shapes.outputs[0]!;
  const ts = shapeOf(shapes, target, 'binary');
  const other = shapeOf(shapes, 1 - target, 'binary');
  if (sameShape(ts, os) && sameShape(other, os)) {
    if (factor === undefined) for (let i = 0; i < dy.length; i++) dTarget[i]! += scale * dy[i]!;
    else for (let i = 0; i < dy.length; i++) dTarget[i]! += scale * dy[i]! * factor(i, i);
    return;
  }
  sumOverBroadcast(os, ts, other, dTarget, scale, factor === undefined ? (o) => dy[o]! : (o, b) => dy[o]! * factor(o, b));
}

export const Add: TrainOp<'Add'> = {
  needs: (_a, shapes) => needsNothing(shapes),
  savedSizes: () => [],
  forward: ({ shapes, inputs, outputs }) => forward(shapes, inputs, outputs[0]!, 'Add', (a, b) => a + b),
  backward({ shapes, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    if (dy === undefined) return;
    grad(shapes, 0, dInputs[0], dy, 1);
    grad(shapes, 1, dInputs[1], dy, 1);
  },
};

export const Sub: TrainOp<'Sub'> = {
  needs: (_a, shapes) => needsNothing(shapes),
  savedSizes: () => [],
  forward: ({ shapes, inputs, outputs }) => forward(shapes, inputs, outputs[0]!, 'Sub', (a, b) => a - b),
  backward({ shapes, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    if (dy === undefined) return;
    grad(shapes, 0, dInputs[0], dy, 1);
    grad(shapes, 1, dInputs[1], dy, -1);
  },
};

/** d(a·b) = b·dy for a and a·dy for b: backward reads both inputs. */
export const Mul: TrainOp<'Mul'> = {
  needs: (_a, shapes) => needsOnly(shapes, [0, 1]),
  savedSizes: () => [],
  forward: ({ shapes, inputs, outputs }) => forward(shapes, inputs, outputs[0]!, 'Mul', (a, b) => a * b),
  backward({ shapes, inputs, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    if (dy === undefined) return;
    const a = req(inputs, 0, 'Mul');
    const b = req(inputs, 1, 'Mul');
    grad(shapes, 0, dInputs[0], dy, 1, (_o, ib) => b[ib]!);
    grad(shapes, 1, dInputs[1], dy, 1, (_o, ia) => a[ia]!);
  },
};

/** d(a/b) = dy/b for a and -dy·a/b² for b: backward reads both inputs. */
export const Div: TrainOp<'Div'> = {
  needs: (_a, shapes) => needsOnly(shapes, [0, 1]),
  savedSizes: () => [],
  forward: ({ shapes, inputs, outputs }) => forward(shapes, inputs, outputs[0]!, 'Div', (a, b) => a / b),
  backward({ shapes, inputs, dOutputs, dInputs }) {
    const dy = dOutputs[0];
    if (dy === undefined) return;
    const a = req(inputs, 0, 'Div');
    const b = req(inputs, 1, 'Div');
    grad(shapes, 0, dInputs[0], dy, 1, (_o, ib) => 1 / b[ib]!);
    // Per element: -a/b² with a read through the other operand and b through the output offset.
    if (dInputs[1] !== undefined) {
      const os = shapes.outputs[0]!;
      const as = shapeOf(shapes, 0, 'Div');
      const bs = shapeOf(shapes, 1, 'Div');
      const db = dInputs[1];
      if (sameShape(as, os) && sameShape(bs, os)) {
        for (let i = 0; i < dy.length; i++) db[i]! -= (dy[i]! * a[i]!) / (b[i]! * b[i]!);
      } else {
        // Σ over broadcast axes of dy·a, then × (-1/b²) per element of b (b is constant along them).
        sumOverBroadcast(os, bs, as, db, (ib) => -1 / (b[ib]! * b[ib]!), (o, ia) => dy[o]! * a[ia]!);
      }
    }
  },
};
