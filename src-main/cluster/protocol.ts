import { z } from 'zod';
import { VideoCodec } from '../../src-common/video.js';
import { jobSettingsSchema, outputPlanSchema } from '../jobs/types.js';

/** The BullMQ queue every producer and worker of one Redis shares. */
export const CLUSTER_QUEUE = 'subpixel-upscale';

/** One image of a batch as it travels through Redis: the local queue's item fields, plus the plan once a worker made it. */
export const clusterJobSchema = z.object({
  batchId: z.string().min(1),
  /** Absolute path on the shared storage, the same on every worker. */
  input: z.string().min(1),
  relDir: z.string(),
  settings: jobSettingsSchema,
  addedAt: z.number(),
  pixels: z.number().nullable(),
  /** Written by the worker before the engine touches the output: a retry after a crash finds and checks it. */
  plan: outputPlanSchema.nullable().default(null),
  /**
   * A video split into segment jobs: set on the video's own job (the join job, which waits for them) once it has
   * added them; `frames` per segment, the last takes what is left.
   */
  split: z.object({
    count: z.number().int().min(2), frames: z.number().int().min(1),
    /** Automatic's choice, made once for the whole video: the segments run it as a given model. */
    model: z.string().optional(), reason: z.string().optional(),
  }).nullable().default(null),
  /** A segment job: child of its video's job, with that job's plan. */
  segment: z.object({ index: z.number().int().min(0), frames: z.number().int().min(1) }).nullable().default(null),
});
export type ClusterJob = z.infer<typeof clusterJobSchema>;
export type ClusterJobInput = z.input<typeof clusterJobSchema>;

export const clusterResultSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('done'), output: z.string(), width: z.number(), height: z.number(), ms: z.number(), worker: z.string(),
    /** Videos: frames written, frames per second of the run, the codec. */
    frames: z.number().optional(), fps: z.number().optional(), codec: VideoCodec.optional(),
    /** The model that ran and, when Automatic chose it, why. */
    model: z.string().optional(), reason: z.string().optional(),
  }),
  z.object({ kind: z.literal('skipped'), output: z.string(), reason: z.string() }),
]);
export type ClusterResult = z.infer<typeof clusterResultSchema>;

/** Tile progress a worker reports while a job runs. */
export const clusterProgressSchema = z.object({ tilesDone: z.number(), tilesTotal: z.number() });

/** What a producer stores about a batch, so a later `subpixel batch <id>` (or the same command again) can follow it. */
export const batchRecordSchema = z.object({
  id: z.string(),
  createdAt: z.number(),
  /** Jobs are `<id>-<n>` for n below total. */
  total: z.number().int().min(0),
  /** Inputs that never became jobs (missing, not an image, name clash), reported with the batch. */
  failed: z.array(z.object({ input: z.string(), error: z.string() })),
  skipped: z.array(z.object({ input: z.string(), output: z.string(), reason: z.string() })),
  /** False until every job is in the queue: a producer killed while submitting is re-run to finish. */
  submitted: z.boolean(),
});
export type BatchRecord = z.infer<typeof batchRecordSchema>;

export const batchKey = (id: string): string => `subpixel:batch:${id}`;
export const jobIdFor = (batchId: string, n: number): string => `${batchId}-${n}`;

/** How long finished jobs and batch records stay in Redis (re-attach, `subpixel batch`). */
export const KEEP_SECONDS = 7 * 24 * 3600;
