/**
 * The job model's types. Shapes that cross a boundary (job settings, queue items, states, progress) are defined in
 * src-common/ and re-exported here under the names the queue uses; what follows them is internal to src-main.
 */
import type { OutputFormat } from '../../src-common/formats.js';
import type { OutputPlan, TileProgress } from '../../src-common/queue.js';
import type { VideoCodec, VideoOptions, VideoProgress } from '../../src-common/video.js';

export { OUTPUT_FORMATS, type OutputFormat } from '../../src-common/formats.js';
export { NAMING_TOKENS } from '../../src-common/naming.js';
export { DEFAULT_JOB_SETTINGS, jobSettingsSchema, namingPatternSchema, type JobSettings, type JobSettingsInput } from '../../src-common/job-settings.js';
export {
  FINISHED_STATES, ITEM_STATES, itemOriginSchema, outputPlanSchema, queueItemSchema,
  type ItemOrigin, type ItemStatus as ItemState, type OutputPlan, type QueueItemView, type QueueSummary as QueueProgress,
  type StoredQueueItem as QueueItem, type TileProgress,
} from '../../src-common/queue.js';

export type { LogEntry } from '../../src-common/log.js';

/** What a runner gets: one concrete job, output path already decided. */
export interface RunJob {
  id: string;
  input: string;
  output: string;
  /** The plan the output came from (what was at the path before): a remote runner hands it on to the worker. */
  plan: OutputPlan;
  options: {
    model?: string;
    scale: 2 | 3 | 4;
    format: OutputFormat;
    quality: number;
    keepMetadata: boolean;
    /** Present for a video input: how it is encoded. */
    video?: VideoOptions;
  };
  /**
   * A video run split across workers: only this segment (frames index·frames onward), committed beside the output
   * and not joined (see video/upscale-video.ts).
   */
  segment?: { index: number; frames: number };
}

export interface RunHooks {
  signal: AbortSignal;
  onProgress: (p: TileProgress) => void;
  /** A video's frames and frames per second. */
  onFrames?: (p: VideoProgress) => void;
}

export interface RunResult {
  output: string; width: number; height: number; ms: number;
  /** The model that ran, and why when Automatic chose it. */
  model?: string; reason?: string;
  /** Videos: frames written, frames per second, the codec. */
  frames?: number; fps?: number; codec?: VideoCodec;
}

/** Does one item (decode, infer, encode, atomic write). Production: the engine client's upscaleFile. */
export type Runner = (job: RunJob, hooks: RunHooks) => Promise<RunResult>;
