/**
 * Training throughput of one architecture on random patches, for the benchmark: patches per second and the
 * effective multiply-accumulate rate, counting a training step as 3× the forward MACs (forward, input gradient,
 * filter gradient) so it compares directly with the inference rate of the same model.
 */
import { macsPerPixel, type ArchitectureSpec } from '../engine/models/spec.js';
import { adamStep, createAdam } from './adam.js';
import { usesReparam } from './architectures.js';
import { initTrainingBackend, type TrainingBackendInfo, type TrainingBackendOptions } from './backend.js';
import type { Batch } from './data.js';
import { createGradientSource } from './gradients.js';
import { initialTrainWeights } from './nets.js';
import { createRng } from './rng.js';

export interface TrainingThroughput {
  backend: TrainingBackendInfo;
  batchSize: number;
  patchSize: number;
  medianStepMs: number;
  patchesPerSec: number;
  /** 3 × forward MACs per second, in GMAC/s. */
  effectiveGmacPerSec: number;
}

export async function measureTrainingThroughput(
  spec: ArchitectureSpec,
  options: { batchSize?: number; patchSize?: number; steps?: number; warmup?: number; backend?: TrainingBackendOptions } = {},
): Promise<TrainingThroughput> {
  const backend = await initTrainingBackend(options.backend);
  const batchSize = options.batchSize ?? 16;
  const patchSize = options.patchSize ?? 48;
  const s2 = spec.scale * spec.scale * spec.channels;
  const rng = createRng(1);
  const batch: Batch = {
    input: Float32Array.from({ length: batchSize * patchSize * patchSize * spec.channels }, () => rng.next()),
    target: Float32Array.from({ length: batchSize * patchSize * patchSize * s2 }, () => rng.next() - 0.5),
    n: batchSize, patch: patchSize,
  };
  const weights = initialTrainWeights(spec, usesReparam(spec) ? 'reparam' : 'plain', 1);
  const adam = createAdam(weights.tensors);
  const gradients = await createGradientSource(spec, weights.kind, 'l1', backend);
  const times: number[] = [];
  try {
    const total = (options.warmup ?? 2) + (options.steps ?? 8);
    for (let i = 0; i < total; i++) {
      const t0 = performance.now();
      const { grads } = await gradients.compute(weights, batch);
      adamStep(adam, weights.tensors, grads, 1e-4);
      if (i >= (options.warmup ?? 2)) times.push(performance.now() - t0);
    }
  } finally {
    await gradients.close();
  }
  times.sort((a, b) => a - b);
  const medianStepMs = times[times.length >> 1];
  const pixels = batchSize * patchSize * patchSize;
  return {
    backend, batchSize, patchSize, medianStepMs,
    patchesPerSec: (batchSize * 1000) / medianStepMs,
    effectiveGmacPerSec: (3 * macsPerPixel(spec) * pixels) / (medianStepMs * 1e6),
  };
}
