/**
 * The training loop: patches → forward (deployed convs computed from the trainable parameters) → loss → gradients
 * (forward-conv based, see conv.ts) → Adam with a scheduled learning rate, optional EMA, periodic validation and
 * checkpoints, cancellation through an AbortSignal (a checkpoint is written before returning).
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureSpec, ModelWeights } from '../engine/models/spec.js';
import { adamStep, createAdam, disposeAdam } from './adam.js';
import { initTrainingBackend, type TrainingBackendInfo, type TrainingBackendOptions } from './backend.js';
import { saveCheckpoint, type CheckpointState } from './checkpoint.js';
import { loadTrainingData, redegrade, sampleBatch, type DataStats, type TrainingData } from './data.js';
import { checkDegradation, type DegradationOptions } from './degrade.js';
import {
  createNet, disposeNet, initialTrainWeights, layerTensors, modelWeightsFromLayers, netLayers,
  readTrainWeights, type LayerTensors, type NetKind, type TrainWeights,
} from './nets.js';
import { createGradientSource } from './gradients.js';
import { LOSS_NAMES, type LossName } from './losses.js';
import { createRng } from './rng.js';
import { learningRate, type ScheduleOptions } from './schedule.js';
import { scoreLayers, type ValScore } from './validate.js';


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
  degradation: DegradationOptions;
  /** Random degradations are re-drawn for every image each this many steps. */
  degradeEvery: number;
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
   * Data-parallel worker threads computing gradients of equal batch shards (1 = in this thread). Results are
   * bit-reproducible for a given worker count; different counts differ only by float rounding.
   */
  workers?: number;
}

export interface TrainOutcome {
  status: 'completed' | 'cancelled';
  step: number;
  /** Deployable weights (EMA when enabled). */
  weights: ModelWeights;
  /** Final training weights (for further training). */
  trainWeights: TrainWeights;
  val?: ValPoint;
  history: ValPoint[];
  stats: DataStats;
  backend: TrainingBackendInfo;
  elapsedSec: number;
  meanStepMs: number;
  checkpoint?: CheckpointState;
}

function checkConfig(c: TrainConfig): void {
  if (!Number.isInteger(c.steps) || c.steps < 1) throw new Error(`steps must be a positive integer, got ${c.steps}`);
  if (c.batchSize < 1 || c.patchSize < 8) throw new Error('batch size must be ≥ 1 and patch size ≥ 8');
  if (!LOSS_NAMES.includes(c.loss)) throw new Error(`unknown loss "${c.loss}" (expected ${LOSS_NAMES.join(', ')})`);
  if (c.ema < 0 || c.ema >= 1) throw new Error('ema decay must be in [0, 1)');
  checkDegradation(c.degradation);
  learningRate(c.schedule, 0, c.steps);
}

function layerEntries(layers: LayerTensors[]): Array<[string, tf.Tensor]> {
  const out: Array<[string, tf.Tensor]> = [];
  layers.forEach((l, i) => {
    out.push([`l${i}.kernel`, l.kernel], [`l${i}.bias`, l.bias]);
    if (l.alpha) out.push([`l${i}.alpha`, l.alpha]);
  });
  return out;
}

function emaLayers(ema: Record<string, tf.Variable>, count: number): LayerTensors[] {
  return Array.from({ length: count }, (_, i) => ({
    kernel: ema[`l${i}.kernel`] as unknown as tf.Tensor4D,
    bias: ema[`l${i}.bias`] as unknown as tf.Tensor1D,
    ...(ema[`l${i}.alpha`] ? { alpha: ema[`l${i}.alpha`] as unknown as tf.Tensor1D } : {}),
  }));
}

