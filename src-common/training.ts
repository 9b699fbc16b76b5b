/** Fine-tuning jobs as the API starts and shows them. */
import * as z from 'zod';
import { AbsolutePath, Id, ModelId, Timestamp } from './primitives.js';

export { MAX_TRAIN_HISTORY, thinTrainHistory } from './train-history.js';

export const DegradationPreset = z.enum(['bicubic', 'jpeg', 'blur', 'noise', 'film']);

export const TrainStartInput = z.strictObject({
  /** Name of the new model as shown in the picker. */
  name: z.string().min(1).max(100),
  hrDirs: z.array(AbsolutePath).min(1).max(50),
  /** Model id to start from. */
  baseModel: ModelId,
  preset: DegradationPreset,
  steps: z.number().int().min(1).max(1_000_000),
  /** Images held out for the validation PSNR curve; absent = a split of hrDirs. */
  validationDir: AbsolutePath.optional(),
  batchSize: z.number().int().min(1).max(256).optional(),
  patchSize: z.number().int().min(8).max(256).optional(),
  learningRate: z.number().positive().max(1).optional(),
  /** Validation every this many steps (default: five times over the run). */
  valEvery: z.number().int().min(1).optional(),
});
export type TrainStartInput = z.infer<typeof TrainStartInput>;

export const TrainPoint = z.object({ step: z.number().int().nonnegative(), loss: z.number(), valPsnr: z.number().optional() });
export const ValScore = z.object({ psnr: z.number(), ssim: z.number() });

export const TrainJob = z.object({
  id: Id,
  name: z.string(),
  baseModel: ModelId,
  status: z.enum(['queued', 'running', 'done', 'failed', 'canceled']),
  step: z.number().int().nonnegative(),
  steps: z.number().int().positive(),
  /** Loss (and validation PSNR where measured) over steps, thinned for long runs (thinTrainHistory). */
  history: z.array(TrainPoint),
  /** The model this job produced, once done (its id is also the model's name in the picker). */
  modelId: Id.nullable(),
  /** Validation scores of the base model and of the result, where measured. */
  before: ValScore.nullable(),
  after: ValScore.nullable(),
  error: z.string().nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  /** A canceled or failed job left a checkpoint: train.resume continues it from there. */
  canResume: z.boolean(),
});
export type TrainJob = z.infer<typeof TrainJob>;
