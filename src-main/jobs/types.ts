import { z } from 'zod';

export const OUTPUT_FORMATS = ['png', 'jpg', 'webp', 'tiff', 'avif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const NAMING_TOKENS = ['name', 'scale', 'model', 'ext', 'date'] as const;

export const namingPatternSchema = z.string().min(1).refine((p) => !/[\\/]/.test(p), 'the naming pattern is a file name: no / or \\')
  .refine((p) => [...p.matchAll(/\{([^}]*)\}/g)].every((m) => (NAMING_TOKENS as readonly string[]).includes(m[1])),
    `unknown token in naming pattern (known: ${NAMING_TOKENS.map((t) => `{${t}}`).join(' ')})`);

/** Everything that decides how one file is upscaled and where it goes; queue items carry a frozen copy. */
export const jobSettingsSchema = z.object({
  /** Model id or folder; null = the default shipped model for `scale`. */
  model: z.string().min(1).nullable().default(null),
  scale: z.union([z.literal(2), z.literal(3), z.literal(4)]).default(4),
  format: z.enum(['keep', ...OUTPUT_FORMATS]).default('keep'),
  quality: z.number().int().min(1).max(100).default(90),
  /** null = next to the source file. */
  outputDir: z.string().min(1).nullable().default(null),
  naming: namingPatternSchema.default('{name}_x{scale}.{ext}'),
  overwrite: z.enum(['skip', 'rename', 'overwrite']).default('rename'),
  keepMetadata: z.boolean().default(true),
});
export type JobSettings = z.infer<typeof jobSettingsSchema>;
export type JobSettingsInput = z.input<typeof jobSettingsSchema>;

export const ITEM_STATES = ['queued', 'running', 'done', 'failed', 'canceled', 'skipped'] as const;
export type ItemState = (typeof ITEM_STATES)[number];
export const FINISHED_STATES: readonly ItemState[] = ['done', 'failed', 'canceled', 'skipped'];

export const itemOriginSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user') }),
  z.object({ kind: z.literal('watch'), watchId: z.string() }),
]);
export type ItemOrigin = z.infer<typeof itemOriginSchema>;

/** What the output path looked like when a run planned it: tells after a crash whether the run had finished. */
export const outputPlanSchema = z.object({
  path: z.string(),
  /** Identity of a file already there (overwrite policy); null when the path was free. */
  previous: z.object({ ino: z.number(), size: z.number(), mtimeMs: z.number() }).nullable(),
});
export type OutputPlan = z.infer<typeof outputPlanSchema>;

export const queueItemSchema = z.object({
  id: z.string(),
  input: z.string(),
  /** Sub-folder of the input relative to the folder that was added ('' for single files); kept under the output folder. */
  relDir: z.string(),
  settings: jobSettingsSchema,
  origin: itemOriginSchema,
  state: z.enum(ITEM_STATES),
  addedAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  attempts: z.number().int(),
  /** Input width × height, measured when added (null when the header could not be read). */
  pixels: z.number().nullable(),
  plan: outputPlanSchema.nullable(),
  /** The written file once done. */
  output: z.string().nullable(),
  error: z.string().nullable(),
  result: z.object({ width: z.number(), height: z.number(), ms: z.number() }).nullable(),
});
export type QueueItem = z.infer<typeof queueItemSchema>;

export interface TileProgress { tilesDone: number; tilesTotal: number }

/** A queue item as the outside sees it: the stored item plus live tile progress while running. */
export interface QueueItemView extends QueueItem {
  progress: TileProgress | null;
}

export interface QueueProgress {
  total: number;
  counts: Record<ItemState, number>;
  paused: boolean;
  /** 0..1 over the pixels of every item that is not canceled or skipped. */
  fraction: number;
  /** Measured over recent runs; null until one finished. */
  pixelsPerSecond: number | null;
  /** Milliseconds left for queued and running items; null when unknown. */
  etaMs: number | null;
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  source: 'queue' | 'watch' | 'settings' | 'training';
  message: string;
  time: number;
}

/** What a runner gets: one concrete job, output path already decided. */
export interface RunJob {
  id: string;
  input: string;
  output: string;
  options: {
    model?: string;
    scale: 2 | 3 | 4;
    format: OutputFormat;
    quality: number;
    keepMetadata: boolean;
  };
}

export interface RunHooks {
  signal: AbortSignal;
  onProgress: (p: TileProgress) => void;
}

export interface RunResult { output: string; width: number; height: number; ms: number }

/** Does one item (decode, infer, encode, atomic write). Production: the engine client's upscaleFile. */
export type Runner = (job: RunJob, hooks: RunHooks) => Promise<RunResult>;
