import { z } from 'zod';
import { jobSettingsSchema, type LogEntry } from '../jobs/types.js';

export const afterSuccessSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('keep') }),
  /** Move the original into `folder` (sub-folders kept) once its output is written. */
  z.object({ action: z.literal('move'), folder: z.string().min(1) }),
]);

export const watchConfigSchema = z.object({
  id: z.string().min(1),
  folder: z.string().min(1),
  settings: jobSettingsSchema.prefault({}),
  recursive: z.boolean().default(true),
  /** Globs relative to the folder (e.g. `**\/*.png`); empty = every image. */
  include: z.array(z.string().min(1)).default([]),
  exclude: z.array(z.string().min(1)).default([]),
  afterSuccess: afterSuccessSchema.default({ action: 'keep' }),
  paused: z.boolean().default(false),
});
export type WatchConfig = z.infer<typeof watchConfigSchema>;
export type WatchConfigInput = Omit<z.input<typeof watchConfigSchema>, 'id'> & { id?: string };

export type WatchStatus = 'stopped' | 'starting' | 'watching' | 'paused' | 'unavailable';

export interface WatchCounts { queued: number; done: number; failed: number; other: number }

export interface WatchView extends WatchConfig {
  status: WatchStatus;
  /** Why the folder is unavailable, or the last error. */
  message: string | null;
  counts: WatchCounts;
}

export type WatchActivityKind =
  | 'queued' | 'done' | 'failed' | 'skipped' | 'canceled' | 'moved' | 'unchanged'
  | 'unavailable' | 'available' | 'scanned' | 'error';

export interface WatchActivity {
  watchId: string;
  kind: WatchActivityKind;
  path: string | null;
  message: string | null;
  time: number;
}

export interface WatchEvents {
  /** A watch was added or its config or status changed. */
  watch: [watch: WatchView];
  removed: [id: string];
  activity: [activity: WatchActivity];
  log: [entry: LogEntry];
}
