/**
 * Where the trainer's degraded batches come from: each step's batch is fully determined by (seed, step), so it can
 * be made ahead of time and elsewhere. `createDegradedBatchSource` makes them in a worker thread (one copy of the
 * training images there), which keeps a second core busy with the degradations while this one trains; `workers: 0`
 * makes them on this thread (sharp's libvips work is off-thread either way).
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../common/worker.js';
import type { SkipKind } from '../engine/models/spec.js';
import { sampleDegradedBatch, type Batch, type DataOptions, type TrainImage, type TrainingData } from './data.js';
import { createRng, hashSeed, type Rng } from './rng.js';

export interface BatchWorkerInit extends Pick<DataOptions, 'degradation' | 'roundLrY'> {
  images: Array<Pick<TrainImage, 'hr' | 'hrY' | 'lrY'>>;
  cumulative: Float64Array;
  scale: number;
  seed: number;
  batchSize: number;
  patchSize: number;
  skip: SkipKind | 'none';
}
export interface BatchWorkerRequest { step: number }
export type BatchWorkerReply = { step: number; batch: Batch; error?: undefined } | { step: number; error: string; batch?: undefined };

/** The RNG of one step's degraded batch (its patches and their degradation plans). */
export function degradedBatchRng(seed: number, step: number): Rng {
  return createRng(hashSeed(seed, step, 0xdec));
}

export interface DegradedBatchSource {
  batch(step: number): Promise<Batch>;
  close(): Promise<void>;
}

export interface BatchSourceOptions extends Pick<DataOptions, 'degradation' | 'roundLrY'> {
  seed: number;
  batchSize: number;
  patchSize: number;
  skip: SkipKind | 'none';
  /** 1 (default): a worker thread; 0: this thread. */
  workers?: number;
}

export async function createDegradedBatchSource(data: TrainingData, o: BatchSourceOptions): Promise<DegradedBatchSource> {
  if ((o.workers ?? 1) < 1) {
    return {
      batch: (step) => sampleDegradedBatch(data, degradedBatchRng(o.seed, step), o.batchSize, o.patchSize, o.skip, o),
      close: async () => {},
    };
  }
  const init: BatchWorkerInit = {
    images: data.images.map(({ hr, hrY, lrY }) => ({ hr, hrY, lrY })), cumulative: data.cumulative, scale: data.scale,
    seed: o.seed, batchSize: o.batchSize, patchSize: o.patchSize, skip: o.skip, degradation: o.degradation,
    ...(o.roundLrY ? { roundLrY: true } : {}),
  };
  const worker: Worker = startWorker(new URL('./batch-worker.js', import.meta.url), { workerData: init });
  const pending = new Map<number, { resolve: (b: Batch) => void; reject: (e: Error) => void }>();
  let failed: Error | undefined;
  const failAll = (err: Error): void => {
    failed = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', () => { worker.off('error', reject); resolve(); });
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  worker.on('message', (reply: BatchWorkerReply) => {
    const p = pending.get(reply.step);
    if (!p) return;
    pending.delete(reply.step);
    if (reply.batch) p.resolve(reply.batch);
    else p.reject(new Error(`making the batch of step ${reply.step}: ${reply.error}`));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => { if (pending.size) failAll(new Error(`the batch worker exited (code ${code})`)); });
  return {
    batch(step) {
      if (failed) return Promise.reject(failed);
      return new Promise<Batch>((resolve, reject) => {
        pending.set(step, { resolve, reject });
        worker.postMessage({ step } satisfies BatchWorkerRequest);
      });
    },
    async close() {
      pending.clear();
      await worker.terminate();
    },
  };
}
