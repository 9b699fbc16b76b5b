/** Fine-tuning jobs as the API starts and shows them. */
import * as z from 'zod';
import { DEGRADATION_PRESETS } from './fine-tune.js';
import { AbsolutePath, Id, ModelId, Timestamp } from './primitives.js';

export { DEGRADATION_PRESETS, defaultValEvery, FINE_TUNE_DEFAULTS } from './fine-tune.js';
export { MAX_TRAIN_HISTORY, thinTrainHistory } from './train-history.js';

export const DegradationPreset = z.enum(DEGRADATION_PRESETS);
export type DegradationPreset = z.infer<typeof DegradationPreset>;

/**
 * The parameters of one fine-tune, named as everywhere else (src-common/fine-tune.ts); absent ones take
 * FINE_TUNE_DEFAULTS. What the app's train.start sends and its saved jobs keep.
 */
export const FineTuneParams = z.strictObject({
  /** Model id to start from. */
  baseModel: ModelId,
  /** Folders of high-resolution images (recursive). */
  hrFolders: z.array(AbsolutePath).min(1).max(50),
  /** Images held out for the validation PSNR curve; absent = a split of hrFolders. */
  valFolder: AbsolutePath.optional(),
  degradation: DegradationPreset,
  steps: z.number().int().min(1).max(1_000_000),
  batchSize: z.number().int().min(1).max(256).optional(),
  patchSize: z.number().int().min(8).max(256).optional(),
  learningRate: z.number().positive().max(1).optional(),
  /** Validation every this many steps (default: defaultValEvery). */
  valEvery: z.number().int().min(1).optional(),
});
export type FineTuneParams = z.infer<typeof FineTuneParams>;

export const TrainStartInput = FineTuneParams.extend({
  /** Name of the new model as shown in the picker. */
  name: z.string().min(1).max(100),
});
export type TrainStartInput = z.infer<typeof TrainStartInput>;

export const TrainPoint = z.object({ step: z.number().int().nonnegative(), loss: z.number(), valPsnr: z.number().optional() });
/** step: for a fine-tune's result, the step whose weights were kept (the best validation, not necessarily the last). */
export const ValScore = z.object({ psnr: z.number(), ssim: z.number(), step: z.number().int().nonnegative().optional() });

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
