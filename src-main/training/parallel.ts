/**
 * Data-parallel gradients over worker threads (tfjs-wasm runs single-threaded in Node, so this is how training
 * uses several cores): the batch is split into equal shards, each worker returns its shard's mean gradient, and the
 * average equals the full batch's mean-loss gradient.
 */
import type { Worker } from 'node:worker_threads';
import { startReadyWorkers } from '../common/worker.js';
import type { Batch } from './data.js';
import type { GradReply, GradRequest, GradWorkerInit } from './grad-worker.js';

export interface GradientPool {
  size: number;
  /** Mean gradients (in parameter order) and mean loss of `batch` at `params`. */
  compute(params: Float32Array[], batch: Batch, scale: number): Promise<{ grads: Float32Array[]; loss: number }>;
  close(): Promise<void>;
}

export async function createGradientPool(size: number, init: GradWorkerInit): Promise<GradientPool> {
  const workers = await startReadyWorkers(new URL('./grad-worker.js', import.meta.url), size, init);
  const ask = (w: Worker, req: GradRequest): Promise<GradReply> => new Promise((resolve, reject) => {
    const onError = (err: Error): void => { w.off('message', onMessage); reject(err); };
    const onMessage = (reply: GradReply): void => { w.off('error', onError); resolve(reply); };
    w.once('message', onMessage);
    w.once('error', onError);
    w.postMessage(req);
  });
  return {
    size,
    async compute(params, batch, scale) {
      if (batch.n % size !== 0) throw new Error(`batch size ${batch.n} must be a multiple of the ${size} workers`);
      const per = batch.n / size;
      const inLen = per * batch.patch * batch.patch;
      const outLen = inLen * scale * scale;
      const replies = await Promise.all(workers.map((w, k) => ask(w, {
        params, n: per, patch: batch.patch,
        input: batch.input.slice(k * inLen, (k + 1) * inLen), target: batch.target.slice(k * outLen, (k + 1) * outLen),
      })));
      const grads = replies[0].grads.map((g) => new Float32Array(g.length));
      for (const r of replies) r.grads.forEach((g, i) => { const out = grads[i]; for (let j = 0; j < g.length; j++) out[j] += g[j] / size; });
      return { grads, loss: replies.reduce((s, r) => s + r.loss, 0) / size };
    },
    async close() { await Promise.all(workers.map((w) => w.terminate())); },
  };
}
