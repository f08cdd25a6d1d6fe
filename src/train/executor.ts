/**
 * The training executor: runs one SGD step over a TrainProgram with a checkpoint plan, every tensor
 * in one TrainMemory so the peak it measures is exact.
 *
 * Schedule for checkpoints C = {c_1 < … < c_k} ⊆ {1…n−1} (c_0 = 0, c_{k+1} = n), the contract
 * with the planners in src/plan (docs/checkpointing.md):
 *   forward  stages 1…c_k keep nothing (x_{i−1} is freed after stage i unless it is a checkpoint);
 *            stages c_k+1…n save what their backward needs (no recomputation for the last segment);
 *   loss     dx_n;
 *   backward the last segment, then each earlier segment (l, r]: recompute stages l+1…r from x_l in
 *            save mode (the recomputed duplicate of x_r is dropped at once), then back-propagate
 *            r…l+1. Stage i's backward frees dx_i, its saved data and x_i, and leaves dx_{i−1}.
 * BatchNormalization running statistics are updated by the first forward of a stage in a step
 * only, never by a recomputation.
 */
import { assert, fail } from '../errors.js';
import type { Chain } from '../plan/index.js';
import { TrainMemory } from './memory.js';
import type { Node } from '../graph/ir.js';
import { featureLoss, type FeatureDistillation } from './ops/loss.js';
import type { BackwardArgs } from './ops/types.js';
import { bytesOf, type ProgramNode, type TrainProgram } from './program.js';
import { programStages, type Stage } from './stages.js';

export interface Buf {
  readonly ptr: number;
  readonly len: number;
}

export interface OptimizerConfig {
  /** Learning rate of this step (the schedule lives outside the executor). */
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  /** Rescale the gradient to this global L2 norm when it is larger (0: no clipping). */
  clipNorm: number;
}

export interface StepResult {
  /** The whole loss: the loss function's plus the feature terms. */
  readonly loss: number;
  /** The feature distillation terms of `loss` (0 without). */
  readonly featureLoss: number;
  readonly correct: number;
  /** Highest live bytes during the step (exact: every tensor of the step is in TrainMemory). */
  readonly peakBytes: number;
}

export interface LossFn {
  (logits: Float32Array, labels: Int32Array, n: number, classes: number, dLogits: Float32Array): { loss: number; correct: number };
}

interface ParamSlot {
  readonly name: string;
  readonly w: Buf;
  readonly grad: Buf;
  readonly mom: Buf;
  readonly decay: boolean;
  /** 1 where the weight may change, 0 where pruning fixed it at zero. */
  mask: Float32Array | undefined;
  /**
   * Dynamic masks (sparse-refined straight-through training): the dense weights behind `w`. The
   * forward and backward run on w = dense ⊙ mask; the update goes to `dense` (pruned entries too, so
   * a pruned weight can grow back when the mask is recomputed), with an extra decay on pruned entries.
   */
  shadow: { readonly dense: Buf; readonly decay: number } | undefined;
}

interface StageState {
  /** Values of this stage kept for its backward (save mode), by name. */
  readonly kept: Map<string, Buf>;
  /** Per node index: saved extras. */
  readonly saved: Map<number, Buf[]>;
}

export interface ExecutorOptions {
  readonly memory?: TrainMemory;
  readonly loss: LossFn;
  /**
   * Feature distillation (ops/loss.ts featureLoss) on these stage outputs: the executor holds a
   * target buffer per value (featureTarget(), stored like the activation: NHWC for rank 4) for the
   * teacher's value on the loaded batch. The gradient joins dx_i as stage i's backward begins, when
   * x_i is still live in every schedule.
   */
  readonly features?: FeatureDistillation;
}

export class TrainExecutor {
  readonly mem: TrainMemory;
  readonly stages: readonly Stage[];
  readonly params: readonly ParamSlot[];
  private readonly paramByName = new Map<string, ParamSlot>();
  private readonly fixed = new Map<string, Buf>();
  private readonly values = new Map<string, Buf>();
  private readonly xIn: Buf;
  private readonly labels: Buf;
  private readonly stageOf = new Map<string, number>();
  /** For each value, how many backward readers (needs) in its stage. */
  private readonly needCount = new Map<string, number>();
  private state: StageState[] = [];
  private dx: Buf | undefined;
  /** Feature distillation targets by stage output name (in TrainMemory: the measured peak counts them). */
  private readonly targets = new Map<string, Buf>();

