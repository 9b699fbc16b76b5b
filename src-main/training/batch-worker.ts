/**
 * Worker side of the degraded-batch source: holds a copy of the training images and makes the batch of a given step
 * (sampleDegradedBatch with the step's RNG), so the degradations' JavaScript half (resampling, noise, patch cutting)
 * runs on another core while the trainer computes gradients. The batch is the same bytes the trainer's own thread
 * would make.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sampleDegradedBatch, type TrainingData } from './data.js';
import { degradedBatchRng, type BatchWorkerInit, type BatchWorkerReply, type BatchWorkerRequest } from './batch-source.js';

const init = workerData as BatchWorkerInit;
const data: TrainingData = {
  images: init.images.map((img, i) => ({ path: String(i), ...img })), val: [], scale: init.scale, cumulative: init.cumulative,
  stats: { folders: [], imagesFound: 0, trainImages: 0, valImages: 0, skipped: 0, skippedFiles: [], trainPixels: 0 },
};
const port = parentPort;
if (!port) throw new Error('batch-worker must run in a worker thread');

port.on('message', async (req: BatchWorkerRequest) => {
  try {
    const batch = await sampleDegradedBatch(data, degradedBatchRng(init.seed, req.step), init.batchSize, init.patchSize, init.skip, init);
    const reply: BatchWorkerReply = { step: req.step, batch };
    port.postMessage(reply, [batch.input.buffer as ArrayBuffer, batch.target.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: BatchWorkerReply = { step: req.step, error: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});
port.postMessage('ready');
