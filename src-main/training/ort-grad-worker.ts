/**
 * Worker side of the onnxruntime gradient pool (ort-gradient-pool.ts): one single-threaded gradient session, asked
 * for one shard of each batch at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError, type SerializedError } from '../common/errors.js';
import type { ArchitectureSpec } from '../engine/models/spec.js';
import type { ConvArrays } from './collapse.js';
import type { Batch } from './data.js';
import type { LossName } from './losses.js';
import { createOrtGradients } from './ort-gradients.js';

export interface OrtGradWorkerInit { spec: ArchitectureSpec; loss: LossName; threads: number }
export type OrtGradRequest = { layers: ConvArrays[]; batch: Batch } | { close: true };
export type OrtGradReply = { loss: number; grads: ConvArrays[] } | { error: SerializedError };

const port = parentPort;
if (!port) throw new Error('ort-grad-worker must run in a worker thread');
const init = workerData as OrtGradWorkerInit;
const gradients = await createOrtGradients(init.spec, init.loss, init.threads);

port.on('message', (request: OrtGradRequest) => {
  if ('close' in request) {
    // Released here and left to end on its own: terminating a thread while onnxruntime works in it aborted the
    // whole process (a Napi::Error thrown during teardown).
    void gradients.close().finally(() => port.close());
    return;
  }
  gradients.compute(request.layers, request.batch).then(
    (reply) => {
      const buffers = reply.grads.flatMap((g) => [g.kernel, g.bias, ...(g.alpha ? [g.alpha] : [])].map((a) => a.buffer as ArrayBuffer));
      port.postMessage(reply satisfies OrtGradReply, buffers);
    },
    (error: unknown) => port.postMessage({ error: serializeError(error) } satisfies OrtGradReply),
  );
});
port.postMessage('ready');