  constructor(readonly program: TrainProgram, private readonly opts: ExecutorOptions) {
    this.mem = opts.memory ?? new TrainMemory();
    this.stages = programStages(program);
    const g = program.graph;
    const slots: ParamSlot[] = [];
    for (const p of program.params) {
      const t = g.initializers.get(p.name)!;
      assert(t.dtype === 'float32', `parameter ${p.name} is not float32`);
      const w = this.allocBuf(t.data.length, `param:${p.name}`);
      this.view(w).set(t.data);
      const slot: ParamSlot = { name: p.name, w, grad: this.allocBuf(t.data.length, `grad:${p.name}`, true), mom: this.allocBuf(t.data.length, `momentum:${p.name}`, true), decay: p.decay, mask: undefined, shadow: undefined };
      slots.push(slot);
      this.paramByName.set(p.name, slot);
    }
    this.params = slots;
    for (const b of program.buffers) {
      const t = g.initializers.get(b)!;
      assert(t.dtype === 'float32', `buffer ${b} is not float32`);
      const buf = this.allocBuf(t.data.length, `buffer:${b}`);
      this.view(buf).set(t.data);
      this.fixed.set(b, buf);
    }
    for (const [name, data] of program.constants) {
      const buf = this.allocBuf(data.length, `const:${name}`);
      this.view(buf).set(data);
      this.fixed.set(name, buf);
    }
    this.xIn = this.allocBuf(bytesOf(program.shapes.get(program.input)!) / 4, 'input');
    this.labels = this.allocBuf(program.batch, 'labels');
    const f = opts.features;
    if (f !== undefined) {
      if (!(f.weight > 0)) fail('INVALID_ARGUMENT', `feature distillation needs a positive weight, got ${f.weight}`);
      if (f.values.length === 0) fail('INVALID_ARGUMENT', 'feature distillation needs at least one value');
      const boundaries = new Set(this.stages.slice(0, -1).map((s) => s.output));
      for (const v of f.values) {
        if (!boundaries.has(v)) fail('INVALID_ARGUMENT', `feature distillation: '${v}' is not a boundary of ${program.graph.name}'s training chain (one value between two stages, not the output); the boundaries: ${[...boundaries].join(', ')}`);
        if (!this.targets.has(v)) this.targets.set(v, this.allocBuf(bytesOf(program.shapes.get(v)!) / 4, `feature:${v}`, true));
      }
    }
    this.stages.forEach((s, i) => {
      for (let j = s.start; j < s.end; j++) for (const o of program.nodes[j]!.node.outputs) if (o !== '') this.stageOf.set(o, i);
      this.state.push({ kept: new Map(), saved: new Map() });
      for (let j = s.start; j < s.end; j++) {
        for (const n of this.backwardReads(program.nodes[j]!)) this.needCount.set(n, (this.needCount.get(n) ?? 0) + 1);
      }
    });
  }

  /** Bytes live between steps: parameters, gradients, optimizer state, buffers, constants, the input batch. */
  get baseBytes(): number {
    return this.mem.liveBytes;
  }

  get inputView(): Float32Array {
    return this.view(this.xIn);
  }

  /** The teacher's value of a distilled stage output for the loaded batch (write it before step()). A fresh view: memory growth detaches old ones. */
  featureTarget(name: string): Float32Array {
    const b = this.targets.get(name);
    if (b === undefined) fail('NOT_FOUND', `'${name}' is not a feature-distilled value of this trainer`);
    return this.view(b);
  }

  /** Names of the feature-distilled values. */
  get featureValues(): string[] {
    return [...this.targets.keys()];
  }

  get labelView(): Int32Array {
    return new Int32Array(this.mem.memory.buffer, this.labels.ptr, this.labels.len);
  }

  param(name: string): Float32Array {
    const p = this.paramByName.get(name);
    if (p === undefined) fail('NOT_FOUND', `no parameter '${name}'`);
    return this.view(p.w);
  }

  paramSlot(name: string): ParamSlot | undefined {
    return this.paramByName.get(name);
  }

  buffer(name: string): Float32Array | undefined {
    const b = this.fixed.get(name);
    return b === undefined ? undefined : this.view(b);
  }

