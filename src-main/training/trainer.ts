/**
 * The training loop: patches → gradients of the loss (gradients.ts: onnxruntime or TF.js) → Adam with a scheduled
 * learning rate, optional EMA of the deployed convs, periodic validation and checkpoints, cancellation through an
 * AbortSignal (a checkpoint is written before returning). The state is plain arrays, so checkpoints are exact.
 */
import { skipOf, unshuffleOf, type ArchitectureSpec, type ModelWeights } from '../engine/models/spec.js';
import { adamStep, createAdam } from './adam.js';
import { initTrainingBackend, type TrainingBackendInfo, type TrainingBackendOptions } from './backend.js';
import { saveCheckpoint, type CheckpointState } from './checkpoint.js';
import { loadTrainingData, sampleBatch, type Batch, type DataOptions, type DataStats, type TrainingData } from './data.js';
import { createDegradedBatchSource, type DegradedBatchSource } from './batch-source.js';
import { checkDegradation, isRandomDegradation, type DegradationOptions } from './degrade.js';
import { collapse, deployedConvs } from './collapse.js';
import { initialTrainWeights, paramShapes, trainWeightsFromModel, type NetKind, type TrainWeights } from './nets.js';
import { createGradientSource } from './gradients.js';
import { LOSS_NAMES, type LossName } from './losses.js';
import { createRng } from './rng.js';
import { learningRate, type ScheduleOptions } from './schedule.js';
import { scoreModel, type ValScore } from './validate.js';

/** Everything that defines a run (stored in checkpoints, so resuming needs only the checkpoint). */
export interface TrainConfig {
  spec: ArchitectureSpec;
  kind: NetKind;
  hrFolders: string[];
  valFolder?: string;
  valFraction: number;
  valCrop: number;
  steps: number;
  batchSize: number;
  /** LR patch side. */
  patchSize: number;
  loss: LossName;
  schedule: ScheduleOptions;
  /** EMA decay of the deployed weights (0 = off). */
  ema: number;
  valEvery: number;
  checkpointEvery: number;
  /** How LR inputs are made: clean bicubic once per image, or a random preset drawn anew for every patch. */
  degradation: DegradationOptions;
  /** Unused since degradations are drawn per patch (kept so older checkpoints still load). */
  degradeEvery: number;
  /** Extra training copies of every HR image downscaled by these factors (see DataOptions.augmentScales). */
  augmentScales?: number[];
  /** Train on the rounded LR Y (see DataOptions.roundLrY). */
  roundLrY?: boolean;
  seed: number;
  baseModel?: string;
}

export const DEFAULT_CONFIG: Omit<TrainConfig, 'spec' | 'kind' | 'hrFolders'> = {
  valFraction: 0.1, valCrop: 480, steps: 20_000, batchSize: 16, patchSize: 48, loss: 'l1',
  schedule: { schedule: 'cosine', lr: 1e-3, lrMin: 1e-5, warmupSteps: 200 }, ema: 0.999,
  valEvery: 500, checkpointEvery: 500, degradation: { preset: 'bicubic' }, degradeEvery: 200, seed: 1,
};

export interface ValPoint extends ValScore {
  step: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  /** Mean training loss over recent steps. */
  loss: number;
  lr: number;
  stepsPerSec: number;
  etaSec: number;
  /** The latest validation scores and the step they were measured at (earlier than `step` between validations). */
  val?: { psnr: number; ssim: number; step: number };
}

