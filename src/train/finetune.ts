/**
 * The epoch loop shared by `sparsecnn finetune` and `sparsecnn train`: shuffled, augmented batches,
 * cosine learning rate, progress callbacks, and a resumable state.
 *
 * Determinism: the epoch order is a function of (seed, epoch) and a batch's augmentation of
 * (seed, epoch, batch index), the kernels give the same bits on every run and thread count, so
 * stopping after any step and resuming from the state gives exactly the weights of an uninterrupted run.
 */
import type { ImageBatch } from '../data/cifar10.js';
import { fail } from '../errors.js';
import { batchOneTypes } from '../graph/expose.js';
import type { Model, Preprocessing } from '../graph/ir.js';
import type { Session } from '../runtime/session.js';
import { Rng } from '../zoo/rng.js';
import { cosineLr, epochOrder, mixBatch, mixSeed } from './data.js';
import type { DistillationConfig } from './ops/loss.js';
import { chainBoundaries, createTrainer, type Trainer } from './trainer.js';

export interface FinetuneConfig {
  readonly epochs: number;
  /** Peak learning rate (cosine decay to 0 over all steps). */
  readonly lr: number;
  readonly warmupSteps: number;
  readonly seed: number;
  /** Knowledge distillation from a teacher (the trainer must be created with the same `distill`). */
  readonly distill?: DistillationConfig;
  /**
   * Dynamic masks for the first `steps` steps (the trainer must have run startDynamicMasks()): the
   * colnm masks are re-selected from the dense weights every `refreshEvery` steps, then fixed for the
   * rest of the run (Trainer.startDynamicMasks explains the method).
   */
  readonly dynamicMasks?: { readonly steps: number; readonly refreshEvery: number };
  /**
   * Mixup each (augmented) batch before the teacher and the student see it (data.ts mixBatch): the
   * student then matches the teacher's function between training images too, not only on them
   * ("function matching", Beyer et al. 2022: distillation on few images). Labels are not mixed, so
   * it needs pure distillation (distill.alpha 1); the reported training accuracy is then against
   * the label of each mix's own image.
   */
  readonly mixup?: boolean;
}

/**
 * A teacher for distillation: writes its [batch, classes] logits for the batch into `out`, given the
 * trainer's input batch (channels-last, shape [N, C, H, W] in IR order, already preprocessed), and,
 * for feature distillation, its value of each named intermediate into `features` (stored like the
 * trainer's activations: NHWC for rank 4).
 */
export type Teacher = (inputNhwc: Float32Array, shape: readonly [number, number, number, number], out: Float32Array, features?: ReadonlyMap<string, Float32Array>) => Promise<void>;

/**
 * A compiled model (e.g. the dense model a pruned one came from) as a distillation teacher.
 *
 * `renormalize` lets a teacher trained with other input statistics (another architecture, e.g. a CIFAR
 * ResNet with ImageNet mean/std teaching MobileNetV2-CIFAR with CIFAR mean/std) see the student's
 * pixels as it was trained to: the student's input x = (p − m_s)/s_s becomes (p − m_t)/s_t =
 * x·s_s/s_t + (m_s − m_t)/s_t per channel, exactly. Without it both models must share statistics.
 */
export function sessionTeacher(session: Session, renormalize?: { readonly student: Preprocessing; readonly teacher: Preprocessing }): Teacher {
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  const map = renormalize === undefined ? undefined : channelMap(renormalize.student, renormalize.teacher);
  return async (x, shape, out, features) => {
    const [n, c, h, w] = shape;
    // The batch stays channels-last: the session takes it in its own layout, without a transpose.
    let data = x;
    if (map !== undefined) {
      if (c !== map.scale.length) fail('INVALID_ARGUMENT', `the teacher's preprocessing has ${map.scale.length} channels, the batch ${c}`);
      data = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) data[j] = x[j]! * map.scale[j % c]! + map.shift[j % c]!;
    }
    const into: Record<string, Float32Array> = {};
    for (const [name, dst] of features ?? []) {
      if (!session.outputNames.includes(name)) fail('INVALID_ARGUMENT', `feature distillation: the teacher has no output '${name}'; compile it from exposeValues(model, names)`);
      into[name] = dst;
    }
    const r = await session.run({ [input]: { dtype: 'float32', shape: [n, h, w, c], data } }, { layout: 'nhwc', into });
    const logits = r[output]!;
    if (logits.data.length !== out.length) fail('INVALID_ARGUMENT', `the teacher gives ${logits.data.length} logits for the batch, the student ${out.length}: the two models must share their classes`);
    out.set(logits.data);
  };
}

