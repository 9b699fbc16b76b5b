/**
 * Where a training step's gradients come from. Every source returns the mean loss of a batch and its gradient with
 * respect to each training parameter at the given weights, so the trainer and the benchmark treat them alike:
 *   - 'tfjs': TF.js autodiff in this thread (forward-conv gradients, conv.ts);
 *   - 'tfjs-workers': the same in data-parallel worker threads (parallel.ts);
 *   - 'onnx': onnxruntime computes the gradients of the deployed convs (ort-gradients.ts; with several threads, on
 *     shards of the batch in worker threads, ort-gradient-pool.ts); the chain rule back to the re-parameterised
 *     branches runs on plain arrays (collapse.ts).
 */
import { tf } from '../engine/backends/tfjs/tf.js';
import type { ArchitectureSpec } from '../engine/models/spec.js';
import type { TrainingBackendInfo, TrainingBackendPreference } from './backend.js';
import { chainToParams, deployedConvs } from './collapse.js';
import type { Batch } from './data.js';
import { lossValue, type LossName } from './losses.js';
import { createNet, disposeNet, forwardMaps, initialTrainWeights, netLayers, paramShapes, type NetKind, type TrainWeights } from './nets.js';
import { createOrtGradients } from './ort-gradients.js';
import { createOrtGradientPool } from './ort-gradient-pool.js';
import { createGradientPool } from './parallel.js';

export interface GradientSource {
  compute(weights: TrainWeights, batch: Batch): Promise<{ grads: Record<string, Float32Array>; loss: number }>;
  close(): Promise<void>;
}

export function tfjsGradientSource(spec: ArchitectureSpec, kind: NetKind, loss: LossName): GradientSource {
  const net = createNet(initialTrainWeights(spec, kind, 1));
  const vars = net.names.map((n) => net.vars[n]);
  const s2c = spec.scale * spec.scale * spec.channels;
  return {
    async compute(weights, batch) {
      return tf.tidy(() => {
        // assign() keeps its own reference, so the temporary tensors go with the tidy
        for (const name of net.names) net.vars[name].assign(tf.tensor(weights.tensors[name].data, net.vars[name].shape));
        const x = tf.tensor4d(batch.input, [batch.n, batch.patch, batch.patch, spec.channels]);
        const target = tf.tensor4d(batch.target, [batch.n, batch.patch, batch.patch, s2c]);
        const { value, grads } = tf.variableGrads(() => lossValue(loss, forwardMaps(spec, netLayers(net), x), target), vars);
        return { grads: Object.fromEntries(net.names.map((n, i) => [n, grads[vars[i].name].dataSync() as Float32Array])), loss: value.dataSync()[0] };
      });
    },
    async close() { disposeNet(net); },
  };
}

export async function createGradientSource(
  spec: ArchitectureSpec, kind: NetKind, loss: LossName, backend: TrainingBackendInfo,
  options: { workers?: number; prefer?: TrainingBackendPreference } = {},
): Promise<GradientSource> {
  if (backend.name === 'onnxruntime') {
    // Several threads: one single-threaded session each, on shards of the batch (ort-gradient-pool.ts says why).
    const ort = backend.threads > 1 ? await createOrtGradientPool(spec, loss, backend.threads) : await createOrtGradients(spec, loss, 1);
    return {
      async compute(weights, batch) {
        const { loss: value, grads } = await ort.compute(deployedConvs(weights), batch);
        return { grads: chainToParams(weights, grads), loss: value };
      },
      close: () => ort.close(),
    };
  }
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  if (workers === 1) return tfjsGradientSource(spec, kind, loss);
  const names = paramShapes(spec, kind).map(([name]) => name);
  const pool = await createGradientPool(workers, { spec, kind, loss, ...(options.prefer ? { prefer: options.prefer } : {}) });
  return {
    async compute(weights, batch) {
      const { grads, loss: value } = await pool.compute(names.map((n) => weights.tensors[n].data), batch, spec.scale);
      return { grads: Object.fromEntries(names.map((n, i) => [n, grads[i]])), loss: value };
    },
    close: () => pool.close(),
  };
}