export interface TrainRunOptions {
  config: TrainConfig;
  /** Start from these weights (fine-tuning) instead of a random initialisation. */
  initial?: TrainWeights;
  /** Continue a checkpointed run (its config wins, except `steps` from `config` when larger). */
  resume?: CheckpointState;
  /** Where checkpoints go; none are written without it. */
  checkpointDir?: string;
  /** Already loaded data (must match the config). */
  data?: TrainingData;
  /** This process's command line, recorded in the checkpoint. */
  command?: string;
  onProgress?: (p: TrainProgress) => void;
  onWarning?: (message: string) => void;
  /** After each checkpoint write (e.g. to export the deployable model next to it). */
  onCheckpoint?: (state: CheckpointState, deployed: ModelWeights) => Promise<void> | void;
  signal?: AbortSignal;
  backend?: TrainingBackendOptions;
  /**
   * For the TF.js backends: data-parallel worker threads computing gradients of equal batch shards (1 = in this
   * thread). Results are bit-reproducible for a given worker count; different counts differ only by float rounding.
   * onnxruntime uses `backend.threads` instead.
   */
  workers?: number;
  /**
   * Random degradations: worker threads that make the batches ahead of the step (default 1; 0 = this thread). The
   * batches are the same either way.
   */
  dataWorkers?: number;
}

export interface TrainOutcome {
  status: 'completed' | 'canceled';
  step: number;
  /** Deployable weights (EMA when enabled). */
  weights: ModelWeights;
  /** Final training weights (for further training). */
  trainWeights: TrainWeights;
  val?: ValPoint;
  /**
   * The deployable weights at the best validation score this run measured (a run that got worse towards its end
   * still yields its best model); absent without validation images.
   */
  best?: { val: ValPoint; weights: ModelWeights };
  history: ValPoint[];
  stats: DataStats;
  backend: TrainingBackendInfo;
  elapsedSec: number;
  meanStepMs: number;
  checkpoint?: CheckpointState;
}

/** What the data loader needs of a run's configuration. */
export function dataOptionsOf(c: TrainConfig, onWarning?: (message: string) => void): DataOptions {
  return {
    hrFolders: c.hrFolders, valFolder: c.valFolder, valFraction: c.valFraction, scale: c.spec.scale,
    patchSize: c.patchSize, degradation: c.degradation, seed: c.seed, valCrop: c.valCrop, onWarning,
    ...(c.augmentScales ? { augmentScales: c.augmentScales } : {}),
    ...(c.roundLrY ? { roundLrY: true } : {}),
  };
}

function checkConfig(c: TrainConfig): void {
  if (!Number.isInteger(c.steps) || c.steps < 1) throw new Error(`steps must be a positive integer, got ${c.steps}`);
  if (c.batchSize < 1 || c.patchSize < 8) throw new Error('batch size must be ≥ 1 and patch size ≥ 8');
  if (c.patchSize % unshuffleOf(c.spec) !== 0) {
    throw new Error(`patch size must be even for this model (its convs run on 2x2 blocks of pixels), got ${c.patchSize}`);
  }
  if (!LOSS_NAMES.includes(c.loss)) throw new Error(`unknown loss "${c.loss}" (expected ${LOSS_NAMES.join(', ')})`);
  if (c.ema < 0 || c.ema >= 1) throw new Error('ema decay must be in [0, 1)');
  checkDegradation(c.degradation);
  learningRate(c.schedule, 0, c.steps);
}

