/**
 * The training API: a Trainer owns a compiled training program, its executor and a checkpoint plan.
 *
 *   const t = await createTrainer(model, { batch: 64, checkpoint: 'linear' });
 *   t.loadBatch(images, indices, rng);            // or write t.inputView / t.labelView yourself
 *   const r = t.step(0.01);                       // forward, backward, SGD update
 *   const tuned = t.model();                      // a Model with the trained weights
 *
 * Pruned weights (layers listed in the model's sparsecnn.pruning metadata, or every exact zero with
 * `freezeZeros`) are masked: they stay exactly zero, so the model keeps its pattern and still runs
 * on the sparse kernels.
 */
import type { ImageBatch } from '../data/cifar10.js';
import { fail } from '../errors.js';
import type { Model, Preprocessing } from '../graph/ir.js';
import { floatTensor, type Tensor } from '../graph/tensor.js';
import { type Chain, parsePlanner, simulate } from '../plan/index.js';
import { readPruningMetadata } from '../prune/metadata.js';
import { colNmMask } from '../prune/patterns/colnm.js';
import { Rng } from '../zoo/rng.js';
import { CIFAR_AUGMENTATION, fillBatch, NO_AUGMENTATION, type Augmentation } from './data.js';
import { TrainExecutor, type OptimizerConfig } from './executor.js';
import { REF_TRAIN_OPS } from './ops/index.js';
import { distillationLoss, softmaxCrossEntropy, type DistillationConfig } from './ops/loss.js';
import type { TrainOps } from './ops/types.js';
import { buildProgram, type TrainProgram } from './program.js';
import { programStages } from './stages.js';
import { TrainMemory } from './memory.js';
import { foldBatchNorm, needsUnfolding, unfoldBatchNorm } from './bn-unfold.js';
import { wasmTrainOps, type WasmTrainContext } from './wasm-ops.js';

export type TrainBackend = 'ref' | 'wasm';

export interface TrainerOptions {
  readonly batch: number;
  /** 'wasm' (default): SIMD kernels for conv; 'ref': the plain TypeScript oracle. */
  readonly backend?: TrainBackend;
  readonly threads?: number;
  /** Planner spec ('store-all', 'sqrt', 'uniform:4', 'dp', 'linear', …) or explicit checkpoints. Default 'store-all'. */
  readonly checkpoint?: string | readonly number[];
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly nesterov?: boolean;
  /** Clip the gradient's global L2 norm (default 5; 0 disables): pruned models start far from a minimum. */
  readonly clipNorm?: number;
  /** Keep every weight that is exactly zero at zero (default: only layers the pruning metadata lists). */
  readonly freezeZeros?: boolean;
  readonly augmentation?: Augmentation;
  /**
   * Images to calibrate BatchNorm unfolding on (bn-unfold.ts): a model with BatchNorm folded into
   * its convs gets a calibrated BN after each, trained, and folded back by trainedModel(). Without
   * it a folded model trains as it is, which needs a small learning rate.
   */
  readonly calibration?: {
    readonly data: ImageBatch;
    readonly pre: Preprocessing;
    readonly images?: number;
    /**
     * The model this one was pruned from: the unfolded BatchNorms then restore each channel's mean
     * and spread from before pruning (statistics matching, bn-unfold.ts) instead of computing the identity.
     */
    readonly reference?: Model;
  };
  /**
   * Train against a teacher's logits too (knowledge distillation, ops/loss.ts distillationLoss):
   * write the teacher's [batch, classes] logits for the loaded batch into teacherLogitsView before
   * each step (finetune() does, given a teacher).
   */
  readonly distill?: DistillationConfig;
}

/**
 * Dynamic masks (Trainer.startDynamicMasks): sparse-refined straight-through training (SR-STE, Zhou
 * et al. 2021) on the colnm layers of a pruned model.
 */
