/**
 * Worker side of data-parallel training: holds a copy of the network, receives the current parameters and a shard
 * of the batch, returns that shard's gradients (and loss). The main thread averages shards and applies Adam.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureSpec } from '../engine/models/spec.js';
import { initTrainingBackend, type TrainingBackendPreference } from './backend.js';
import { tfjsGradientSource } from './gradients.js';
import type { LossName } from './losses.js';
import { createNet, initialTrainWeights, type NetKind } from './nets.js';

export interface GradWorkerInit { spec: ArchitectureSpec; kind: NetKind; loss: LossName; prefer?: TrainingBackendPreference }
export interface GradRequest { params: Float32Array[]; input: Float32Array; target: Float32Array; n: number; patch: number }
export interface GradReply { grads: Float32Array[]; loss: number }

const init = workerData as GradWorkerInit;
// the pool exists because TF.js runs one thread per worker; onnxruntime would bring its own threads
await initTrainingBackend({ prefer: init.prefer === 'cpu' ? 'cpu' : 'wasm', threads: 1 });
const net = createNet(initialTrainWeights(init.spec, init.kind, 1));
const source = tfjsGradientSource(net, init.loss);
const port = parentPort;
if (!port) throw new Error('grad-worker must run in a worker thread');

port.on('message', async (req: GradRequest) => {
  // assign() keeps its own reference: the temporary tensors must be disposed, or every step leaks the whole net.
  tf.tidy(() => net.names.forEach((name, i) => net.vars[name].assign(tf.tensor(req.params[i], net.vars[name].shape))));
  const reply: GradReply = await source.compute({ input: req.input, target: req.target, n: req.n, patch: req.patch });
  port.postMessage(reply, reply.grads.map((g) => g.buffer as ArrayBuffer));
});
port.postMessage('ready');