  setMask(name: string, mask: Float32Array | undefined): void {
    const p = this.paramByName.get(name);
    if (p === undefined) fail('NOT_FOUND', `no parameter '${name}'`);
    assert(mask === undefined || mask.length === p.w.len, `mask of ${name} has the wrong length`);
    p.mask = mask;
  }

  /**
   * Starts dynamic masks on a parameter: `dense` becomes its shadow (allocated in TrainMemory, so the
   * measured peak counts it), `mask` its current mask, and w = dense ⊙ mask. `decay` pulls pruned
   * entries of the shadow toward zero (SR-STE's λ_W).
   */
  setShadow(name: string, dense: Float32Array, mask: Float32Array, decay: number): void {
    const p = this.paramByName.get(name);
    if (p === undefined) fail('NOT_FOUND', `no parameter '${name}'`);
    assert(dense.length === p.w.len && mask.length === p.w.len, `shadow of ${name} has the wrong length`);
    if (p.shadow === undefined) p.shadow = { dense: this.allocBuf(p.w.len, `shadow:${name}`), decay };
    else p.shadow = { dense: p.shadow.dense, decay };
    this.view(p.shadow.dense).set(dense);
    this.setShadowMask(p, mask);
  }

  /** Replaces the mask of a parameter with a shadow and re-derives w = dense ⊙ mask. */
  setShadowMask(p: ParamSlot, mask: Float32Array): void {
    assert(p.shadow !== undefined, `${p.name} has no shadow`);
    p.mask = mask;
    const w = this.view(p.w), d = this.view(p.shadow.dense);
    for (let k = 0; k < w.length; k++) w[k] = mask[k] === 0 ? 0 : d[k]!;
  }

  /** Ends dynamic masks on a parameter: w (already dense ⊙ mask) stays, the mask becomes fixed, the shadow is freed. */
  clearShadow(name: string): void {
    const p = this.paramByName.get(name);
    if (p?.shadow === undefined) return;
    const m = this.view(p.mom);
    for (let k = 0; k < m.length; k++) if (p.mask![k] === 0) m[k] = 0;
    this.freeBuf(p.shadow.dense);
    p.shadow = undefined;
  }

  view(b: Buf): Float32Array {
    return this.mem.f32(b.ptr, b.len);
  }

  private allocBuf(len: number, tag: string, zero = false): Buf {
    const ptr = zero ? this.mem.allocZeroed(len * 4, tag) : this.mem.alloc(len * 4, tag);
    return { ptr, len };
  }

  private freeBuf(b: Buf): void {
    this.mem.release(b.ptr);
  }

  private isActivation(name: string): boolean {
    return name !== '' && this.program.shapes.has(name) && !this.program.constants.has(name);
  }

  private lookup(name: string): Float32Array | undefined {
    if (name === '') return undefined;
    if (name === this.program.input) return this.view(this.xIn);
    const p = this.paramByName.get(name);
    if (p !== undefined) return this.view(p.w);
    const f = this.fixed.get(name);
    if (f !== undefined) return this.view(f);
    const v = this.values.get(name);
    return v === undefined ? undefined : this.view(v);
  }

  // ---- stages ----