export interface DynamicMaskOptions {
  /**
   * The model before pruning (same weight names): its weights become the dense weights behind the
   * masks, so the rows pruning removed start from their trained values, not from zero.
   * Default: the pruned model's own weights (pruned rows start at zero).
   */
  readonly dense?: Model;
  /** SR-STE's λ_W: extra weight decay on the pruned entries of the dense weights (default 2e-4). */
  readonly decay?: number;
}

/** A colnm conv whose mask is recomputed from its dense weights while dynamic masks run. */
interface DynamicLayer {
  readonly param: string;
  readonly OC: number;
  readonly Cin: number;
  readonly kh: number;
  readonly kw: number;
  readonly n: number;
  readonly m: number;
  readonly tile: number;
}

export interface PlanInfo {
  readonly planner: string;
  readonly checkpoints: readonly number[];
  readonly predictedPeakBytes: number;
}

export interface TrainStepResult {
  readonly loss: number;
  /** The feature distillation share of `loss` (0 without). */
  readonly featureLoss: number;
  readonly correct: number;
  readonly peakBytes: number;
  readonly ms: number;
}

export class Trainer {
  private planInfo: PlanInfo | undefined;
  private dynamic: DynamicLayer[] = [];
  /** Layers whose mask came from dynamic masks (now fixed): the state keeps their masks, which no longer follow from the starting zeros. */
  private fixedDynamic: DynamicLayer[] = [];
  private chainCache: Chain | undefined;
  private readonly opt: Omit<OptimizerConfig, 'lr'>;
  readonly augmentation: Augmentation;

  private constructor(
    readonly model: Model,
    readonly program: TrainProgram,
    readonly executor: TrainExecutor,
    private readonly planSpec: string | readonly number[],
    private readonly opts: TrainerOptions,
    private readonly wasm: WasmTrainContext | undefined,
    /** BatchNorm nodes added by unfolding (folded back on export). */
    readonly unfoldedBatchNorms: number,
    private readonly teacherLogits: Float32Array | undefined,
  ) {
    this.opt = { momentum: opts.momentum ?? 0.9, weightDecay: opts.weightDecay ?? 5e-4, nesterov: opts.nesterov ?? false, clipNorm: opts.clipNorm ?? 5 };
    this.augmentation = opts.augmentation ?? CIFAR_AUGMENTATION;
  }

  static async create(model: Model, opts: TrainerOptions): Promise<Trainer> {
    let added = 0;
    if (opts.calibration !== undefined && needsUnfolding(model)) {
      const u = await unfoldBatchNorm(model, opts.calibration.data, opts.calibration.pre, opts.calibration.images, opts.calibration.reference);
      model = u.model;
      added = u.added;
    }
    const backend = opts.backend ?? 'wasm';
    if (backend !== 'ref' && backend !== 'wasm') fail('INVALID_ARGUMENT', `unknown training backend '${String(backend)}' (ref, wasm)`);
    const memory = new TrainMemory();
    let ops: TrainOps = REF_TRAIN_OPS;
    let wasm: WasmTrainContext | undefined;
    if (backend === 'wasm') {
      wasm = await wasmTrainOps(memory, opts.threads ?? 1);
      ops = wasm.ops;
    }
    const program = buildProgram(model, opts.batch, ops);
    const d = opts.distill;
    if (d !== undefined && !(d.alpha >= 0 && d.alpha <= 1 && d.temperature > 0)) fail('INVALID_ARGUMENT', `distillation needs alpha in [0, 1] and a positive temperature, got alpha ${d.alpha}, temperature ${d.temperature}`);
    const teacher = d === undefined ? undefined : new Float32Array(opts.batch * program.classes);
    const loss = d === undefined ? softmaxCrossEntropy : (l: Float32Array, y: Int32Array, n: number, k: number, dl: Float32Array) => distillationLoss(l, y, teacher!, n, k, d, dl);
    const ex = new TrainExecutor(program, { memory, loss, ...(d?.features !== undefined ? { features: d.features } : {}) });
    const t = new Trainer(model, program, ex, opts.checkpoint ?? 'store-all', opts, wasm, added, teacher);
    t.applyMasks(opts.freezeZeros ?? false);
    // Statistics matching changed what every BN sees downstream: running statistics from the corrected network.
    if (opts.calibration?.reference !== undefined && added > 0) t.refreshStatistics(opts.calibration.data, opts.calibration.pre);
    return t;
  }