function sameDistillation(a: DistillationConfig | undefined, b: DistillationConfig): boolean {
  const fa = a?.features, fb = b.features;
  return a !== undefined && a.alpha === b.alpha && a.temperature === b.temperature &&
    (fa === undefined ? fb === undefined : fb !== undefined && fa.weight === fb.weight && fa.values.length === fb.values.length && fa.values.every((v, i) => v === fb.values[i]));
}

/**
 * The values feature distillation can match between a student and its teacher: the student's chain
 * boundaries (chainBoundaries) that the teacher computes too, under the same name and shape, and,
 * given `pattern`, whose names it matches. Filter pruning changes the width inside a block, not at
 * its output, so a pruned student keeps its block outputs matchable; compare a dense and a pruned
 * row on the same list (pass a pattern), since a dense student also matches inside its blocks.
 */
export function featureValues(student: Model, teacher: Model, pattern?: RegExp): string[] {
  const s = batchOneTypes(student), t = batchOneTypes(teacher);
  const produced = new Set(teacher.graph.nodes.flatMap((n) => n.outputs));
  return chainBoundaries(student).filter((v) => produced.has(v) && t.get(v)?.shape.join() === s.get(v)?.shape.join() && (pattern === undefined || pattern.test(v)));
}

/**
 * A teacher that runs like a student in training: the model (BatchNorm unfolded and calibrated as
 * createTrainer does) in training mode, each BatchNorm normalising with the batch's own statistics,
 * running statistics never updated. An inference-mode teacher normalises with running statistics,
 * and on augmented batches (zero-padded crops) the two differ: MobileNetV2-CIFAR matched against
 * itself in inference mode leaves a feature term of 0.095 (0.010 unaugmented). Here a dense student
 * matched against its own starting weights starts at exactly zero, so what the feature and logit
 * terms carry is the student's difference, not the BatchNorm mode. The student's input statistics
 * must be the teacher's (no renormalisation). Costs one training-mode forward pass per step.
 */
export async function trainModeTeacher(model: Model, opts: { readonly batch: number; readonly threads?: number; readonly calibration: { readonly data: ImageBatch; readonly pre: Preprocessing; readonly images?: number } }): Promise<{ readonly teach: Teacher; dispose(): void }> {
  const t = await createTrainer(model, { batch: opts.batch, threads: opts.threads ?? 1, calibration: opts.calibration });
  const out = t.program.output;
  const teach: Teacher = async (x, shape, logits, features) => {
    if (shape[0] !== opts.batch) fail('INVALID_ARGUMENT', `the teacher was built for batches of ${opts.batch}, got ${shape[0]}`);
    t.inputView.set(x);
    t.executor.forwardInto(new Map([[out, logits], ...(features ?? [])]));
  };
  return { teach, dispose: () => t.dispose() };
}

/** Whether two models normalise their input pixels alike (same per-channel mean and std). */
export function sameNormalisation(a: Preprocessing, b: Preprocessing): boolean {
  return a.mean.length === b.mean.length && a.mean.every((m, i) => m === b.mean[i] && a.std[i] === b.std[i]);
}

/** Per channel: teacher input = student input · scale + shift (sessionTeacher). Undefined when the statistics agree. */
function channelMap(student: Preprocessing, teacher: Preprocessing): { scale: Float32Array; shift: Float32Array } | undefined {
  const c = student.mean.length;
  if (teacher.mean.length !== c || student.std.length !== c || teacher.std.length !== c) fail('INVALID_ARGUMENT', `the teacher normalises ${teacher.mean.length} channels, the student ${c}`);
  if (sameNormalisation(student, teacher)) return undefined;
  const scale = new Float32Array(c), shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = student.std[i]! / teacher.std[i]!;
    shift[i] = (student.mean[i]! - teacher.mean[i]!) / teacher.std[i]!;
  }
  return { scale, shift };
}

export interface StepInfo {
  readonly epoch: number;
  /** 1-based step within the epoch. */
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly globalStep: number;
  readonly totalSteps: number;
  readonly lr: number;
  readonly loss: number;
  /** Running training accuracy of this epoch so far. */
  readonly trainAccuracy: number;
  /** Running mean loss of this epoch so far. */
  readonly meanLoss: number;
  /** This step's feature distillation term (in `loss`; 0 without). */
  readonly featureLoss: number;
  readonly imagesPerSec: number;
  readonly peakBytes: number;
}

export interface FinetuneHooks {
  onStep?(info: StepInfo): void;
  onEpochEnd?(info: StepInfo): void | Promise<void>;
  /** Called with the serialized state after every `saveEvery` steps and at every epoch end. */
  saveState?(state: Uint8Array): void;
  readonly saveEvery?: number;
  /** Stop after this many steps of this call (the state is saved first): a time-boxed run. */
  readonly maxSteps?: number;
}

export interface FinetuneResult {
  readonly completed: boolean;
  readonly globalStep: number;
  readonly totalSteps: number;
  readonly seconds: number;
  readonly lastEpoch: StepInfo | undefined;
}

