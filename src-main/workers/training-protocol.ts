import type { SerializedError } from '../common/errors.js';
import type { FineTuneOptions, FineTuneResult } from '../training/finetune.js';
import type { TrainProgress } from '../training/trainer.js';

/** Fine-tune options that cross the thread boundary (callbacks stay on the calling side). */
export type WorkerFineTuneOptions = Omit<FineTuneOptions, 'onWarning'>;

export interface TrainingWorkerData {
  options: WorkerFineTuneOptions;
}

export type TrainingRequest = { type: 'cancel' };

export type TrainingReply =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'warning'; message: string }
  | { type: 'done'; result: FineTuneResult }
  | { type: 'error'; error: SerializedError };