  private applyMasks(freezeZeros: boolean): void {
    const layers = readPruningMetadata(this.model);
    const masked = new Set<string>();
    for (const pn of this.program.nodes) {
      if (pn.node.name in layers && (pn.node.op === 'Conv' || pn.node.op === 'Gemm')) masked.add(pn.node.inputs[1]!);
    }
    for (const p of this.program.params) {
      if (!masked.has(p.name) && !(freezeZeros && p.shape.length >= 2)) continue;
      const w = this.executor.param(p.name);
      const mask = new Float32Array(w.length);
      let zeros = 0;
      for (let i = 0; i < w.length; i++) {
        mask[i] = w[i] === 0 ? 0 : 1;
        if (w[i] === 0) zeros++;
      }
      if (zeros > 0) this.executor.setMask(p.name, mask);
    }
  }

  /**
   * Starts dynamic masks on every colnm layer of the pruning record: each layer keeps a dense copy of
   * its weights; steps run on dense ⊙ mask and update the dense copy with that gradient (straight
   * through), pruned entries included, plus `decay` on the pruned ones; refreshMasks() re-selects each
   * tile's kept rows from the dense copy (same pattern: colnm N:M, l2 row score, same tile), so rows
   * pruning got wrong can come back; fixMasks() ends it (pruned weights then stay zero). finetune()
   * runs this schedule with FinetuneConfig.dynamicMasks. Returns the number of layers.
   */
  startDynamicMasks(opts: DynamicMaskOptions = {}): number {
    if (this.dynamic.length > 0 || this.fixedDynamic.length > 0) fail('INVALID_ARGUMENT', 'dynamic masks already ran on this trainer (they start once, before training)');
    const decay = opts.decay ?? 2e-4;
    if (!(decay >= 0)) fail('INVALID_ARGUMENT', `the dynamic-mask decay must be >= 0, got ${decay}`);
    const layers = readPruningMetadata(this.model);
    const found: DynamicLayer[] = [];
    for (const pn of this.program.nodes) {
      const lp = layers[pn.node.name];
      if (pn.node.op !== 'Conv' || lp?.pattern !== 'colnm') continue;
      const name = pn.node.inputs[1]!;
      const shape = this.program.graph.initializers.get(name)!.shape;
      if (pn.node.attrs.group !== 1) fail('UNSUPPORTED', `dynamic masks: ${pn.node.name} is a grouped conv; colnm prunes regular convs only`);
      const [OC, Cin, kh, kw] = shape as [number, number, number, number];
      found.push({ param: name, OC, Cin, kh, kw, n: lp.n, m: lp.m, tile: lp.tile });
    }
    if (found.length === 0) fail('INVALID_ARGUMENT', 'dynamic masks need a model pruned with colnm: its pruning record lists no colnm conv');
    for (const l of found) {
      let dense = Float32Array.from(this.executor.param(l.param));
      if (opts.dense !== undefined) {
        const t = opts.dense.graph.initializers.get(l.param);
        if (t === undefined || t.dtype !== 'float32' || t.data.length !== dense.length) fail('INVALID_ARGUMENT', `dynamic masks: the dense model has no float32 weight '${l.param}' of ${dense.length} values; pass the model this one was pruned from`);
        dense = Float32Array.from(t.data as Float32Array);
      }
      this.executor.setShadow(l.param, dense, this.maskOf(l, dense), decay);
    }
    this.dynamic = found;
    return found.length;
  }

  private maskOf(l: DynamicLayer, dense: Float32Array): Float32Array {
    return Float32Array.from(colNmMask(dense, l.OC, l.Cin, l.kh, l.kw, { n: l.n, m: l.m, tile: l.tile, criterion: 'l2' }).mask);
  }

