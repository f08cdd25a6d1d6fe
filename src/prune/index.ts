/** Pruning: patterns are pure functions of weights; criteria score; apply.ts chooses the layers. */
export { pruneModel, expansionGroups, pwGroups, readPruningMetadata, PRUNING_METADATA_KEY, DEFAULT_TILE, type LayerPattern, type LayerReport, type PruneReport } from './apply.js';
export { parseMethod, methodString, parseCriterion, PW_SCOPES, type PruneMethod, type PruneOptions, type PwScope } from './spec.js';
export { CRITERIA, score, type Criterion } from './criteria.js';
export { colNmMask, type ColNmOptions, type ColNmResult } from './patterns/colnm.js';
export { depruneMask, type DepruneOptions, type DepruneResult, type DepruneMode } from './patterns/deprune.js';
export { reductionNmMask } from './patterns/nm-reduction.js';
export { magnitudeMask } from './patterns/unstructured.js';
export { allChannelGroups, channelGroup, type ChannelGroup } from './dependency.js';
export { pruningSensitivity, type LayerSensitivity, type SensitivityReport } from './sensitivity.js';
export { reconstructPruned, type ReconstructOptions, type ReconstructReport, type LayerReconstruction } from './reconstruct.js';
export { allocatePwRatios, measurePwSensitivity, choosePwRatios, chooseOptions, DEFAULT_PW_GRID, type PwAllocation, type PwAllocationOptions, type PwSensitivity, type PwSensitivityOptions, type PwBudget, type PwCandidate, type PwGroupAllocation } from './allocate.js';