  /**
   * Runs stage i forward. Save mode keeps what the stage's backward needs (in `state[i]`); no-save
   * mode frees every value at its last use. The stage input is never freed here.
   */
  forwardStage(i: number, save: boolean, updateStats: boolean, statsMomentum?: number): void {
    const s = this.stages[i]!;
    const st = this.state[i]!;
    const remaining = new Map<string, number>();
    for (let j = s.start; j < s.end; j++) {
      for (const n of new Set(this.program.nodes[j]!.node.inputs)) if (this.isActivation(n) && n !== s.input) remaining.set(n, (remaining.get(n) ?? 0) + 1);
    }
    for (let j = s.start; j < s.end; j++) {
      const pn = this.program.nodes[j]!;
      const ins = pn.node.inputs.map((n) => this.lookup(n));
      // In place: an elementwise op whose input dies here (and is not kept for backward) writes over it.
      const v = pn.node.inputs[0]!;
      const inPlace = pn.op.forwardInPlace === true && remaining.get(v) === 1 && v !== s.output && this.values.has(v) &&
        !(save && (this.needCount.get(v) ?? 0) > 0) && pn.node.inputs.filter((n) => n === v).length === 1;
      const outs: Buf[] = pn.node.outputs.map((o, k) => {
        let b: Buf;
        if (k === 0 && inPlace) {
          b = this.values.get(v)!;
          this.values.delete(v);
        } else b = this.allocBuf(bytesOf(pn.shapes.outputs[k]!) / 4, `act:${o}`);
        this.values.set(o, b);
        return b;
      });
      const saved = save ? pn.savedSizes.map((len, k) => this.allocBuf(len, `saved:${pn.node.name}:${k}`)) : [];
      pn.op.forward({
        attrs: pn.node.attrs as never,
        shapes: pn.shapes,
        inputs: ins,
        outputs: outs.map((b) => this.view(b)),
        saved: saved.map((b) => this.view(b)),
        training: true,
        save,
        updateStats,
        ...(statsMomentum !== undefined ? { statsMomentum } : {}),
      });
      if (save) st.saved.set(j, saved);
      // Free values at their last forward use unless the backward needs them.
      for (const n of new Set(pn.node.inputs)) {
        if (!remaining.has(n)) continue;
        const left = remaining.get(n)! - 1;
        remaining.set(n, left);
        if (left === 0) this.dropForward(n, s, st, save);
      }
      // Outputs nobody reads (and that are not the stage output) die at once.
      for (const o of pn.node.outputs) if (o !== '' && o !== s.output && !remaining.has(o)) this.dropForward(o, s, st, save);
    }
  }

  private dropForward(n: string, s: Stage, st: StageState, save: boolean): void {
    if (n === s.output || n === s.input) return;
    const b = this.values.get(n);
    if (b === undefined) return;
    if (save && (this.needCount.get(n) ?? 0) > 0) {
      st.kept.set(n, b);
      return;
    }
    this.freeValue(n);
  }

  /** The activations node `pn`'s backward reads (its `needs`), which must stay alive until it has run. */
  private backwardReads(pn: ProgramNode): Set<string> {
    const names = new Set<string>();
    pn.node.inputs.forEach((n, k) => { if (pn.needs.inputs[k] && this.isActivation(n)) names.add(n); });
    pn.node.outputs.forEach((n, k) => { if (pn.needs.outputs[k] && n !== '') names.add(n); });
    return names;
  }

  private backwardArgs(pn: ProgramNode, saved: readonly Buf[], dOutputs: readonly (Float32Array | undefined)[], dInputs: readonly (Float32Array | undefined)[], fresh?: readonly boolean[]): BackwardArgs<Node['op']> {
    return {
      ...(fresh !== undefined ? { fresh } : {}),
      attrs: pn.node.attrs as never,
      shapes: pn.shapes,
      inputs: pn.node.inputs.map((n, k) => (pn.needs.inputs[k] ? this.lookup(n) : undefined)),
      outputs: pn.node.outputs.map((n, k) => (pn.needs.outputs[k] ? this.lookup(n) : undefined)),
      saved: saved.map((b) => this.view(b)),
      dOutputs,
      dInputs,
    };
  }