  /** Re-selects every dynamic layer's kept rows from its dense weights; returns how many weights changed between kept and pruned. */
  refreshMasks(): number {
    let changed = 0;
    for (const l of this.dynamic) {
      const slot = this.executor.paramSlot(l.param)!;
      const mask = this.maskOf(l, this.executor.view(slot.shadow!.dense));
      const old = slot.mask!;
      for (let k = 0; k < mask.length; k++) if (mask[k] !== old[k]) changed++;
      this.executor.setShadowMask(slot, mask);
    }
    return changed;
  }

  /** Ends dynamic masks: the current masks become fixed (pruned weights stay exactly zero from here on). */
  fixMasks(): void {
    for (const l of this.dynamic) this.executor.clearShadow(l.param);
    this.fixedDynamic.push(...this.dynamic);
    this.dynamic = [];
  }

  /** True between startDynamicMasks() and fixMasks(). */
  get dynamicMasksActive(): boolean {
    return this.dynamic.length > 0;
  }

  /** Names of parameters whose pruned weights are held at zero. */
  get maskedParams(): string[] {
    return this.executor.params.filter((p) => p.mask !== undefined).map((p) => p.name);
  }

  get inputView(): Float32Array {
    return this.executor.inputView;
  }

  get labelView(): Int32Array {
    return this.executor.labelView;
  }

  /** The teacher's [batch, classes] logits for the loaded batch (trainers created with `distill` only). */
  get teacherLogitsView(): Float32Array {
    if (this.teacherLogits === undefined) fail('INVALID_ARGUMENT', 'this trainer was created without distillation: there are no teacher logits to set');
    return this.teacherLogits;
  }

  /**
   * The teacher's values of the feature-distilled chain boundaries for the loaded batch, by name
   * (trainers created with distill.features only), stored like the activations: NHWC for rank 4,
   * i.e. a session run with { layout: 'nhwc' } writes them as they are. Fresh views each call.
   */
  teacherFeatureViews(): Map<string, Float32Array> {
    const names = this.executor.featureValues;
    if (names.length === 0) fail('INVALID_ARGUMENT', 'this trainer was created without feature distillation: there are no teacher values to set');
    return new Map(names.map((n) => [n, this.executor.featureTarget(n)]));
  }

  get distillation(): DistillationConfig | undefined {
    return this.opts.distill;
  }

  get stageCount(): number {
    return this.executor.stages.length;
  }

  /** Fills the input batch from images `indices` of `data` (augmented with `rng`; pass aug to override). */
  loadBatch(data: ImageBatch, indices: ArrayLike<number>, pre: Preprocessing, rng: Rng, aug: Augmentation = this.augmentation): void {
    if (indices.length !== this.program.batch) fail('INVALID_ARGUMENT', `a batch of ${this.program.batch} images was expected, got ${indices.length}`);
    fillBatch(this.inputView, this.labelView, data, indices, pre, aug, rng);
  }

  /** The chain quantities measured on the current batch (cached: they depend on shapes only). */
  chain(): Chain {
    this.chainCache ??= this.executor.measureChain();
    return this.chainCache;
  }

  /** Resolves the checkpoint plan (measuring the chain on the current batch the first time). */
  plan(): PlanInfo {
    if (this.planInfo === undefined) {
      const chain = this.chain();
      let planner: string;
      let checkpoints: readonly number[];
      if (typeof this.planSpec === 'string') {
        planner = this.planSpec;
        const planners = parsePlanner(this.planSpec);
        if (planners.length !== 1) fail('INVALID_ARGUMENT', `one checkpoint planner was expected, got '${this.planSpec}'`);
        checkpoints = planners[0]!.plan(chain);
      } else {
        planner = 'explicit';
        checkpoints = [...this.planSpec].sort((a, b) => a - b);
      }
      this.planInfo = { planner, checkpoints, predictedPeakBytes: simulate(chain, checkpoints).peakBytes };
    }
    return this.planInfo;
  }

