/**
 * onnxruntime gradients over several worker threads, each with a single-threaded session and a shard of the batch.
 * One session given two intra-op threads trained only 1.06x faster than with one (its backward graph is many small
 * ops), two sessions on one thread not at all (onnxruntime-node runs a session on the calling thread); two worker
 * threads with one session each were 1.32x faster (2026-12-07, 2-core machine, x4 nine convs of 16, batch 16 of 48²).
 *
 * The gradient of the batch's mean loss is the shards' gradients weighted by their share of the batch, so shards
 * need not be equal.
 */
import type { Worker } from 'node:worker_threads';
import { deserializeError } from '../common/errors.js';
import { startReadyWorkers } from '../common/worker.js';
import type { ArchitectureSpec } from '../engine/models/spec.js';
import type { ConvArrays } from './collapse.js';
import type { Batch } from './data.js';
import type { LossName } from './losses.js';
import type { OrtGradients } from './ort-gradients.js';
import type { OrtGradReply, OrtGradRequest, OrtGradWorkerInit } from './ort-grad-worker.js';

/** More shards than this split a training batch (16 patches) too thin to pay for their messages. */
export const MAX_GRADIENT_WORKERS = 8;

export async function createOrtGradientPool(spec: ArchitectureSpec, loss: LossName, threads: number): Promise<OrtGradients> {
  const size = Math.max(1, Math.min(MAX_GRADIENT_WORKERS, threads));
  const init: OrtGradWorkerInit = { spec, loss, threads: Math.max(1, Math.floor(threads / size)) };
  const workers = await startReadyWorkers(new URL('./ort-grad-worker.js', import.meta.url), size, init);
  // A worker that died (its 'error' event) answers nothing more: every later batch fails at once with its error.
  let broken: Error | undefined;
  for (const w of workers) w.on('error', (error) => { broken ??= error; });
  const ask = (w: Worker, request: OrtGradRequest, transfer: ArrayBuffer[]): Promise<{ loss: number; grads: ConvArrays[] }> => new Promise((resolve, reject) => {
    const onError = (error: Error): void => { w.off('message', onMessage); reject(error); };
    const onMessage = (reply: OrtGradReply): void => {
      w.off('error', onError);
      if ('error' in reply) reject(deserializeError(reply.error));
      else resolve(reply);
    };
    w.once('message', onMessage);
    w.once('error', onError);
    w.postMessage(request, transfer);
  });
  const s2c = spec.scale * spec.scale * spec.channels;
  return {
    async compute(layers, batch) {
      if (broken) throw broken;
      const { n, patch } = batch;
      const shards = Math.min(size, n);
      const inPer = patch * patch * spec.channels;
      const outPer = patch * patch * s2c;
      let start = 0;
      const parts = Array.from({ length: shards }, (_, k) => {
        const count = Math.floor(n / shards) + (k < n % shards ? 1 : 0);
        const part: Batch = {
          n: count, patch,
          input: batch.input.slice(start * inPer, (start + count) * inPer),
          target: batch.target.slice(start * outPer, (start + count) * outPer),
        };
        start += count;
        return part;
      });
      // Every shard's answer is awaited, failed or not, so that no reply is left to a later batch's listener.
      const settled = await Promise.allSettled(parts.map((part, k) => ask(workers[k], { layers, batch: part }, [part.input.buffer as ArrayBuffer, part.target.buffer as ArrayBuffer])));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      const replies = settled.map((s) => (s as PromiseFulfilledResult<{ loss: number; grads: ConvArrays[] }>).value);
      const weight = parts.map((p) => p.n / n);
      const grads = replies[0].grads.map((_, i): ConvArrays => {
        const mix = (pick: (g: ConvArrays) => Float32Array): Float32Array => {
          const out = new Float32Array(pick(replies[0].grads[i]).length);
          replies.forEach((r, k) => { const g = pick(r.grads[i]); for (let j = 0; j < out.length; j++) out[j] += weight[k] * g[j]; });
          return out;
        };
        const alpha = replies[0].grads[i].alpha;
        return { kernel: mix((g) => g.kernel), bias: mix((g) => g.bias), ...(alpha ? { alpha: mix((g) => g.alpha!) } : {}) };
      });
      return { loss: replies.reduce((s, r, k) => s + weight[k] * r.loss, 0), grads };
    },
    async close() {
      await Promise.all(workers.map((w) => (broken
        ? w.terminate().then(() => undefined)
        : new Promise<void>((resolve) => {
          w.once('exit', () => resolve());
          w.postMessage({ close: true } satisfies OrtGradRequest);
        }))));
    },
  };
}
