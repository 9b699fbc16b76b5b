/** The queue item as stored in the journal and as the API shows it, its states and the queue summary. */
import * as z from 'zod';
import { ApiJobSettings, jobSettingsSchema } from './job-settings.js';
import { Id, Timestamp } from './primitives.js';
import { VideoCodec, VideoProgress } from './video.js';

export const ITEM_STATES = ['queued', 'running', 'done', 'failed', 'canceled', 'skipped'] as const;
export const ItemStatus = z.enum(ITEM_STATES);
export type ItemStatus = z.infer<typeof ItemStatus>;
export const FINISHED_STATES: readonly ItemStatus[] = ['done', 'failed', 'canceled', 'skipped'];

export const itemOriginSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user') }),
  z.object({ kind: z.literal('watch'), watchId: Id }),
]);
export type ItemOrigin = z.infer<typeof itemOriginSchema>;

/** What the output path looked like when a run planned it: tells after a crash whether the run had finished. */
export const outputPlanSchema = z.object({
  path: z.string(),
  /** Identity of a file already there (overwrite policy); null when the path was free. */
  previous: z.object({ ino: z.number(), size: z.number(), mtimeMs: z.number() }).nullable(),
});
export type OutputPlan = z.infer<typeof outputPlanSchema>;

export const TileProgress = z.object({ tilesDone: z.number().int().nonnegative(), tilesTotal: z.number().int().nonnegative() });
export type TileProgress = z.infer<typeof TileProgress>;

/** One queue item as the journal stores it. */
export const queueItemSchema = z.object({
  id: Id,
  input: z.string(),
  /** Sub-folder of the input relative to the folder that was added ('' for single files); kept under the output folder. */
  relDir: z.string(),
  settings: jobSettingsSchema,
  origin: itemOriginSchema,
  state: ItemStatus,
  addedAt: Timestamp,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  attempts: z.number().int().nonnegative(),
  /** Input width × height, measured when added (null when the header could not be read); a video's of all its frames. */
  pixels: z.number().nonnegative().nullable(),
  /** A video's codec, size, pixel format and depth, frames and rate, colour tags and other streams, in one line. */
  media: z.string().nullable().optional(),
  plan: outputPlanSchema.nullable(),
  /** The written file once done. */
  output: z.string().nullable(),
  /** Why it failed or was skipped, in words. */
  error: z.string().nullable(),
  /** Output size, inference time and the model that ran once done (with why, when it was chosen automatically). */
  result: z.object({
    width: z.number().int(), height: z.number().int(), ms: z.number(),
    /** The model id that ran (absent on items done before it was recorded). */
    model: z.string().optional(),
    /** Why Automatic chose it, e.g. "robust: JPEG q≈62" (absent when the model was given). */
    reason: z.string().optional(),
    /** Videos: frames written, frames per second of the run, the codec. */
    frames: z.number().int().optional(), fps: z.number().optional(), codec: VideoCodec.optional(),
  }).nullable(),
});
export type StoredQueueItem = z.infer<typeof queueItemSchema>;

/** A queue item as the outside sees it: the stored item without its output plan, plus live tile progress while running. */
export const QueueItem = queueItemSchema.omit({ plan: true }).extend({
  settings: ApiJobSettings,
  /** Per-tile progress while running (for a video: frames done of all). */
  progress: TileProgress.nullable(),
  /** A running video's frames and frames per second. */
  frames: VideoProgress.nullable().optional(),
});
export type QueueItem = z.infer<typeof QueueItem>;

/** The stored item plus live progress: what the queue emits (the API drops `plan`). */
export type QueueItemView = StoredQueueItem & { progress: TileProgress | null; frames?: VideoProgress | null };

export const QueueSummary = z.object({
  total: z.number().int().nonnegative(),
  counts: z.record(ItemStatus, z.number().int().nonnegative()),
  paused: z.boolean(),
  /** 0..1 over the pixels of every item that is not canceled or skipped. */
  fraction: z.number().min(0).max(1),
  /** Measured over recent runs; null until one finished. */
  pixelsPerSecond: z.number().nonnegative().nullable(),
  /** Milliseconds left for queued and running items, from measured throughput; null while unknown. */
  etaMs: z.number().nonnegative().nullable(),
});
export type QueueSummary = z.infer<typeof QueueSummary>;

export const QueueSnapshot = z.object({ items: z.array(QueueItem), summary: QueueSummary });
export type QueueSnapshot = z.infer<typeof QueueSnapshot>;
