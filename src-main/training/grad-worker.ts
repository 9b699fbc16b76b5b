/**
 * Worker side of data-parallel training: holds a copy of the network, receives the current parameters and a shard
 * of the batch, returns that shard's gradients (and loss). The main thread averages shards and applies Adam.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureSpec } from '../engine/models/spec.js';
import { initTrainingBackend } from './backend.js';
import { createNet, forwardMaps, initialTrainWeights, netLayers, type NetKind } from './nets.js';
import { lossValue, type LossName } from './trainer.js';

export interface GradWorkerInit { spec: ArchitectureSpec; kind: NetKind; loss: LossName; prefer?: 'native' | 'wasm' | 'cpu' }
export interface GradRequest { params: Float32Array[]; input: Float32Array; target: Float32Array; n: number; patch: number }
export interface GradReply { grads: Float32Array[]; loss: number }

const init = workerData as GradWorkerInit;
await initTrainingBackend({ prefer: init.prefer ?? 'wasm', threads: 1 });
const net = createNet(initialTrainWeights(init.spec, init.kind, 1));
const vars = net.names.map((n) => net.vars[n]);
const s2 = init.spec.scale * init.spec.scale;
const port = parentPort;
if (!port) throw new Error('grad-worker must run in a worker thread');

port.on('message', (req: GradRequest) => {
  // assign() keeps its own reference: the temporary tensors must be disposed, or every step leaks the whole net.
  tf.tidy(() => net.names.forEach((name, i) => net.vars[name].assign(tf.tensor(req.params[i], net.vars[name].shape))));
  let reply: GradReply = { grads: [], loss: NaN };
  tf.tidy(() => {
    const x = tf.tensor4d(req.input, [req.n, req.patch, req.patch, 1]);
    const t = tf.tensor4d(req.target, [req.n, req.patch, req.patch, s2]);
    const { value, grads } = tf.variableGrads(() => lossValue(init.loss, forwardMaps(init.spec, netLayers(net), x), t), vars);
    reply = { grads: vars.map((v) => grads[v.name].dataSync() as Float32Array), loss: value.dataSync()[0] };
  });
  port.postMessage(reply, reply.grads.map((g) => g.buffer as ArrayBuffer));
});
port.postMessage('ready');