  /**
   * Back-propagates stage i. `this.dx` holds dx_i on entry and dx_{i−1} on exit (undefined for the
   * first stage, whose input gradient nobody needs). Frees dx_i, the stage's saved data and x_i.
   */
  backwardStage(i: number): void {
    const s = this.stages[i]!;
    const st = this.state[i]!;
    const grads = new Map<string, Buf>();
    if (this.dx !== undefined) grads.set(s.output, this.dx);
    const wantInputGrad = i > 0;
    const left = new Map<string, number>();
    for (let j = s.end - 1; j >= s.start; j--) {
      const pn = this.program.nodes[j]!;
      const dOuts = pn.node.outputs.map((o) => grads.get(o));
      const saved = st.saved.get(j) ?? [];
      const v = pn.node.inputs[0]!;
      const d0 = dOuts[0];
      if (pn.op.backwardInPlace !== undefined && d0 !== undefined && pn.node.outputs.length === 1 && this.isActivation(v) &&
        v !== this.program.input && (v !== s.input || wantInputGrad) && !grads.has(v) && this.program.readers.get(v)?.length === 1) {
        // The input gradient is computed over dy's buffer, which then becomes the input's gradient.
        pn.op.backwardInPlace(this.backwardArgs(pn, saved, [this.view(d0)], [this.view(d0)]));
        grads.delete(pn.node.outputs[0]!);
        grads.set(v, d0);
      } else if (dOuts.some((d) => d !== undefined)) {
        let fresh: boolean[] | undefined;
        const dIns = pn.node.inputs.map((n, k) => {
          const p = this.paramByName.get(n);
          if (p !== undefined) return this.view(p.grad);
          if (!this.isActivation(n) || (n === s.input && !wantInputGrad) || n === this.program.input) return undefined;
          let g = grads.get(n);
          if (g === undefined) {
            // This op is the gradient's only writer when it is the value's only reader (and reads it once):
            // an op that can overwrite gets the buffer unzeroed.
            const only = pn.op.overwrites?.(k) === true && this.program.readers.get(n)?.length === 1 && pn.node.inputs.indexOf(n) === k && pn.node.inputs.lastIndexOf(n) === k;
            g = this.allocBuf(bytesOf(this.program.shapes.get(n)!) / 4, `grad:${n}`, !only);
            grads.set(n, g);
            if (only) (fresh ??= pn.node.inputs.map(() => false))[k] = true;
          }
          return this.view(g);
        });
        pn.op.backward(this.backwardArgs(pn, saved, dOuts.map((d) => (d === undefined ? undefined : this.view(d))), dIns, fresh));
      }
      for (const b of saved) this.freeBuf(b);
      st.saved.delete(j);
      for (const o of pn.node.outputs) {
        const d = grads.get(o);
        if (d !== undefined) {
          this.freeBuf(d);
          grads.delete(o);
        }
      }
      // Values whose last backward reader this was.
      for (const n of this.backwardReads(pn)) {
        const c = (left.get(n) ?? this.needCount.get(n) ?? 0) - 1;
        left.set(n, c);
        if (c === 0 && n !== s.input && n !== s.output) {
          if (st.kept.delete(n)) this.freeValue(n);
        }
      }
    }
    for (const n of st.kept.keys()) this.freeValue(n);
    st.kept.clear();
    // x_i dies with its stage's backward (x_0, the input batch, lives in the base).
    this.freeValue(s.output);
    this.dx = grads.get(s.input);
    grads.delete(s.input);
    assert(grads.size === 0, `stage ${i} left gradients of ${[...grads.keys()].join(', ')}`);
    if (wantInputGrad && this.dx === undefined) this.dx = this.allocBuf(bytesOf(this.program.shapes.get(s.input)!) / 4, `grad:${s.input}`, true);
  }

  private freeValue(name: string): void {
    const b = this.values.get(name);
    if (b === undefined) return;
    this.values.delete(name);
    this.freeBuf(b);
  }

  private lossStage(): { loss: number; correct: number } {
    const out = this.program.output;
    const logits = this.values.get(out)!;
    this.dx = this.allocBuf(logits.len, `grad:${out}`);
    return this.opts.loss(this.view(logits), this.labelView, this.program.batch, this.program.classes, this.view(this.dx));
  }

