/**
 * Fine-tuning: continue training an existing model (shipped or custom) on the user's own HR folders, under a
 * degradation preset, and save the result as a new model in the user models folder with a manifest entry that
 * records the base model, the data and the validation scores before and after.
 */
import { basename, dirname, join, relative, resolve } from 'node:path';
import { defaultValEvery, FINE_TUNE_DEFAULTS } from '../../src-common/fine-tune.js';
import { macsPerPixel, parameterCount, type ModelWeights, type Scale } from '../engine/models/spec.js';
import { upsertManifestEntry, type ManifestEntry } from '../engine/models/manifest.js';
import { resolveModel, saveModel, userModelsDir, type ModelSearchOptions } from '../engine/models/store.js';
import { initTrainingBackend, type TrainingBackendOptions } from './backend.js';
import { loadCheckpoint } from './checkpoint.js';
import { claimModelFolder } from './model-folder.js';
import { loadTrainingData, type DataStats } from './data.js';
import type { DegradationOptions, DegradationPreset } from './degrade.js';
import { trainWeightsFromModel } from './nets.js';
import type { LossName } from './losses.js';
import { DEFAULT_CONFIG, dataOptionsOf, train, type TrainConfig, type TrainProgress } from './trainer.js';
import { scoreModel, type ValScore } from './validate.js';

/**
 * The parameters are named as in the API's FineTuneParams (src-common/training.ts) and the CLI's flags; absent ones
 * take FINE_TUNE_DEFAULTS.
 */
export interface FineTuneOptions {
  /** Model id or folder. */
  baseModel: string;
  hrFolders: string[];
  valFolder?: string;
  /** Must match the base model's scale when given. */
  scale?: Scale;
  steps?: number;
  degradation?: DegradationPreset | DegradationOptions;
  /** Where the new model folder goes (default: <user models folder>/<id>). */
  outDir?: string;
  id?: string;
  /** Replace an existing model of the same id (default: refuse). */
  overwrite?: boolean;
  /** Peak learning rate of the cosine schedule (TrainConfig.schedule.lr). */
  learningRate?: number;
  batchSize?: number;
  patchSize?: number;
  loss?: LossName;
  seed?: number;
  checkpointEvery?: number;
  valEvery?: number;
  /** Continue a canceled fine-tune from its checkpoint folder. */
  resume?: string;
  /** Data-parallel gradient worker threads (see TrainRunOptions.workers). */
  workers?: number;
  /** What computes gradients (default: the fastest available) and on how many threads. */
  backend?: TrainingBackendOptions;
  /** Where base model ids are looked up. */
  searchPaths?: ModelSearchOptions['searchPaths'];
  onWarning?: (message: string) => void;
}

export interface FineTuneResult {
  status: 'completed' | 'canceled';
  id: string;
  /** The new model folder (written when completed) — its checkpoint/ subfolder allows resuming. */
  dir: string;
  checkpointDir: string;
  baseModel: string;
  steps: number;
  before?: ValScore;
  /** The kept model's validation score, with the step it was measured at (the best one). */
  after?: ValScore & { step?: number };
  stats: DataStats;
  elapsedSec: number;
  weights: ModelWeights;
}

function degradationOf(d: FineTuneOptions['degradation']): DegradationOptions {
  if (d === undefined) return { preset: FINE_TUNE_DEFAULTS.degradation };
  return typeof d === 'string' ? { preset: d } : d;
}

export async function fineTune(
  o: FineTuneOptions,
  onProgress?: (p: TrainProgress) => void,
  signal?: AbortSignal,
): Promise<FineTuneResult> {
  // before anything creates a tensor, so the 'before' score also runs on the training backend
  await initTrainingBackend(o.backend);
  const resumeState = o.resume ? await loadCheckpoint(o.resume) : undefined;
  const base = await resolveModel(resumeState?.config.baseModel ?? o.baseModel, { ...(o.searchPaths ? { searchPaths: o.searchPaths } : {}), ...(o.scale ? { scale: o.scale } : {}) });
  const spec = base.weights.spec;
  if (spec.channels !== 1) throw new Error(`fine-tuning supports Y models; ${base.id} has ${spec.channels} channels`);
  // A resumed run finishes the model it started: same folder (the checkpoint's parent), id and degradation.
  const degradation = resumeState?.config.degradation ?? degradationOf(o.degradation);
  const resumedDir = o.resume ? dirname(resolve(o.resume)) : undefined;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const id = o.id ?? (resumedDir ? basename(resumedDir) : `${base.id}-ft-${degradation.preset}-${stamp}`);
  const dir = o.outDir ?? resumedDir ?? join(userModelsDir(), id);
  const checkpointDir = o.resume ?? join(dir, 'checkpoint');
  const release = await claimModelFolder(dir, { id, overwrite: o.overwrite === true, resuming: o.resume !== undefined });
  try {
    return await fineTuneInto(o, { base, degradation, resumeState, id, dir, checkpointDir }, onProgress, signal);
  } finally {
    await release();
  }
}

