/**
 * The pruned network's values on reconstruction's calibration images (reconstruct.ts).
 *
 * Reconstruction refits convs one by one in graph order and needs, for each, its input in the
 * pruned network with every earlier refit applied. Running the network from the model input for
 * every layer costs a prefix per layer: O(layers²) node runs. Instead the values the rest of the
 * graph still reads are held (for every calibration image) and the next conv's input is computed
 * from them: each node then runs once over the calibration set. Nothing held goes stale: a refit
 * touches only the conv whose input was just computed, which has not run yet, and in topological
 * order no held value depends on a conv that comes later.
 *
 * Values are held, fed and handed to `fn` in the wasm engine's NHWC layout (shape [N, H, W, C]):
 * each crosses the session boundary without a transpose.
 *
 * Held values cost memory (for ResNet-20 at 256 images, a few tens of MB; for an ImageNet ResNet-50,
 * GBs). Past `budgetBytes` nothing is held any more and each input is computed from the model
 * input again, as a per-layer prefix: the same values, more time.
 */
import { fail } from '../errors.js';
import type { ImageBatch } from '../data/cifar10.js';
import { batchTensor } from '../data/preprocess.js';
import type { ValueType } from '../graph/ops/index.js';
import type { Graph, Model, Preprocessing } from '../graph/ir.js';
import { FUSION_PASS_NAMES } from '../graph/passes/index.js';
import type { FloatTensor } from '../graph/tensor.js';
import { compile } from '../runtime/session.js';
import { toLayout } from '../runtime/wasm/layout.js';

/** Images per run of a calibration sub-network. */
export const CALIBRATION_BATCH = 64;

export class PrunedValues {
  /** Value name → its tensors, one per calibration batch. */
  private readonly held = new Map<string, FloatTensor[]>();
  /** Indices (in graph order) of the nodes whose outputs are held or no longer read. */
  private readonly ran = new Set<number>();
  private holding = true;

  constructor(
    private readonly input: string,
    private readonly data: ImageBatch,
    private readonly pre: Preprocessing,
    private readonly images: number,
    /** Shapes of the pruned graph's values at batch 1 (refits never change them). */
    private readonly types: ReadonlyMap<string, ValueType>,
    private readonly threads: number,
    private readonly budgetBytes: number,
  ) {}

  private heldBytes(): number {
    let b = 0;
    for (const ts of this.held.values()) for (const t of ts) b += t.data.byteLength;
    return b;
  }

  /**
   * Calls `fn` with `name` in `model` (NHWC) (the pruned model with the refits so far) for each calibration
   * batch in order. The nodes of `model` must be those of the model this object started with, in
   * the same order (refits replace weights and may give a conv a bias input; they add or move no node).
   */
  async forEachBatch(model: Model, name: string, fn: (value: FloatTensor, firstImage: number) => void): Promise<void> {
    const have = this.held.get(name);
    if (have !== undefined) {
      have.forEach((t, b) => fn(t, b * CALIBRATION_BATCH));
      return;
    }
    if (name === this.input) {
      for (let start = 0; start < this.images; start += CALIBRATION_BATCH) fn(this.inputBatch(start), start);
      return;
    }
    const g = model.graph;
    const producer = new Map<string, number>();
    g.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
    // Nodes needed for `name` that have not run: walk producers back to held values and the input.
    const need = new Set<number>();
    const stack = [name];
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (v === '' || v === this.input || g.initializers.has(v) || this.held.has(v)) continue;
      const p = producer.get(v);
      if (p === undefined) fail('INVALID_MODEL', `reconstruction: no node computes '${v}'`);
      if (need.has(p) || this.ran.has(p)) continue;
      need.add(p);
      stack.push(...g.nodes[p]!.inputs);
    }
    const order = [...need].sort((a, b) => a - b);
    const made = new Set(order.flatMap((i) => g.nodes[i]!.outputs));
    // Read from held values or the model input only (the walk stops there).
    const reads = [...new Set(order.flatMap((i) => g.nodes[i]!.inputs))].filter((v) => v !== '' && !made.has(v) && !g.initializers.has(v));
    // Values the nodes still to run after these read: held for them, and all that stays held.
    const later = new Set<string>();
    if (this.holding) g.nodes.forEach((n, i) => { if (!need.has(i) && !this.ran.has(i)) n.inputs.forEach((v) => later.add(v)); });
    const keep = [...made].filter((v) => v === name || later.has(v));
    const sub: Graph = {
      name: `${g.name}.calibration`,
      inputs: reads.map((v) => this.info(v)),
      outputs: keep.map((v) => this.info(v)),
      initializers: g.initializers,
      nodes: order.map((i) => g.nodes[i]!),
    };
    const session = await compile({ ...model, graph: sub }, { backend: 'wasm', threads: this.threads, disablePasses: FUSION_PASS_NAMES });
    const out = new Map<string, FloatTensor[]>(keep.map((v) => [v, []]));
    try {
      for (let b = 0, start = 0; start < this.images; b++, start += CALIBRATION_BATCH) {
        const r = await session.run(Object.fromEntries(reads.map((v) => [v, v === this.input ? this.inputBatch(start) : this.held.get(v)![b]!])), { layout: 'nhwc' });
        for (const v of keep) {
          const t = r[v];
          if (t?.dtype !== 'float32') fail('INVALID_MODEL', `reconstruction: calibration value '${v}' is not float32`);
          if (this.holding) out.get(v)!.push(t);
          if (v === name) fn(t, start);
        }
      }
    } finally {
      session.dispose();
    }
    if (!this.holding) return;
    for (const i of order) this.ran.add(i);
    for (const [v, ts] of out) this.held.set(v, ts);
    for (const v of [...this.held.keys()]) if (!later.has(v)) this.held.delete(v);
    if (this.heldBytes() > this.budgetBytes) {
      this.holding = false;
      this.held.clear();
      this.ran.clear();
    }
  }

  /** Model-input images start… as an NHWC batch. */
  private inputBatch(start: number): FloatTensor {
    return toLayout(batchTensor(this.data, start, Math.min(CALIBRATION_BATCH, this.images - start), this.pre), 'nhwc');
  }

  private info(v: string): { name: string; dtype: 'float32'; shape: (string | number)[] } {
    const t = this.types.get(v);
    if (t === undefined || t.dtype !== 'float32') fail('UNSUPPORTED', `reconstruction: '${v}' is not a float32 value of known shape`);
    return { name: v, dtype: 'float32', shape: ['batch', ...t.shape.slice(1)] };
  }
}
