/**
 * sparsecnn: the browser-safe core API. File system helpers live in 'sparsecnn/node'.
 *
 *   import { importOnnx, compile } from 'sparsecnn';
 *   const model = importOnnx(bytes);
 *   const session = await compile(model, { backend: 'ref' });
 *   const { logits } = await session.run({ input: floatTensor([1, 3, 32, 32], pixels) });
 */
export { SparseCnnError, type ErrorCode } from './errors.js';
export type { Dim, Graph, Model, ModelMetadata, Node, NodeOf, Preprocessing, ValueInfo } from './graph/ir.js';
export type { OpAttrs, OpType, ConvAttrs, PoolAttrs, GemmAttrs } from './graph/attrs.js';
export { OP_TYPES } from './graph/attrs.js';
export { floatTensor, intTensor, sizeOf, type DType, type FloatTensor, type IntTensor, type Tensor } from './graph/tensor.js';
export { inferShapes, type Inferred } from './graph/infer.js';
export { exposeValues } from './graph/expose.js';
export type { ValueType } from './graph/ops/types.js';
export { validateGraph, topoSort } from './graph/validate.js';
export { SIMPLIFY_PASSES, FUSION_PASSES, runPasses, type GraphPass, type PassContext } from './graph/passes/index.js';
export { importOnnx, MIN_OPSET, MAX_OPSET, type ImportOptions } from './onnx/import.js';
export { exportOnnx } from './onnx/export.js';
export { compile, RefSession, type Session, type Backend, type CompileOptions, type LayerTiming, type RunOptions, type TensorLayout } from './runtime/session.js';
export { REF_KERNELS, type RefKernel } from './kernels/ref/index.js';
export { ZOO, buildZooModel, zooEntry, GraphBuilder, Rng, type ZooEntry, type ZooBuildOptions, type WeightSource } from './zoo/index.js';
export { parseCifar10, type ImageBatch } from './data/cifar10.js';
export { CIFAR10_LABELS } from './data/labels.js';
export { batchTensor, imageTensor, topK, argmaxRows, type RgbaImage } from './data/preprocess.js';
export { modelStats, type ModelStats, type NodeStats } from './analysis/stats.js';
export { evaluateAccuracy, type AccuracyResult } from './analysis/accuracy.js';
export { chainBoundaries, createTrainer, Trainer, type TrainerOptions, type TrainBackend, type PlanInfo, type TrainStepResult } from './train/trainer.js';
export { finetune, sessionTeacher, type FinetuneConfig, type FinetuneHooks, type FinetuneResult, type StepInfo, type Teacher } from './train/finetune.js';
export { distillationLoss, featureLoss, softmaxCrossEntropy, type DistillationConfig, type FeatureDistillation } from './train/ops/loss.js';
export { CIFAR_AUGMENTATION, NO_AUGMENTATION, type Augmentation } from './train/data.js';
export { unfoldBatchNorm, foldBatchNorm } from './train/bn-unfold.js';
export {
  pruneModel, parseMethod, methodString, parseCriterion, readPruningMetadata, pruningSensitivity, PRUNING_METADATA_KEY, DEFAULT_TILE,
  reconstructPruned, allocatePwRatios, measurePwSensitivity, choosePwRatios, pwGroups, PW_SCOPES, type PwScope,
  type PwAllocation, type PwAllocationOptions, type PwSensitivity, type PwSensitivityOptions, type PwBudget, type PwCandidate, type PwGroupAllocation,
  type PruneMethod, type PruneOptions, type PruneReport, type LayerReport, type LayerPattern, type Criterion, type LayerSensitivity, type SensitivityReport,
  type ReconstructOptions, type ReconstructReport, type LayerReconstruction,
} from './prune/index.js';
export { emptyCache, parseTuningCache, mergeCaches, type TuningCache, type TuningEntry } from './tune/cache.js';
export {
  simulate, parsePlanner, planDp, planLinear, planWithinBudget, paperChain, validateChain, linearize,
  type Chain, type Planner, type Simulation,
} from './plan/index.js';
