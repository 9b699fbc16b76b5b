export * from './spec.js';
export { checkWeightShapes } from './check.js';
export { ModelLoadError } from './errors.js';
export {
  MANIFEST_JSON, readManifest, upsertManifestEntry, removeManifestEntry, manifestEntryFor,
  type ManifestEntry, type ModelScores, type QualityScore,
} from './manifest.js';
export {
  MODEL_JSON, WEIGHTS_BIN,
  saveModel, loadModel, loadModelDir, resolveModel, listModels,
  fileSystemIOHandler, shippedModelsDir, userModelsDir, defaultModelDirs, describeSpec,
  type ModelMeta, type LoadedModel, type TrainingProvenance, type ModelListing, type ModelSearchOptions,
} from './store.js';
// layers.ts is not re-exported: importing it loads TF.js, which ONNX-only consumers should not pay for.
