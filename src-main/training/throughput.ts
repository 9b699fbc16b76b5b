/**
 * Training throughput of one architecture on random patches, for the benchmark: patches per second and the
 * effective multiply-accumulate rate, counting a training step as 3× the forward MACs (forward, input gradient,
 * filter gradient) so it compares directly with the inference rate of the same model.
 */
import * as tf from '@tensorflow/tfjs';
import { macsPerPixel, type ArchitectureSpec } from '../engine/models/spec.js';
import { adamStep, createAdam, disposeAdam } from './adam.js';
import { usesReparam } from './architectures.js';
import { initTrainingBackend, type TrainingBackendInfo } from './backend.js';
import { createNet, disposeNet, forwardMaps, initialTrainWeights, netLayers } from './nets.js';
import { createRng } from './rng.js';
import { lossValue } from './trainer.js';

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
  options: { batchSize?: number; patchSize?: number; steps?: number; warmup?: number } = {},
): Promise<TrainingThroughput> {
  const backend = await initTrainingBackend();
  const batchSize = options.batchSize ?? 16;
  const patchSize = options.patchSize ?? 48;
  const s2 = spec.scale * spec.scale * spec.channels;
  const rng = createRng(1);
  const input = Float32Array.from({ length: batchSize * patchSize * patchSize * spec.channels }, () => rng.next());
  const target = Float32Array.from({ length: batchSize * patchSize * patchSize * s2 }, () => rng.next() - 0.5);
  const net = createNet(initialTrainWeights(spec, usesReparam(spec) ? 'reparam' : 'plain', 1));
  const adam = createAdam(net.vars);
  const vars = net.names.map((n) => net.vars[n]);
  const nameOf = new Map(vars.map((v, i) => [v.name, net.names[i]]));
  const times: number[] = [];
  try {
    const total = (options.warmup ?? 2) + (options.steps ?? 8);
    for (let i = 0; i < total; i++) {
      const t0 = performance.now();
      tf.tidy(() => {
        const x = tf.tensor4d(input, [batchSize, patchSize, patchSize, spec.channels]);
        const t = tf.tensor4d(target, [batchSize, patchSize, patchSize, s2]);
        const { value, grads } = tf.variableGrads(() => lossValue('l1', forwardMaps(spec, netLayers(net), x), t), vars);
        const named: Record<string, tf.Tensor> = {};
        for (const [k, g] of Object.entries(grads)) named[nameOf.get(k) as string] = g;
        adamStep(adam, net.vars, named, 1e-4);
        value.dataSync();
      });
      if (i >= (options.warmup ?? 2)) times.push(performance.now() - t0);
    }
  } finally {
    disposeNet(net);
    disposeAdam(adam);
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