export async function train(o: TrainRunOptions): Promise<TrainOutcome> {
  const config: TrainConfig = o.resume ? { ...o.resume.config, steps: Math.max(o.resume.config.steps, o.config.steps) } : o.config;
  checkConfig(config);
  const backend = await initTrainingBackend(o.backend);
  const data = o.data ?? await loadTrainingData(dataOptionsOf(config, o.onWarning));
  const start = o.resume?.weights ?? o.initial ?? initialTrainWeights(config.spec, config.kind, config.seed);
  // the training state lives in plain arrays (updated in place), copied so the caller's weights stay as they were
  const weights: TrainWeights = { spec: start.spec, kind: start.kind, tensors: {} };
  for (const [name] of paramShapes(start.spec, start.kind)) {
    const t = start.tensors[name];
    if (!t) throw new Error(`weights lack ${name}`);
    weights.tensors[name] = { shape: t.shape.slice(), data: Float32Array.from(t.data) };
  }
  const adam = createAdam(weights.tensors, o.resume?.adam);
  const rng = createRng(o.resume?.rng ?? config.seed);
  let step = o.resume?.step ?? 0;
  const history: ValPoint[] = [...(o.resume?.history ?? [])];
  const startedAt = o.resume?.startedAt ?? new Date().toISOString();
  const commands = [...(o.resume?.commands ?? []), ...(o.command ? [o.command] : [])];
  const elapsedBefore = o.resume?.elapsedSec ?? 0;
  const sessionStart = performance.now();

  // EMA of the deployed convs, keyed 'l<i>.kernel' / '.bias' / '.alpha' like plain training weights
  let ema: Record<string, { shape: number[]; data: Float32Array }> | undefined;
  if (config.ema > 0) {
    ema = {};
    if (o.resume?.ema) {
      for (const [name, t] of Object.entries(o.resume.ema)) ema[name] = { shape: t.shape.slice(), data: Float32Array.from(t.data) };
    } else {
      for (const [name, t] of Object.entries(trainWeightsFromModel(collapse(weights)).tensors)) ema[name] = t;
    }
  }

  // Clean data: patches from the run's RNG (its state is checkpointed). Random degradations: each step's patches
  // and plans come from an RNG seeded by the step, so the next batch can be made while this one trains (sharp
  // works off the thread) and a resumed run still draws what the uninterrupted one would have.
  const perPatch = isRandomDegradation(config.degradation);
  const skip = skipOf(config.spec);
  let source: DegradedBatchSource | undefined;
  const degradedBatch = (s: number): Promise<Batch> => {
    const made = source!.batch(s);
    made.catch(() => {}); // awaited later; a failure surfaces there
    return made;
  };
  let prefetched: Promise<Batch> | undefined;

  const deployedWeights = (): ModelWeights => (ema
    ? collapse({ spec: config.spec, kind: 'plain', tensors: ema })
    : collapse(weights));
  const validate = async (): Promise<ValPoint | undefined> => {
    const s = await scoreModel(deployedWeights(), data.val, o.backend?.threads);
    return s ? { step, ...s } : undefined;
  };
  // smoothed over ~50 steps for the progress display; kept in checkpoints so a resumed curve has no step in it
  let lossAvg = o.resume?.lossAvg ?? NaN;
  const copyArrays = (r: Record<string, Float32Array>): Record<string, Float32Array> =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Float32Array.from(v)]));
  const snapshot = (): CheckpointState => ({
    config, step, rng: rng.state(), elapsedSec: elapsedBefore + (performance.now() - sessionStart) / 1000, startedAt, commands,
    history: [...history],
    weights: { spec: weights.spec, kind: weights.kind, tensors: Object.fromEntries(Object.entries(weights.tensors).map(([k, t]) => [k, { shape: t.shape.slice(), data: Float32Array.from(t.data) }])) },
    adam: { t: adam.t, m: copyArrays(adam.m), v: copyArrays(adam.v) },
    ...(ema ? { ema: Object.fromEntries(Object.entries(ema).map(([k, t]) => [k, { shape: t.shape.slice(), data: Float32Array.from(t.data) }])) } : {}),
    ...(Number.isFinite(lossAvg) ? { lossAvg } : {}),
  });
  let lastCheckpoint: CheckpointState | undefined;
  const checkpoint = async (): Promise<void> => {
    if (!o.checkpointDir) return;
    lastCheckpoint = snapshot();
    await saveCheckpoint(o.checkpointDir, lastCheckpoint);
    await o.onCheckpoint?.(lastCheckpoint, deployedWeights());
  };

  let lastVal = history[history.length - 1];
  // A resumed run starts from its checkpoint's weights: they count as best until a validation beats them.
  let best: TrainOutcome['best'] = lastVal ? { val: lastVal, weights: deployedWeights() } : undefined;
  const window: number[] = [];
  let totalStepMs = 0;
  let sessionSteps = 0;
  let status: TrainOutcome['status'] = 'completed';
  const workers = Math.max(1, Math.floor(o.workers ?? 1));
  if (workers > 1 && config.batchSize % workers !== 0) throw new Error(`batch size ${config.batchSize} must be a multiple of workers (${workers})`);
  const gradients = await createGradientSource(config.spec, weights.kind, config.loss, backend, { workers, ...(o.backend?.prefer ? { prefer: o.backend.prefer } : {}) });
  try {
    if (perPatch && step < config.steps) {
      source = await createDegradedBatchSource(data, {
        seed: config.seed, batchSize: config.batchSize, patchSize: config.patchSize, skip, degradation: config.degradation,
        ...(config.roundLrY ? { roundLrY: true } : {}), workers: o.dataWorkers ?? 1,
      });
      prefetched = degradedBatch(step);
    }
    while (step < config.steps) {
      if (o.signal?.aborted) { status = 'canceled'; break; }
      const t0 = performance.now();
      const lr = learningRate(config.schedule, step, config.steps);
      let batch: Batch;
      if (prefetched) {
        batch = await prefetched;
        prefetched = step + 1 < config.steps ? degradedBatch(step + 1) : undefined;
      } else {
        batch = sampleBatch(data, rng, config.batchSize, config.patchSize, skip);
      }
      const { grads, loss: lossNow } = await gradients.compute(weights, batch);
      if (!Number.isFinite(lossNow)) throw new Error(`training diverged at step ${step} (loss ${lossNow}); lower the learning rate`);
      adamStep(adam, weights.tensors, grads, lr);
      if (ema) {
        const decay = Math.min(config.ema, (1 + step) / (10 + step));
        deployedConvs(weights).forEach((conv, l) => {
          for (const field of ['kernel', 'bias', 'alpha'] as const) {
            const current = conv[field];
            if (!current) continue;
            const avg = ema[`l${l}.${field}`].data;
            for (let j = 0; j < avg.length; j++) avg[j] = decay * avg[j] + (1 - decay) * current[j];
          }
        });
      }
      step++;
      const ms = performance.now() - t0;
      totalStepMs += ms;
      sessionSteps++;
      window.push(ms);
      if (window.length > 50) window.shift();
      lossAvg = Number.isNaN(lossAvg) ? lossNow : 0.98 * lossAvg + 0.02 * lossNow;
      if (config.valEvery > 0 && (step % config.valEvery === 0 || step === config.steps)) {
        const v = await validate();
        if (v) {
          lastVal = v;
          history.push(v);
          if (!best || v.psnr > best.val.psnr) best = { val: v, weights: deployedWeights() };
        }
      }
      if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0 && step < config.steps) await checkpoint();
      const msPerStep = window.reduce((a, b) => a + b, 0) / window.length;
      o.onProgress?.({
        step, totalSteps: config.steps, loss: lossAvg, lr, stepsPerSec: 1000 / msPerStep,
        etaSec: ((config.steps - step) * msPerStep) / 1000,
        ...(lastVal ? { val: { psnr: lastVal.psnr, ssim: lastVal.ssim, step: lastVal.step } } : {}),
      });
      // let timers, signals and I/O callbacks run between steps
      await new Promise<void>((r) => setImmediate(r));
    }
    await checkpoint();
    return {
      status, step, weights: deployedWeights(), trainWeights: weights, ...(lastVal ? { val: lastVal } : {}), ...(best ? { best } : {}), history, stats: data.stats,
      backend, elapsedSec: elapsedBefore + (performance.now() - sessionStart) / 1000,
      meanStepMs: sessionSteps ? totalStepMs / sessionSteps : 0, ...(lastCheckpoint ? { checkpoint: lastCheckpoint } : {}),
    };
  } finally {
    await source?.close();
    await gradients.close();
  }
}