  /**
   * One training step with checkpoints C (stage numbers 1…n−1 in chain terms: checkpoint c keeps
   * the output of stages[c−1]). The input batch and labels must already be in inputView/labelView.
   * Gradients are left in the gradient buffers; call applyOptimizer() to update.
   */
  step(checkpoints: readonly number[]): StepResult {
    const n = this.stages.length;
    const C = new Set(checkpoints);
    for (const c of C) if (!Number.isInteger(c) || c < 1 || c > n - 1) fail('INVALID_ARGUMENT', `checkpoint ${c} is not a stage boundary 1…${n - 1}`);
    const sorted = [...C].sort((a, b) => a - b);
    const ck = sorted.length === 0 ? 0 : sorted[sorted.length - 1]!;
    this.mem.resetPeak();
    for (const p of this.params) this.mem.zero(p.grad.ptr, p.grad.len * 4);
    // Forward.
    for (let i = 1; i <= n; i++) {
      if (i <= ck) {
        this.forwardStage(i - 1, false, true);
        if (i - 1 >= 1 && !C.has(i - 1)) this.freeValue(this.stages[i - 2]!.output);
      } else this.forwardStage(i - 1, true, true);
    }
    const res = this.lossStage();
    let featureLoss = 0;
    const backward = (i: number): void => {
      featureLoss += this.featureGrad(i);
      this.backwardStage(i);
    };
    // Backward of the last segment.
    for (let i = n; i > ck; i--) backward(i - 1);
    // Earlier segments, right to left.
    const bounds = [0, ...sorted];
    for (let m = bounds.length - 1; m >= 1; m--) {
      const l = bounds[m - 1]!, r = bounds[m]!;
      const xr = this.values.get(this.stages[r - 1]!.output)!;
      for (let i = l + 1; i <= r; i++) {
        this.forwardStage(i - 1, true, false);
        if (i === r) {
          // Drop the recomputed duplicate of the checkpoint; backward reads the checkpoint itself.
          this.freeValue(this.stages[r - 1]!.output);
          this.values.set(this.stages[r - 1]!.output, xr);
        }
      }
      for (let i = r; i > l; i--) backward(i - 1);
    }
    assert(this.dx === undefined, 'the first stage left an input gradient');
    assert(this.values.size === 0, `values left after the step: ${[...this.values.keys()].join(', ')}`);
    return { loss: res.loss + featureLoss, correct: res.correct, featureLoss, peakBytes: this.mem.peakLiveBytes };
  }

  /** Adds the feature loss gradient of stage i's output (when it is a distilled value) to dx_i; returns the term. */
  private featureGrad(i: number): number {
    const name = this.stages[i]!.output;
    const t = this.targets.get(name);
    if (t === undefined) return 0;
    const x = this.values.get(name);
    assert(x !== undefined && this.dx !== undefined, `feature distillation: ${name} or its gradient is not live at its stage's backward`);
    return featureLoss(this.view(x), this.view(t), this.opts.features!.weight / this.targets.size, this.view(this.dx));
  }

  /**
   * A training-mode forward pass on the loaded batch that only updates BatchNorm running statistics
   * (with `momentum` instead of each node's own, if given): no loss, no gradients, every value freed
   * as soon as the next stage has read it.
   */
  refreshStatistics(momentum?: number): void {
    this.forwardOnly({ updateStats: true, statsMomentum: momentum });
  }

  /**
   * Training-mode forward over every stage with nothing kept for a backward: each stage output is
   * handed to `visit` (if given) and freed once the next stage has read it.
   */
  private forwardOnly(opts: {
    readonly updateStats: boolean;
    readonly visit?: (name: string, value: Float32Array) => void;
    readonly statsMomentum?: number | undefined;
  }): void {
    const { updateStats, visit, statsMomentum } = opts;
    const n = this.stages.length;
    for (let i = 1; i <= n; i++) {
      this.forwardStage(i - 1, false, updateStats, statsMomentum);
      const name = this.stages[i - 1]!.output;
      visit?.(name, this.view(this.values.get(name)!));
      if (i >= 2) this.freeValue(this.stages[i - 2]!.output);
    }
    this.freeValue(this.stages[n - 1]!.output);
    assert(this.values.size === 0, `values left after a forward pass: ${[...this.values.keys()].join(', ')}`);
  }

  /**
   * A training-mode forward pass on the loaded batch (BatchNorm normalises with the batch's own
   * statistics; running statistics untouched, no gradients) that copies the stage outputs named in
   * `into` (the final output included) out of the arena; every value is freed as soon as the next
   * stage has read it. A teacher run this way sees a batch exactly as a student in training does.
   */
  forwardInto(into: ReadonlyMap<string, Float32Array>): void {
    const outputs = new Set(this.stages.map((s) => s.output));
    for (const [name, dst] of into) {
      if (!outputs.has(name)) fail('INVALID_ARGUMENT', `'${name}' is not a stage output of ${this.program.graph.name}'s training chain`);
      const len = bytesOf(this.program.shapes.get(name)!) / 4;
      if (dst.length !== len) fail('SHAPE_MISMATCH', `'${name}' has ${len} values for the batch, its destination ${dst.length}`);
    }
    this.forwardOnly({ updateStats: false, visit: (name, value) => into.get(name)?.set(value) });
  }