interface FineTuneTarget {
  base: Awaited<ReturnType<typeof resolveModel>>;
  degradation: DegradationOptions;
  resumeState: Awaited<ReturnType<typeof loadCheckpoint>> | undefined;
  id: string;
  dir: string;
  checkpointDir: string;
}

async function fineTuneInto(
  o: FineTuneOptions, { base, degradation, resumeState, id, dir, checkpointDir }: FineTuneTarget,
  onProgress?: (p: TrainProgress) => void, signal?: AbortSignal,
): Promise<FineTuneResult> {
  const spec = base.weights.spec;
  const steps = o.steps ?? FINE_TUNE_DEFAULTS.steps;
  const learningRate = o.learningRate ?? FINE_TUNE_DEFAULTS.learningRate;
  const config: TrainConfig = resumeState?.config ?? {
    ...DEFAULT_CONFIG,
    spec, kind: 'plain', hrFolders: o.hrFolders, ...(o.valFolder ? { valFolder: o.valFolder } : {}),
    steps, batchSize: o.batchSize ?? FINE_TUNE_DEFAULTS.batchSize, patchSize: o.patchSize ?? FINE_TUNE_DEFAULTS.patchSize, loss: o.loss ?? 'l1',
    schedule: { schedule: 'cosine', lr: learningRate, lrMin: learningRate / 20, warmupSteps: 0 },
    ema: 0, valEvery: o.valEvery ?? defaultValEvery(steps), checkpointEvery: o.checkpointEvery ?? 200,
    degradation, degradeEvery: 50, seed: o.seed ?? FINE_TUNE_DEFAULTS.seed, baseModel: base.dir,
  };
  const data = await loadTrainingData(dataOptionsOf(config, o.onWarning));
  const before = await scoreModel(base.weights, data.val, o.backend?.threads);
  const outcome = await train({
    config: { ...config, steps: Math.max(config.steps, steps) }, initial: trainWeightsFromModel(base.weights),
    ...(resumeState ? { resume: resumeState } : {}), checkpointDir, data,
    command: process.argv.slice(1).join(' '), ...(onProgress ? { onProgress } : {}), ...(signal ? { signal } : {}),
    ...(o.onWarning ? { onWarning: o.onWarning } : {}), ...(o.workers ? { workers: o.workers } : {}),
    ...(o.backend ? { backend: o.backend } : {}),
  });
  // The model kept is the one that validated best, not the last one: a run that overshot keeps its better middle.
  const kept = outcome.best ?? (outcome.val ? { val: outcome.val, weights: outcome.weights } : undefined);
  const weights = kept?.weights ?? outcome.weights;
  const after: (ValScore & { step?: number }) | undefined = kept ? { ...kept.val } : await scoreModel(outcome.weights, data.val, o.backend?.threads);
  const result: FineTuneResult = {
    status: outcome.status, id, dir, checkpointDir, baseModel: base.id, steps: outcome.step,
    ...(before ? { before } : {}), ...(after ? { after } : {}), stats: data.stats, elapsedSec: outcome.elapsedSec, weights,
  };
  if (outcome.status !== 'completed') return result;

  const training = {
    datasets: config.hrFolders, baseModel: base.id, steps: outcome.step, batchSize: config.batchSize, patchSize: config.patchSize,
    learningRate: config.schedule.lr, seed: config.seed, finishedAt: new Date().toISOString(), backend: outcome.backend.name,
    notes: `fine-tuned under the ${degradation.preset} degradation; validation ${before ? before.psnr.toFixed(2) : '?'} → ${after ? after.psnr.toFixed(2) : '?'} dB${kept ? ` (best at step ${kept.val.step})` : ''}`,
  };
  await saveModel(dir, weights, { id, description: `${base.id} fine-tuned (${degradation.preset})`, training });
  const root = dirname(dir);
  const entry: ManifestEntry & Record<string, unknown> = {
    id, scale: spec.scale, channels: spec.channels, architecture: spec, params: parameterCount(spec), macsPerPixel: macsPerPixel(spec),
    training, path: relative(root, dir),
    degradation, dataStats: { ...data.stats, skippedFiles: data.stats.skippedFiles.slice(0, 20) },
    validation: { before, after, images: data.val.length, source: config.valFolder ?? `held-out ${Math.round(config.valFraction * 100)} %` },
  };
  await upsertManifestEntry(root, entry);
  return result;
}
