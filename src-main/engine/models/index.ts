export * from './spec.js';
export { checkWeightShapes } from './check.js';
export {
  ModelLoadError, MODEL_JSON, WEIGHTS_BIN, MANIFEST_JSON,
  saveModel, loadModel, loadModelDir, resolveModel, readManifest, upsertManifestEntry, removeManifestEntry, manifestEntryFor, listModels,
  fileSystemIOHandler, shippedModelsDir, userModelsDir, defaultModelDirs, describeSpec,
  type ModelMeta, type LoadedModel, type TrainingProvenance, type ManifestEntry, type ModelListing, type ModelScores,
  type QualityScore, type ModelSearchOptions,
} from './store.js';
// layers.ts is not re-exported: importing it loads TF.js, which ONNX-only consumers should not pay for.