  /** SGD with momentum and weight decay; masked weights (pruning) stay exactly zero. */
  applyOptimizer(cfg: OptimizerConfig): void {
    let scale = 1;
    if (cfg.clipNorm > 0) {
      let sq = 0;
      for (const p of this.params) {
        const g = this.view(p.grad);
        for (let k = 0; k < g.length; k++) sq += g[k]! * g[k]!;
      }
      const norm = Math.sqrt(sq);
      if (norm > cfg.clipNorm) scale = cfg.clipNorm / norm;
    }
    for (const p of this.params) {
      const w = this.view(p.w), g = this.view(p.grad), m = this.view(p.mom);
      const wd = p.decay ? cfg.weightDecay : 0;
      const mask = p.mask;
      if (p.shadow !== undefined) {
        // Straight-through: the gradient of the masked weights updates the dense ones.
        const d = this.view(p.shadow.dense);
        const sr = p.shadow.decay;
        for (let k = 0; k < w.length; k++) {
          const kept = mask === undefined || mask[k] !== 0;
          const gk = scale * g[k]! + wd * d[k]! + (kept ? 0 : sr * d[k]!);
          const mk = cfg.momentum * m[k]! + gk;
          m[k] = mk;
          d[k] = d[k]! - cfg.lr * (cfg.nesterov ? gk + cfg.momentum * mk : mk);
          w[k] = kept ? d[k]! : 0;
        }
        continue;
      }
      for (let k = 0; k < w.length; k++) {
        if (mask !== undefined && mask[k] === 0) {
          w[k] = 0;
          m[k] = 0;
          continue;
        }
        const gk = scale * g[k]! + wd * w[k]!;
        const mk = cfg.momentum * m[k]! + gk;
        m[k] = mk;
        w[k] = w[k]! - cfg.lr * (cfg.nesterov ? gk + cfg.momentum * mk : mk);
      }
    }
  }

  /**
   * Measures the chain quantities of docs/checkpointing.md by running every stage in isolation on
   * the current batch (no-save forward, save forward, loss, backward) with the allocator counting:
   * the planner's "revised objective" is built from what the executor really allocates.
   * Updates no statistics and no weights.
   */
  measureChain(): Chain {
    const n = this.stages.length;
    const a = [bytesOfValue(this, this.program.input)];
    const s = [0], fn = [0], fs = [0], b = [0], t = [0];
    const base = this.mem.liveBytes;
    for (const p of this.params) this.mem.zero(p.grad.ptr, p.grad.len * 4);
    for (let i = 1; i <= n; i++) {
      const out = this.stages[i - 1]!.output;
      a.push(bytesOfValue(this, out));
      let start = this.mem.liveBytes;
      this.mem.resetPeak();
      const t0 = performance.now();
      this.forwardStage(i - 1, false, false);
      t.push(performance.now() - t0);
      fn.push(this.mem.peakLiveBytes - start);
      this.freeValue(out);
      start = this.mem.liveBytes;
      this.mem.resetPeak();
      this.forwardStage(i - 1, true, false);
      fs.push(this.mem.peakLiveBytes - start);
      s.push(this.mem.liveBytes - start - a[i]!);
    }
    let start = this.mem.liveBytes;
    this.mem.resetPeak();
    this.lossStage();
    const loss = this.mem.peakLiveBytes - start;
    const bw: number[] = new Array(n + 1).fill(0);
    for (let i = n; i >= 1; i--) {
      start = this.mem.liveBytes;
      this.mem.resetPeak();
      this.backwardStage(i - 1);
      bw[i] = this.mem.peakLiveBytes - start;
    }
    b.push(...bw.slice(1));
    for (const p of this.params) this.mem.zero(p.grad.ptr, p.grad.len * 4);
    assert(this.mem.liveBytes === base, 'measuring the chain leaked memory');
    return { n, base, a, s, fn, fs, b, loss, t };
  }

  /** Copies trained parameters and buffers back into initializers. */
  exportInitializers(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const p of this.params) out.set(p.name, Float32Array.from(this.view(p.w)));
    for (const b of this.program.buffers) out.set(b, Float32Array.from(this.view(this.fixed.get(b)!)));
    return out;
  }
}

function bytesOfValue(ex: TrainExecutor, name: string): number {
  return Math.max(64, Math.ceil(bytesOf(ex.program.shapes.get(name)!) / 64) * 64);
}
