/**
 * Worker side of data-parallel training: receives the current parameters and a shard of the batch, returns that
 * shard's gradients (and loss). The main thread averages shards and applies Adam.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ArchitectureSpec } from '../engine/models/spec.js';
import { initTrainingBackend, type TrainingBackendPreference } from './backend.js';
import { tfjsGradientSource } from './gradients.js';
import type { LossName } from './losses.js';
import { paramShapes, type NetKind, type TrainWeights } from './nets.js';

export interface GradWorkerInit { spec: ArchitectureSpec; kind: NetKind; loss: LossName; prefer?: TrainingBackendPreference }
export interface GradRequest { params: Float32Array[]; input: Float32Array; target: Float32Array; n: number; patch: number }
export interface GradReply { grads: Float32Array[]; loss: number }

const init = workerData as GradWorkerInit;
// the pool exists because TF.js runs one thread per worker; onnxruntime brings its own threads
await initTrainingBackend({ prefer: init.prefer === 'cpu' ? 'cpu' : 'wasm', threads: 1 });
const shapes = paramShapes(init.spec, init.kind);
const source = tfjsGradientSource(init.spec, init.kind, init.loss);
const port = parentPort;
if (!port) throw new Error('grad-worker must run in a worker thread');

port.on('message', async (req: GradRequest) => {
  const weights: TrainWeights = {
    spec: init.spec, kind: init.kind, tensors: Object.fromEntries(shapes.map(([name, shape], i) => [name, { shape, data: req.params[i] }])),
  };
  const { grads, loss } = await source.compute(weights, { input: req.input, target: req.target, n: req.n, patch: req.patch });
  const reply: GradReply = { grads: shapes.map(([name]) => grads[name]), loss };
  port.postMessage(reply, reply.grads.map((g) => g.buffer as ArrayBuffer));
});
port.postMessage('ready');