  /**
   * Re-estimates BatchNorm running statistics of the current network: `batches` training-mode forward
   * passes over consecutive batches of `data` (no augmentation, no weight change). By default each
   * pass updates with the node's momentum (0.9: 30 batches leave 4% of the old statistics); with
   * `average` the result is the exact mean of the batches' statistics and the old ones are gone
   * ("precise BatchNorm": the running statistics of training describe augmented batches and weights
   * that kept moving). Needed after statistics matching (calibration.reference), whose running
   * statistics describe the network before any BN was corrected.
   */
  refreshStatistics(data: ImageBatch, pre: Preprocessing, batches = 30, opts: { readonly average?: boolean } = {}): void {
    if (!Number.isInteger(batches) || batches < 1) fail('INVALID_ARGUMENT', `statistics re-estimation needs a positive whole number of batches, got ${batches}`);
    const b = this.program.batch;
    const idx = new Uint32Array(b);
    for (let k = 0; k < batches; k++) {
      for (let i = 0; i < b; i++) idx[i] = (k * b + i) % data.count;
      fillBatch(this.inputView, this.labelView, data, idx, pre, NO_AUGMENTATION, new Rng(k));
      this.executor.refreshStatistics(opts.average === true ? k / (k + 1) : undefined);
    }
  }

  /** One SGD step at learning rate lr on the batch in inputView/labelView. */
  step(lr: number): TrainStepResult {
    const plan = this.plan();
    const t0 = performance.now();
    const r = this.executor.step(plan.checkpoints);
    this.executor.applyOptimizer({ ...this.opt, lr });
    return { loss: r.loss, featureLoss: r.featureLoss, correct: r.correct, peakBytes: r.peakBytes, ms: performance.now() - t0 };
  }

  /** The model with the trained weights and running statistics (metadata, pruning record included, unchanged). */
  trainedModel(): Model {
    const trained = this.executor.exportInitializers();
    const init = new Map<string, Tensor>(this.program.graph.initializers);
    for (const [name, data] of trained) init.set(name, floatTensor(init.get(name)!.shape, data));
    const m: Model = { ...this.model, graph: { ...this.program.graph, initializers: init } };
    return this.unfoldedBatchNorms > 0 ? foldBatchNorm(m) : m;
  }

  /** Optimizer state and buffers, for checkpoint files. */
  stateArrays(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    for (const p of this.executor.params) {
      m.set(`param:${p.name}`, this.executor.view(p.w));
      m.set(`momentum:${p.name}`, this.executor.view(p.mom));
    }
    for (const b of this.program.buffers) m.set(`buffer:${b}`, this.executor.buffer(b)!);
    for (const l of this.dynamic) {
      const slot = this.executor.paramSlot(l.param)!;
      m.set(`shadow:${l.param}`, this.executor.view(slot.shadow!.dense));
      m.set(`mask:${l.param}`, slot.mask!);
    }
    for (const l of this.fixedDynamic) m.set(`mask:${l.param}`, this.executor.paramSlot(l.param)!.mask!);
    return m;
  }

  /** Restores what stateArrays() returned (names and sizes must match). */
  loadStateArrays(arrays: ReadonlyMap<string, Float32Array>): void {
    const mine = this.stateArrays();
    for (const [k, dst] of mine) {
      const src = arrays.get(k);
      if (src === undefined || src.length !== dst.length) fail('INVALID_DATA', `the training state does not match this model ('${k}' ${src === undefined ? 'missing' : `has ${src.length} values, expected ${dst.length}`})`);
      dst.set(src);
    }
  }

  dispose(): void {
    this.wasm?.dispose();
  }
}

export const createTrainer = Trainer.create;

/**
 * The values a model's training chain passes between stages (the checkpoint candidates, and what
 * feature distillation can match), in order, without the final output. Unfolding BatchNorm keeps
 * these names: a conv's BN takes over its output name.
 */
export function chainBoundaries(model: Model): string[] {
  return programStages(buildProgram(model, 1, REF_TRAIN_OPS)).slice(0, -1).map((s) => s.output);
}
