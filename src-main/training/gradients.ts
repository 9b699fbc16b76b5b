/**
 * Where a training step's gradients come from. Every source returns the mean loss of the batch and its gradient
 * with respect to each trainable parameter (in `net.names` order), so the trainer and the benchmark treat them alike:
 *   - 'tfjs': TF.js autodiff in this thread (forward-conv gradients, conv.ts);
 *   - 'tfjs-workers': the same in data-parallel worker threads (parallel.ts);
 *   - 'onnx': ONNX Runtime computes the gradients of the deployed convs (ort-gradients.ts); the chain rule through
 *     the re-parameterisation (a few small tensors) runs in TF.js.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainingBackendInfo, TrainingBackendPreference } from './backend.js';
import type { Batch } from './data.js';
import { forwardMaps, netLayers, type LayerTensors, type TrainableNet } from './nets.js';
import { createOrtGradients, type ConvGradients } from './ort-gradients.js';
import { createGradientPool } from './parallel.js';
import { lossValue, type LossName } from './losses.js';

export interface GradientSource {
  compute(batch: Batch): Promise<{ grads: Float32Array[]; loss: number }>;
  close(): Promise<void>;
}

/** Σ ⟨layer tensor, its gradient⟩: its gradient with respect to the parameters is the chain rule through `layers`. */
function chainedObjective(layers: LayerTensors[], grads: ConvGradients[]): tf.Scalar {
  let total: tf.Tensor = tf.scalar(0);
  layers.forEach((l, i) => {
    const g = grads[i];
    total = tf.add(total, tf.sum(tf.mul(l.kernel, tf.tensor(g.kernel, l.kernel.shape))));
    total = tf.add(total, tf.sum(tf.mul(l.bias, tf.tensor(g.bias, l.bias.shape))));
    if (l.alpha && g.alpha) total = tf.add(total, tf.sum(tf.mul(l.alpha, tf.tensor(g.alpha, l.alpha.shape))));
  });
  return total as tf.Scalar;
}

export function tfjsGradientSource(net: TrainableNet, loss: LossName): GradientSource {
  const vars = net.names.map((n) => net.vars[n]);
  const s2c = net.spec.scale * net.spec.scale * net.spec.channels;
  return {
    async compute(batch) {
      return tf.tidy(() => {
        const x = tf.tensor4d(batch.input, [batch.n, batch.patch, batch.patch, net.spec.channels]);
        const target = tf.tensor4d(batch.target, [batch.n, batch.patch, batch.patch, s2c]);
        const { value, grads } = tf.variableGrads(() => lossValue(loss, forwardMaps(net.spec, netLayers(net), x), target), vars);
        return { grads: vars.map((v) => grads[v.name].dataSync() as Float32Array), loss: value.dataSync()[0] };
      });
    },
    async close() { /* nothing held */ },
  };
}

async function onnxSource(net: TrainableNet, loss: LossName, threads: number): Promise<GradientSource> {
  const ort = await createOrtGradients(net.spec, loss, threads);
  const vars = net.names.map((n) => net.vars[n]);
  return {
    async compute(batch) {
      const layers = netLayers(net);
      const values = layers.map((l) => ({
        kernel: l.kernel.dataSync() as Float32Array, bias: l.bias.dataSync() as Float32Array,
        ...(l.alpha ? { alpha: l.alpha.dataSync() as Float32Array } : {}),
      }));
      if (net.kind === 'reparam') for (const l of layers) tf.dispose([l.kernel, l.bias]);
      const result = await ort.compute(values, batch);
      const grads = tf.tidy(() => {
        const { grads: g } = tf.variableGrads(() => chainedObjective(netLayers(net), result.grads), vars);
        return vars.map((v) => g[v.name].dataSync() as Float32Array);
      });
      return { grads, loss: result.loss };
    },
    close: () => ort.close(),
  };
}

export async function createGradientSource(
  net: TrainableNet, loss: LossName, backend: TrainingBackendInfo, options: { workers?: number; prefer?: TrainingBackendPreference } = {},
): Promise<GradientSource> {
  if (backend.name === 'onnxruntime') return onnxSource(net, loss, backend.threads);
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  if (workers === 1) return tfjsGradientSource(net, loss);
  const pool = await createGradientPool(workers, { spec: net.spec, kind: net.kind, loss, ...(options.prefer ? { prefer: options.prefer } : {}) });
  return {
    compute: (batch) => pool.compute(net.names.map((n) => net.vars[n].dataSync() as Float32Array), batch, net.spec.scale),
    close: () => pool.close(),
  };
}
