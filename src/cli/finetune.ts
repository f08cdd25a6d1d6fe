/**
 * `sparsecnn finetune` (a model file or zoo model, pruned or not) and `sparsecnn train` (a zoo model
 * from random weights): the same loop, progress bars, resumable state, test accuracy at the end.
 */
import { existsSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { checkReportPath, writeReport } from '../node/report.js';
import { lineChart } from '../report/svg.js';
import { InvalidArgumentError } from 'commander';
import { evaluateAccuracy } from '../analysis/accuracy.js';
import { fail } from '../errors.js';
import type { Model } from '../graph/ir.js';
import { loadCifar10, loadCifar10Train } from '../node/data.js';
import { checkNewFile, readBytes, writeNewFile } from '../node/files.js';
import { saveModel } from '../node/models.js';
import { defaultCifar10Dir } from '../node/paths.js';
import { feedInputs } from '../runtime/bind.js';
import { compile } from '../runtime/session.js';
import { featureValues, finetune, sameNormalisation, sessionTeacher, trainModeTeacher, type StepInfo, type Teacher } from '../train/finetune.js';
import { exposeValues } from '../graph/expose.js';
import { CIFAR_AUGMENTATION, NO_AUGMENTATION } from '../train/data.js';
import { chainBoundaries, createTrainer, type TrainBackend } from '../train/trainer.js';
import { buildZooModel, zooEntry } from '../zoo/index.js';
import { action, Output, parseNonNegativeInt, parsePositiveInt } from './common.js';
import { mib } from './plan.js';
import { preprocessingFor } from './preprocessing.js';

interface TrainCliOptions {
  data?: string;
  epochs: number;
  batch: number;
  lr: number;
  momentum: number;
  wd: number;
  warmup: number;
  seed: number;
  checkpoint: string;
  backend: string;
  threads: number;
  limit?: number;
  evalLimit?: number;
  augment: boolean;
  bnUnfold: boolean;
  clip: number;
  teacher?: string;
  matchStats?: string;
  dynamicMasks?: number;
  dense?: string;
  maskDecay: number;
  alpha: number;
  temperature: number;
  featureWeight?: number;
  featureValues?: string;
  teacherMode: string;
  mixup?: boolean;
  output: string;
  force?: boolean;
  resume?: boolean;
  state?: string;
  maxSteps?: number;
  report?: string;
  json?: boolean;
  quiet?: boolean;
}

function parsePositive(name: string): (v: string) => number {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`);
    return x;
  };
}

function parseUnit(name: string): (v: string) => number {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0 || x >= 1) throw new InvalidArgumentError(`${name} must be in [0, 1), got '${v}'`);
    return x;
  };
}

function parseUnitClosed(name: string): (v: string) => number {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0 || x > 1) throw new InvalidArgumentError(`${name} must be in [0, 1], got '${v}'`);
    return x;
  };
}

function parseNonNegative(name: string): (v: string) => number {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0) throw new InvalidArgumentError(`${name} must be a non-negative number, got '${v}'`);
    return x;
  };
}

function trainOptions(cmd: Command, defaults: { lr: number; epochs: number }): Command {
  return cmd
    .option('-d, --data <dir>', 'CIFAR-10 folder with data_batch_<k>.bin (training) and test_batch.bin (evaluation) (default: ../shared/data/cifar10 or $SPARSECNN_DATA)')
    .option('-e, --epochs <n>', 'epochs over the training images', parsePositiveInt('--epochs'), defaults.epochs)
    .option('-b, --batch <n>', 'batch size', parsePositiveInt('--batch'), 64)
    .option('--lr <x>', 'peak learning rate (cosine decay to 0)', parsePositive('--lr'), defaults.lr)
    .option('--momentum <x>', 'SGD momentum', parseUnit('--momentum'), 0.9)
    .option('--wd <x>', 'weight decay (weights only, not biases)', parseNonNegative('--wd'), 5e-4)
    .option('--warmup <steps>', 'linear warm-up steps', parseNonNegative('--warmup'), 0)
    .option('--seed <n>', 'seed of the shuffling and augmentation', parsePositiveInt('--seed'), 1)
    .option('-c, --checkpoint <planner>', 'activation checkpointing: store-all, sqrt, uniform:K, dp, linear', 'store-all')
    .option('--backend <name>', 'training kernels: wasm | ref', 'wasm')
    .option('-t, --threads <n>', 'threads for the wasm kernels', parsePositiveInt('--threads'), 1)
    .option('-n, --limit <n>', 'train on the first n training images only', parsePositiveInt('--limit'))
    .option('--eval-limit <n>', 'evaluate on the first n test images only', parsePositiveInt('--eval-limit'))
    .option('--no-augment', 'no random crop / flip')
    .option('--no-bn-unfold', 'train a BN-folded model as it is (otherwise a calibrated BatchNorm is put after each conv and folded back at the end)')
    .option('--clip <norm>', 'clip the gradient\'s global L2 norm (0: off)', parseNonNegative('--clip'), 5)
    .option('--match-stats <model>', 'pruned models: the unfolded BatchNorms restore each channel\'s statistics from this (dense) model, the one the input was pruned from')
    .option('--teacher <model>', 'distil from this model (.onnx or zoo name), e.g. the dense model a pruned one came from; another architecture works too (same input size and classes; batches are renormalised to its own mean/std)')
    .option('--dynamic-masks <epochs>', 'colnm layers: for the first <epochs> epochs, re-select each tile\'s kept rows from dense weights after every step (sparse-refined straight-through, SR-STE), then fix them', parseNonNegativeInt('--dynamic-masks'))
    .option('--dense <model>', 'with --dynamic-masks: the model the input was pruned from; its weights start the dense copy (default: the pruned weights, pruned rows from zero)')
    .option('--mask-decay <x>', 'with --dynamic-masks: extra weight decay on the pruned entries of the dense copy', parseNonNegative('--mask-decay'), 2e-4)
    .option('--alpha <x>', 'with --teacher: weight of the teacher term, loss = (1-a)·CE + a·T²·KL', parseUnitClosed('--alpha'), 0.5)
    .option('--temperature <T>', 'with --teacher: softmax temperature of the teacher term', parsePositive('--temperature'), 4)
    .option('--feature-weight <w>', 'with --teacher: also pull the student\'s intermediate values (chain boundaries the teacher shares by name and shape: block outputs) toward the teacher\'s, adding w × their mean relative squared error to the loss (feature distillation)', parsePositive('--feature-weight'))
    .option('--teacher-mode <mode>', 'with --teacher: eval (an inference session) or train (BatchNorm on each batch\'s statistics, as the student trains: a dense student against itself then starts at zero loss; needs the student\'s input mean/std)', 'eval')
    .option('--mixup', 'with --teacher and --alpha 1: mix every batch (mixup) before teacher and student see it, so the student matches the teacher between training images too (function matching; labels unused)')
    .option('--feature-values <regex>', 'with --feature-weight: only the shared values whose names match (e.g. \'add_output$\'); the list is printed')
    .requiredOption('-o, --output <file.onnx>', 'where to write the trained model')
    .option('--force', 'overwrite the output file (and restart over an existing state file)')
    .option('--resume', 'continue from the state file of an interrupted run (same options)')
    .option('--state <file>', 'the state file (default: <output>.state)')
    .option('--max-steps <n>', 'stop after n steps, keeping the state for --resume (time-boxed runs)', parsePositiveInt('--max-steps'))
    .option('--report <file.html>', 'also write an HTML report: loss curve, accuracy per epoch, test accuracy')
    .option('--json', 'print a JSON summary on stdout')
    .option('-q, --quiet', 'no progress bars or notes');
}

async function runTraining(model: Model, opts: TrainCliOptions, out: Output, verb: string, teacherModel?: Model, statsModel?: Model, denseModel?: Model): Promise<void> {
  if (opts.backend !== 'wasm' && opts.backend !== 'ref') fail('INVALID_ARGUMENT', `unknown training backend '${opts.backend}' (wasm, ref)`);
  const statePath = opts.state ?? `${opts.output}.state`;
  checkNewFile(opts.output, opts.force === true);
  if (existsSync(statePath) && opts.resume !== true && opts.force !== true) {
    fail('EXISTS', `a state file '${statePath}' from an earlier run exists; pass --resume to continue it or --force to start over`);
  }
  if (opts.resume === true && !existsSync(statePath)) fail('NOT_FOUND', `--resume: no state file '${statePath}'`);
  if (opts.report !== undefined) checkReportPath(opts.report, opts.force === true);
  const dir = opts.data ?? defaultCifar10Dir();
  const train = loadCifar10Train(dir, opts.limit);
  const pre = preprocessingFor(model, {}, out);
  if (teacherModel !== undefined) checkTeacher(teacherModel, model);
  if (opts.mixup === true && (teacherModel === undefined || opts.alpha !== 1)) fail('INVALID_ARGUMENT', `--mixup mixes images but not labels: it needs --teacher and --alpha 1 (the teacher's outputs as the only target)${teacherModel !== undefined ? `, got --alpha ${opts.alpha}` : ''}`);
  if (opts.teacherMode !== 'eval' && opts.teacherMode !== 'train') fail('INVALID_ARGUMENT', `--teacher-mode must be eval or train, got '${opts.teacherMode}'`);
  if (opts.featureWeight === undefined && opts.featureValues !== undefined) fail('INVALID_ARGUMENT', '--feature-values selects the values of --feature-weight; add --feature-weight W');
  if (opts.featureWeight !== undefined && teacherModel === undefined) fail('INVALID_ARGUMENT', '--feature-weight matches a teacher\'s values; add --teacher MODEL');
  let pattern: RegExp | undefined;
  try {
    pattern = opts.featureValues === undefined ? undefined : new RegExp(opts.featureValues);
  } catch (e) {
    fail('INVALID_ARGUMENT', `--feature-values: '${opts.featureValues}' is not a regular expression (${(e as Error).message})`);
  }
  const values = opts.featureWeight === undefined || teacherModel === undefined ? [] : featureValues(model, teacherModel, pattern);
  if (opts.featureWeight !== undefined && values.length === 0) fail('INVALID_ARGUMENT', `--feature-weight: ${model.metadata.name} and the teacher share no chain boundary${pattern === undefined ? '' : ` matching /${opts.featureValues}/`} (same name and shape); the student's boundaries: ${chainBoundaries(model).join(', ')}`);
  const distill = { alpha: opts.alpha, temperature: opts.temperature, ...(opts.featureWeight !== undefined ? { features: { weight: opts.featureWeight, values } } : {}) };
  if (denseModel !== undefined && opts.dynamicMasks === undefined) fail('INVALID_ARGUMENT', '--dense gives the starting weights of --dynamic-masks; add --dynamic-masks EPOCHS');
  if (opts.dynamicMasks !== undefined && opts.dynamicMasks > opts.epochs) fail('INVALID_ARGUMENT', `--dynamic-masks ${opts.dynamicMasks} is more than the ${opts.epochs} epochs of the run`);
  if (statsModel !== undefined && !opts.bnUnfold) fail('INVALID_ARGUMENT', '--match-stats works through the unfolded BatchNorms; it cannot be combined with --no-bn-unfold');
  const trainer = await createTrainer(model, {
    batch: opts.batch, backend: opts.backend as TrainBackend, threads: opts.threads, checkpoint: opts.checkpoint,
    momentum: opts.momentum, weightDecay: opts.wd, augmentation: opts.augment ? CIFAR_AUGMENTATION : NO_AUGMENTATION, clipNorm: opts.clip,
    ...(opts.bnUnfold ? { calibration: { data: train, pre, ...(statsModel !== undefined ? { reference: statsModel } : {}) } } : {}),
    ...(teacherModel !== undefined ? { distill } : {}),
  });
  const stepsPerEpoch = Math.floor(train.count / opts.batch);
  let dynamicMasks: { steps: number; refreshEvery: number } | undefined;
  if (opts.dynamicMasks !== undefined) {
    try {
      const layers = trainer.startDynamicMasks({ ...(denseModel !== undefined ? { dense: denseModel } : {}), decay: opts.maskDecay });
      out.note(`dynamic masks on ${layers} colnm layers for ${opts.dynamicMasks} epochs (kept rows re-selected after every step${denseModel !== undefined ? `, dense weights from ${denseModel.metadata.name}` : ''}), fixed after`);
    } catch (e) {
      trainer.dispose();
      throw e;
    }
    dynamicMasks = { steps: opts.dynamicMasks * stepsPerEpoch, refreshEvery: 1 };
  }
  const teacherPre = teacherModel?.metadata.preprocessing;
  // A teacher trained with other input statistics (another architecture) sees the batches in its own.
  const renormalize = teacherPre !== undefined && !sameNormalisation(pre, teacherPre) ? { student: pre, teacher: teacherPre } : undefined;
  const trainMode = teacherModel !== undefined && opts.teacherMode === 'train';
  if (trainMode && renormalize !== undefined) {
    trainer.dispose();
    fail('INVALID_ARGUMENT', `--teacher-mode train: the teacher ${teacherModel.metadata.name} normalises its input with other statistics than the student; use --teacher-mode eval (its session renormalises the batches)`);
  }
  let teacher: Teacher | undefined;
  let disposeTeacher = (): void => {};
  try {
    if (trainMode) {
      const t = await trainModeTeacher(teacherModel, { batch: opts.batch, threads: opts.threads, calibration: { data: train, pre } });
      teacher = t.teach;
      disposeTeacher = () => t.dispose();
    } else if (teacherModel !== undefined) {
      const session = await compile(values.length > 0 ? exposeValues(teacherModel, values) : teacherModel, { backend: 'wasm', threads: opts.threads });
      teacher = sessionTeacher(session, renormalize);
      disposeTeacher = () => session.dispose();
    }
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  try {
    if (teacherModel !== undefined) out.note(`distilling from ${teacherModel.metadata.name} (alpha ${opts.alpha}, temperature ${opts.temperature}${renormalize !== undefined ? '; its own input mean/std applied to the batches' : ''}${trainMode ? '; run in training mode' : ''}${opts.mixup === true ? '; batches mixed (mixup)' : ''}${values.length > 0 ? `; feature distillation, weight ${opts.featureWeight}, on ${values.length} values: ${values.join(' ')}` : ''})`);
    if (trainer.unfoldedBatchNorms > 0) out.note(`BatchNorm unfolded after ${trainer.unfoldedBatchNorms} convs for training (folded back in the output)${statsModel !== undefined ? `, statistics matched to ${statsModel.metadata.name}` : ''}`);
    if (trainer.maskedParams.length > 0) out.note(`${trainer.maskedParams.length} pruned layers: their zeros stay zero`);
    out.note(`${verb} ${model.metadata.name} on ${train.count} images of ${train.files.join(', ')}: ${opts.epochs} epochs, batch ${opts.batch}, lr ${opts.lr}, ${opts.backend} x${opts.threads}`);
    const config = { epochs: opts.epochs, lr: opts.lr, warmupSteps: opts.warmup, seed: opts.seed, ...(teacherModel !== undefined ? { distill } : {}), ...(dynamicMasks !== undefined ? { dynamicMasks } : {}), ...(opts.mixup === true ? { mixup: true } : {}) };
    const resume = opts.resume === true ? readBytes(statePath, 'state file') : undefined;
    let bar: ReturnType<Output['progress']> | undefined;
    let barEpoch = -1;
    const epochs: StepInfo[] = [];
    const losses: [number, number][] = [];
    const show = (s: StepInfo): string => `| loss ${s.meanLoss.toFixed(3)}${values.length > 0 ? ` (features ${s.featureLoss.toFixed(3)})` : ''} | train acc ${(s.trainAccuracy * 100).toFixed(1)}% | ${s.imagesPerSec.toFixed(0)} img/s | peak ${mib(s.peakBytes)}`;
    const result = await finetune(trainer, train, pre, config, {
      onStep: (s) => {
        losses.push([s.globalStep, s.loss]);
        if (s.epoch !== barEpoch) {
          bar?.stop();
          bar = out.progress(`epoch ${s.epoch}/${opts.epochs}`, s.stepsPerEpoch);
          barEpoch = s.epoch;
        }
        bar!.update(s.step, show(s));
      },
      onEpochEnd: (s) => {
        bar?.stop();
        bar = undefined;
        barEpoch = -1;
        epochs.push(s);
        if (!process.stderr.isTTY) out.note(`epoch ${s.epoch}/${opts.epochs} ${show(s)}`);
      },
      saveState: (bytes) => writeNewFile(statePath, bytes, true),
      saveEvery: 50,
      ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
    }, resume, teacher);
    bar?.stop();
    const plan = trainer.plan();
    if (!result.completed) {
      out.result({ model: model.metadata.name, completed: false, step: result.globalStep, totalSteps: result.totalSteps, state: statePath });
      out.line(`stopped after step ${result.globalStep}/${result.totalSteps}; continue with --resume (state: ${statePath})`);
      return;
    }
    const tuned = trainer.trainedModel();
    saveModel({ ...tuned, metadata: { ...tuned.metadata, source: `${verb}: ${model.metadata.source ?? model.metadata.name}, ${opts.epochs} epochs` } }, opts.output, opts.force === true);
    rmSync(statePath, { force: true });
    // Test accuracy through the inference engine: the model as a user will run it (sparse kernels included).
    const test = loadCifar10(dir, opts.evalLimit);
    const session = await compile(tuned, { backend: 'wasm', threads: opts.threads });
    const ebar = out.progress('test', test.count);
    const acc = await evaluateAccuracy(session, test, pre, { batchSize: 100, onProgress: (d) => ebar.update(d) });
    ebar.stop();
    session.dispose();
    out.result({
      model: model.metadata.name, output: opts.output, completed: true, epochs: opts.epochs, steps: result.globalStep, seconds: result.seconds,
      checkpoint: { planner: plan.planner, checkpoints: plan.checkpoints, predictedPeakBytes: plan.predictedPeakBytes },
      testTop1: acc.top1, testImages: acc.images,
      history: epochs.map((e) => ({ epoch: e.epoch, loss: e.meanLoss, trainAccuracy: e.trainAccuracy, imagesPerSec: e.imagesPerSec })),
    });
    if (opts.report !== undefined) {
      // Raw step losses jump with every batch: plot a moving mean over 1/10 epoch (≥ 1 step).
      const win = Math.max(1, Math.round(result.totalSteps / opts.epochs / 10));
      const smooth = losses.map(([x], i) => {
        const from = Math.max(0, i - win + 1);
        let sum = 0;
        for (let k = from; k <= i; k++) sum += losses[k]![1];
        return [x, sum / (i - from + 1)] as [number, number];
      });
      writeReport(opts.report, {
        title: `${verb} ${model.metadata.name} → ${opts.output}`,
        sections: [{
          heading: 'Training loss',
          text: [`${result.globalStep} steps of batch ${opts.batch}${opts.resume === true ? ' (this call resumed a run: the curve starts where it picked up)' : ''}; moving mean over ${win} step${win > 1 ? 's' : ''}.`],
          charts: [lineChart({ title: 'training loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'loss', points: smooth }] })],
        }, {
          heading: 'Accuracy',
          text: [`Test top-1 ${(acc.top1 * 100).toFixed(2)}% (${acc.correct}/${acc.images}, ${test.file}), through the inference engine (sparse kernels for pruned layers). Training accuracy is on augmented batches.`],
          charts: epochs.length > 0 ? [lineChart({ title: 'training accuracy per epoch', xLabel: 'epoch', yLabel: '% top-1', series: [{ name: 'train (augmented)', points: epochs.map((e) => [e.epoch, e.trainAccuracy * 100]) }, { name: 'test', points: [[epochs[epochs.length - 1]!.epoch, acc.top1 * 100]] }] })] : [],
          table: { head: ['epoch', 'mean loss', 'train accuracy', 'images/s'], rows: epochs.map((e) => [e.epoch, e.meanLoss.toFixed(4), `${(e.trainAccuracy * 100).toFixed(2)}%`, e.imagesPerSec.toFixed(0)]) },
        }],
      }, opts.force === true);
      out.line(`report: ${opts.report}`);
    }
    out.line(`wrote ${opts.output}: test top-1 ${(acc.top1 * 100).toFixed(2)}% (${acc.correct}/${acc.images}, ${test.file}); ${result.globalStep} steps in ${result.seconds.toFixed(0)} s; checkpoints ${plan.planner}, predicted peak ${mib(plan.predictedPeakBytes)}`);
  } finally {
    trainer.dispose();
    disposeTeacher();
  }
}

/** A teacher must take the student's images and give logits over the same classes. */
function checkTeacher(teacher: Model, student: Model): void {
  const describe = (m: Model): string => {
    const i = feedInputs(m.graph)[0];
    const o = m.graph.outputs[0];
    return `input ${i === undefined ? '?' : `[${i.shape.slice(1).join(',')}]`} → ${o === undefined ? '?' : `[${o.shape.slice(1).join(',')}]`}`;
  };
  const t = describe(teacher), s = describe(student);
  if (t !== s) fail('INVALID_ARGUMENT', `the teacher ${teacher.metadata.name} (${t}) does not fit the student ${student.metadata.name} (${s}): it must take the same images and give the same classes`);
}

export function register(program: Command): void {
  trainOptions(program
    .command('finetune')
    .description('fine-tune a model on CIFAR-10 (pruned weights stay zero), with checkpointed training')
    .argument('<model>', 'an .onnx file or a zoo name'), { lr: 0.01, epochs: 1 })
    .addHelpText('after', `
Layers listed in the model's pruning record (written by \`sparsecnn prune\`) keep their zeros, so
the fine-tuned model still runs on the sparse kernels. The state is saved every 50 steps and at
each epoch end; after an interruption, the same command with --resume continues and ends with the
same weights as an uninterrupted run.

Examples:
  $ sparsecnn prune resnet20 --method colnm:2:4 -o r20-24.onnx
  $ sparsecnn finetune r20-24.onnx --epochs 2 -o r20-24-ft.onnx
  $ sparsecnn finetune resnet56 --epochs 1 --checkpoint linear --threads 2 -o r56-ft.onnx
  $ sparsecnn finetune r20-24.onnx --epochs 2 -o r20-24-ft.onnx --resume
  $ sparsecnn finetune r20-24.onnx --teacher resnet20 --epochs 2 -o r20-24-kd.onnx   # distil from the dense model
  $ sparsecnn finetune r20-24.onnx --match-stats resnet20 --epochs 2 -o r20-24-sm.onnx  # restore dense BN statistics first
  $ sparsecnn finetune r20-24.onnx --dynamic-masks 1 --dense resnet20 --epochs 2 -o r20-24-dm.onnx  # kept rows may move in epoch 1`)
    .action(action(async (spec: string, opts: TrainCliOptions) => {
      const out = new Output(opts);
      await runTraining(out.loadModel(spec), opts, out, 'finetune', opts.teacher === undefined ? undefined : out.loadModel(opts.teacher), opts.matchStats === undefined ? undefined : out.loadModel(opts.matchStats), opts.dense === undefined ? undefined : out.loadModel(opts.dense));
    }));

  trainOptions(program
    .command('train')
    .description('train a zoo model from random weights on CIFAR-10, with checkpointed training')
    .argument('<zoo-model>', 'a CIFAR-10 zoo model: resnet20, resnet56, mobilenetv2-cifar'), { lr: 0.05, epochs: 10 })
    .addHelpText('after', `
Examples:
  $ sparsecnn train resnet20 --epochs 30 --threads 2 -o r20-scratch.onnx
  $ sparsecnn train mobilenetv2-cifar --epochs 5 --checkpoint linear -o mbv2.onnx`)
    .action(action(async (name: string, opts: TrainCliOptions) => {
      const out = new Output(opts);
      const e = zooEntry(name);
      if (e.dataset !== 'cifar10') fail('UNSUPPORTED', `train needs a CIFAR-10 zoo model (resnet20, resnet56, mobilenetv2-cifar); ${name} is an ImageNet-shaped model`);
      if (opts.matchStats !== undefined) fail('INVALID_ARGUMENT', '--match-stats is for fine-tuning a pruned model; train starts from random weights');
      if (opts.dynamicMasks !== undefined) fail('INVALID_ARGUMENT', '--dynamic-masks is for fine-tuning a colnm-pruned model; train starts from random, unpruned weights');
      await runTraining(buildZooModel(name, { seed: opts.seed, batchNorm: true }), opts, out, 'train', opts.teacher === undefined ? undefined : out.loadModel(opts.teacher));
    }));
}