export async function train(o: TrainRunOptions): Promise<TrainOutcome> {
  const config: TrainConfig = o.resume ? { ...o.resume.config, steps: Math.max(o.resume.config.steps, o.config.steps) } : o.config;
  checkConfig(config);
  const backend = await initTrainingBackend(o.backend);
  const data = o.data ?? await loadTrainingData({
    hrFolders: config.hrFolders, valFolder: config.valFolder, valFraction: config.valFraction, scale: config.spec.scale,
    patchSize: config.patchSize, degradation: config.degradation, seed: config.seed, valCrop: config.valCrop, onWarning: o.onWarning,
  });
  const startWeights = o.resume?.weights ?? o.initial ?? initialTrainWeights(config.spec, config.kind, config.seed);
  const net = createNet(startWeights);
  const adam = createAdam(net.vars, o.resume?.adam);
  const rng = createRng(o.resume?.rng ?? config.seed);
  let step = o.resume?.step ?? 0;
  const history: ValPoint[] = [...(o.resume?.history ?? [])];
  const startedAt = o.resume?.startedAt ?? new Date().toISOString();
  const commands = [...(o.resume?.commands ?? []), ...(o.command ? [o.command] : [])];
  const elapsedBefore = o.resume?.elapsedSec ?? 0;
  const sessionStart = performance.now();
  const layerCount = config.spec.widths.length + 1;

  let ema: Record<string, tf.Variable> | undefined;
  if (config.ema > 0) {
    ema = {};
    if (o.resume?.ema) {
      for (const [name, t] of Object.entries(o.resume.ema)) ema[name] = tf.variable(tf.tensor(t.data, t.shape), false);
    } else {
      const layers = tf.tidy(() => netLayers(net).map((l) => ({ ...l })));
      for (const [name, t] of layerEntries(layers)) ema[name] = tf.variable(t.clone(), false);
      if (net.kind === 'reparam') for (const l of layers) tf.dispose([l.kernel, l.bias]);
    }
  }

  const epochOf = (s: number): number => Math.floor(s / Math.max(1, config.degradeEvery));
  let epoch = epochOf(step);
  if (epoch > 0) await redegrade(data, { degradation: config.degradation, seed: config.seed, scale: config.spec.scale }, epoch);

  const deployedLayers = (): { layers: LayerTensors[]; dispose: () => void } => {
    if (ema) return { layers: emaLayers(ema, layerCount), dispose: () => undefined };
    const layers = layerTensors(net.spec, net.kind, net.vars);
    return { layers, dispose: () => { if (net.kind === 'reparam') for (const l of layers) tf.dispose([l.kernel, l.bias]); } };
  };
  const deployedWeights = (): ModelWeights => {
    const d = deployedLayers();
    try { return modelWeightsFromLayers(config.spec, d.layers); } finally { d.dispose(); }
  };
  const validate = (): ValPoint | undefined => {
    const d = deployedLayers();
    try {
      const s = scoreLayers(config.spec, d.layers, data.val);
      return s ? { step, ...s } : undefined;
    } finally { d.dispose(); }
  };
  const snapshot = (): CheckpointState => {
    const weights = readTrainWeights(net);
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const name of net.names) {
      m[name] = adam.m[name].dataSync() as Float32Array;
      v[name] = adam.v[name].dataSync() as Float32Array;
    }
    return {
      config, step, rng: rng.state(), elapsedSec: elapsedBefore + (performance.now() - sessionStart) / 1000, startedAt, commands,
      history, weights, adam: { t: adam.t, m, v },
      ...(ema ? { ema: Object.fromEntries(Object.entries(ema).map(([k, t]) => [k, { shape: t.shape.slice(), data: t.dataSync() as Float32Array }])) } : {}),
    };
  };
  let lastCheckpoint: CheckpointState | undefined;
  const checkpoint = async (): Promise<void> => {
    if (!o.checkpointDir) return;
    lastCheckpoint = snapshot();
    await saveCheckpoint(o.checkpointDir, lastCheckpoint);
    await o.onCheckpoint?.(lastCheckpoint, deployedWeights());
  };

  let lossAvg = NaN;
  let lastVal = history[history.length - 1];
  const window: number[] = [];
  let totalStepMs = 0;
  let sessionSteps = 0;
  let status: TrainOutcome['status'] = 'completed';
  const workers = Math.max(1, Math.floor(o.workers ?? 1));
  if (workers > 1 && config.batchSize % workers !== 0) throw new Error(`batch size ${config.batchSize} must be a multiple of workers (${workers})`);
  const gradients = await createGradientSource(net, config.loss, backend, { workers, ...(o.backend?.prefer ? { prefer: o.backend.prefer } : {}) });
  try {
    while (step < config.steps) {
      if (o.signal?.aborted) { status = 'cancelled'; break; }
      const t0 = performance.now();
      if (epochOf(step) !== epoch) {
        epoch = epochOf(step);
        await redegrade(data, { degradation: config.degradation, seed: config.seed, scale: config.spec.scale }, epoch);
      }
      const lr = learningRate(config.schedule, step, config.steps);
      const batch = sampleBatch(data, rng, config.batchSize, config.patchSize, config.spec.residual);
      const { grads, loss: lossNow } = await gradients.compute(batch);
      if (!Number.isFinite(lossNow)) throw new Error(`training diverged at step ${step} (loss ${lossNow}); lower the learning rate`);
      tf.tidy(() => {
        adamStep(adam, net.vars, Object.fromEntries(net.names.map((n, i) => [n, tf.tensor(grads[i], net.vars[n].shape)])), lr);
        if (ema) {
          const decay = Math.min(config.ema, (1 + step) / (10 + step));
          for (const [name, t] of layerEntries(netLayers(net))) ema[name].assign(tf.add(tf.mul(ema[name], decay), tf.mul(t, 1 - decay)));
        }
      });
      step++;
      const ms = performance.now() - t0;
      totalStepMs += ms;
      sessionSteps++;
      window.push(ms);
      if (window.length > 50) window.shift();
      lossAvg = Number.isNaN(lossAvg) ? lossNow : 0.98 * lossAvg + 0.02 * lossNow;
      if (config.valEvery > 0 && (step % config.valEvery === 0 || step === config.steps)) {
        const v = validate();
        if (v) { lastVal = v; history.push(v); }
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
    const weights = deployedWeights();
    return {
      status, step, weights, trainWeights: readTrainWeights(net), ...(lastVal ? { val: lastVal } : {}), history, stats: data.stats,
      backend, elapsedSec: elapsedBefore + (performance.now() - sessionStart) / 1000,
      meanStepMs: sessionSteps ? totalStepMs / sessionSteps : 0, ...(lastCheckpoint ? { checkpoint: lastCheckpoint } : {}),
    };
  } finally {
    await gradients.close();
    disposeNet(net);
    disposeAdam(adam);
    if (ema) tf.dispose(Object.values(ema));
  }
}
