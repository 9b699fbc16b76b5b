import { CodedError, deserializeError } from '../common/errors.js';
import { startWorker } from '../common/worker.js';
import type { FineTuneResult } from '../training/finetune.js';
import type { TrainProgress } from '../training/trainer.js';
import type { TrainingReply, TrainingRequest, TrainingWorkerData, WorkerFineTuneOptions } from './training-protocol.js';

/**
 * `fineTune` with the same contract as training/finetune.ts, run in its own worker thread: progress and warnings
 * come back as messages; aborting the signal asks the worker to checkpoint and stop (the result says 'canceled').
 */
export function fineTuneInWorker(
  options: WorkerFineTuneOptions,
  onProgress?: (p: TrainProgress) => void,
  signal?: AbortSignal,
  onWarning?: (message: string) => void,
): Promise<FineTuneResult> {
  const worker = startWorker(new URL('./training-worker.js', import.meta.url), { workerData: { options } satisfies TrainingWorkerData });
  return new Promise<FineTuneResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', cancel);
      fn();
      void worker.terminate();
    };
    const cancel = (): void => worker.postMessage({ type: 'cancel' } satisfies TrainingRequest);
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
    worker.on('message', (reply: TrainingReply) => {
      if (reply.type === 'progress') onProgress?.(reply.progress);
      else if (reply.type === 'warning') onWarning?.(reply.message);
      else if (reply.type === 'done') finish(() => resolve(reply.result));
      else finish(() => reject(deserializeError(reply.error)));
    });
    worker.on('error', (error) => finish(() => reject(error instanceof Error ? error : new CodedError('internal', String(error)))));
    worker.on('exit', (code) => finish(() => reject(new CodedError('internal', `training worker exited with code ${code} before finishing`))));
  });
}