interface StateHeader {
  readonly format: 'sparsecnn-train-state';
  readonly version: 1;
  readonly model: string;
  readonly batch: number;
  readonly config: FinetuneConfig;
  readonly trainImages: number;
  readonly globalStep: number;
  /** Running sums of the epoch in progress, so progress after a resume reads as without it. */
  readonly epochLoss: number;
  readonly epochCorrect: number;
  readonly arrays: readonly { readonly name: string; readonly length: number }[];
}

export function serializeState(h: Omit<StateHeader, 'format' | 'version' | 'arrays'>, arrays: ReadonlyMap<string, Float32Array>): Uint8Array {
  const header: StateHeader = { format: 'sparsecnn-train-state', version: 1, ...h, arrays: [...arrays].map(([name, a]) => ({ name, length: a.length })) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headLen = 8 + Math.ceil(json.length / 4) * 4;
  let total = headLen;
  for (const a of arrays.values()) total += a.length * 4;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x53435354, true); // 'TSCS'
  dv.setUint32(4, json.length, true);
  out.set(json, 8);
  let o = headLen;
  for (const a of arrays.values()) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  }
  return out;
}

export function parseState(bytes: Uint8Array, source: string): { header: StateHeader; arrays: Map<string, Float32Array> } {
  const bad = (why: string): never => fail('INVALID_DATA', `${source} is not a usable training state: ${why}`);
  if (bytes.length < 8) bad('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== 0x53435354) bad('wrong magic number');
  const len = dv.getUint32(4, true);
  if (8 + len > bytes.length) bad('truncated header');
  let header: StateHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as StateHeader;
  } catch {
    return bad('corrupt header');
  }
  if (header.format !== 'sparsecnn-train-state' || header.version !== 1) bad(`unknown format ${String(header.format)} v${String(header.version)}`);
  let o = 8 + Math.ceil(len / 4) * 4;
  const arrays = new Map<string, Float32Array>();
  for (const { name, length } of header.arrays) {
    if (o + length * 4 > bytes.length) bad(`truncated at '${name}'`);
    arrays.set(name, new Float32Array(bytes.slice(o, o + length * 4).buffer));
    o += length * 4;
  }
  return { header, arrays };
}

/**
 * Trains `trainer` on `data` for config.epochs epochs (from `resume`'s step when given). Batches
 * drop the incomplete tail of each epoch (shapes are static).
 */
export async function finetune(trainer: Trainer, data: ImageBatch, pre: Preprocessing, config: FinetuneConfig, hooks: FinetuneHooks = {}, resume?: Uint8Array, teacher?: Teacher): Promise<FinetuneResult> {
  const batch = trainer.program.batch;
  if ((config.distill === undefined) !== (teacher === undefined)) fail('INVALID_ARGUMENT', config.distill === undefined ? 'a teacher was given without a distillation config' : 'distillation needs a teacher model');
  if (config.distill !== undefined && !sameDistillation(trainer.distillation, config.distill)) fail('INVALID_ARGUMENT', 'the trainer was created with other distillation settings than this run');
  const inShape = trainer.program.shapes.get(trainer.program.input)! as unknown as readonly [number, number, number, number];
  if (!Number.isInteger(config.epochs) || config.epochs < 1) fail('INVALID_ARGUMENT', `epochs must be a positive integer, got ${config.epochs}`);
  if (!(config.lr > 0)) fail('INVALID_ARGUMENT', `the learning rate must be positive, got ${config.lr}`);
  const stepsPerEpoch = Math.floor(data.count / batch);
  if (stepsPerEpoch < 1) fail('INVALID_ARGUMENT', `${data.count} training images do not fill one batch of ${batch}`);
  const totalSteps = stepsPerEpoch * config.epochs;
  const dm = config.dynamicMasks;
  if (dm !== undefined) {
    if (!Number.isInteger(dm.steps) || dm.steps < 0 || !Number.isInteger(dm.refreshEvery) || dm.refreshEvery < 1) fail('INVALID_ARGUMENT', `dynamic masks need whole steps >= 0 and refreshEvery >= 1, got steps ${dm.steps}, refreshEvery ${dm.refreshEvery}`);
    if (!trainer.dynamicMasksActive) fail('INVALID_ARGUMENT', 'dynamicMasks: start them on the trainer first (trainer.startDynamicMasks())');
  } else if (trainer.dynamicMasksActive) fail('INVALID_ARGUMENT', 'the trainer runs dynamic masks but the config has no dynamicMasks schedule');
  if (config.mixup === true && config.distill?.alpha !== 1) fail('INVALID_ARGUMENT', `mixup mixes images but not labels: it needs pure distillation (alpha 1, the teacher's outputs as the only target), got ${config.distill === undefined ? 'no distillation' : `alpha ${config.distill.alpha}`}`);
  let globalStep = 0;
  let epochLoss = 0, epochCorrect = 0;
  if (resume !== undefined) {
    const { header, arrays } = parseState(resume, 'the state file');
    const same = header.model === trainer.model.metadata.name && header.batch === batch && header.trainImages === data.count &&
      header.config.epochs === config.epochs && header.config.lr === config.lr && header.config.seed === config.seed && header.config.warmupSteps === config.warmupSteps &&
      JSON.stringify(header.config.distill ?? null) === JSON.stringify(config.distill ?? null) &&
      JSON.stringify(header.config.dynamicMasks ?? null) === JSON.stringify(config.dynamicMasks ?? null) &&
      (header.config.mixup === true) === (config.mixup === true);
    if (!same) fail('INVALID_ARGUMENT', `the state file was written by a different run (model ${header.model}, batch ${header.batch}, ${header.trainImages} images, epochs ${header.config.epochs}, lr ${header.config.lr}, seed ${header.config.seed}); resume with the same settings`);
    // A state written after the masks were fixed has no dense weights to load.
    if (dm !== undefined && header.globalStep >= dm.steps) trainer.fixMasks();
    trainer.loadStateArrays(arrays);
    globalStep = header.globalStep;
    epochLoss = header.epochLoss;
    epochCorrect = header.epochCorrect;
  }
  const save = (): void => {
    hooks.saveState?.(serializeState({ model: trainer.model.metadata.name, batch, config, trainImages: data.count, globalStep, epochLoss, epochCorrect }, trainer.stateArrays()));
  };
  const t0 = performance.now();
  let stepsThisCall = 0;
  let last: StepInfo | undefined;
  let order: Uint32Array | undefined;
  let orderEpoch = -1;
  const idx = new Uint32Array(batch);
  const tRate = { t: performance.now(), images: 0 };
  if (dm !== undefined && globalStep >= dm.steps) trainer.fixMasks();
  while (globalStep < totalSteps) {
    const epoch = Math.floor(globalStep / stepsPerEpoch);
    const b = globalStep % stepsPerEpoch;
    if (orderEpoch !== epoch) {
      order = epochOrder(data.count, config.seed, epoch);
      orderEpoch = epoch;
    }
    for (let k = 0; k < batch; k++) idx[k] = order![b * batch + k]!;
    trainer.loadBatch(data, idx, pre, new Rng(mixSeed(config.seed, epoch, b)));
    // Its own stream, so runs with and without mixup crop and flip alike.
    if (config.mixup === true) mixBatch(trainer.inputView, batch, new Rng(mixSeed(config.seed, epoch, b, 0x313)));
    if (teacher !== undefined) await teacher(trainer.inputView, inShape, trainer.teacherLogitsView, config.distill?.features === undefined ? undefined : trainer.teacherFeatureViews());
    const lr = cosineLr(config.lr, globalStep, totalSteps, config.warmupSteps);
    const r = trainer.step(lr);
    if (!Number.isFinite(r.loss)) fail('INVALID_ARGUMENT', `training diverged at step ${globalStep + 1} (loss ${r.loss}); lower the learning rate`);
    globalStep++;
    stepsThisCall++;
    if (dm !== undefined && trainer.dynamicMasksActive) {
      if (globalStep >= dm.steps) trainer.fixMasks();
      else if (globalStep % dm.refreshEvery === 0) trainer.refreshMasks();
    }
    epochLoss += r.loss;
    epochCorrect += r.correct;
    tRate.images += batch;
    const done = b + 1;
    const elapsed = (performance.now() - tRate.t) / 1000;
    last = {
      epoch: epoch + 1, step: done, stepsPerEpoch, globalStep, totalSteps, lr, loss: r.loss,
      trainAccuracy: epochCorrect / (done * batch), meanLoss: epochLoss / done, featureLoss: r.featureLoss,
      imagesPerSec: elapsed > 0 ? tRate.images / elapsed : 0, peakBytes: r.peakBytes,
    };
    hooks.onStep?.(last);
    const epochEnd = done === stepsPerEpoch;
    if (epochEnd) {
      epochLoss = 0;
      epochCorrect = 0;
    }
    const stopping = hooks.maxSteps !== undefined && stepsThisCall >= hooks.maxSteps && globalStep < totalSteps;
    if (epochEnd || stopping || (hooks.saveEvery !== undefined && globalStep % hooks.saveEvery === 0)) save();
    if (epochEnd) await hooks.onEpochEnd?.(last);
    if (stopping) return { completed: false, globalStep, totalSteps, seconds: (performance.now() - t0) / 1000, lastEpoch: last };
  }
  return { completed: true, globalStep, totalSteps, seconds: (performance.now() - t0) / 1000, lastEpoch: last };
}
