/**
 * The one API between the main process (or `subpixel serve`) and the renderer: every command and every event,
 * each with a zod schema, plus the envelopes both transports carry.
 *
 * src-common/ is imported by the renderer, so it stays free of Node built-ins and of src-main. The shapes that
 * commands carry (job settings, queue items, settings, training jobs) live in their own modules beside this one;
 * the services use the same definitions, and the dispatcher validates outputs against them in dev and test.
 */
import * as z from 'zod';
import { ApiJobSettings, JobSettingsPatch } from './job-settings.js';
import { AbsolutePath, Id, ModelId, Scale, Timestamp } from './primitives.js';
import { ItemStatus, QueueItem, QueueSnapshot, QueueSummary } from './queue.js';
import { LogEntry } from './log.js';
import { AppSettings, SettingsPatch } from './settings.js';
import { TrainJob, TrainStartInput } from './training.js';
import { UPLOAD_LIMITS } from './upload-limits.js';

export { UPLOAD_LIMITS };

export * from './primitives.js';
export * from './formats.js';
export * from './naming.js';
export * from './job-settings.js';
export * from './queue.js';
export * from './settings.js';
export * from './training.js';
export * from './log.js';

export const API_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------------
// Results and errors

export const ErrorCode = z.enum([
  'bad_request', // input does not match the command's schema
  'unknown_command',
  'forbidden_path', // a path outside the allowed roots
  'forbidden', // the caller itself is not allowed (wrong IPC sender frame)
  'not_found',
  'conflict', // the target exists or is in a state that forbids the change
  'unsupported', // the command needs something this transport or machine lacks (e.g. a native dialog over WebSocket)
  'unavailable', // the service behind the command is not running
  'canceled', // the work was canceled before it finished
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ApiError = z.object({
  code: ErrorCode,
  message: z.string(),
  /** For bad_request: one line per schema issue, `path: message`. */
  details: z.array(z.string()).optional(),
});
export type ApiError = z.infer<typeof ApiError>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export const ResultEnvelope = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ApiError }),
]);

// ---------------------------------------------------------------------------------------------------------------
// Shared shapes

export const Size = z.object({ width: z.number().int().positive(), height: z.number().int().positive() });
export const Region = z.strictObject({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().min(1).max(4096),
  height: z.number().int().min(1).max(4096),
});
export type Region = z.infer<typeof Region>;

/** An image small enough to ship in a message: a `data:image/png;base64,…` URL with its pixel size. */
export const ImageData = z.object({
  dataUrl: z.string().startsWith('data:image/'),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type ImageData = z.infer<typeof ImageData>;

// ---------------------------------------------------------------------------------------------------------------
// Queue

const IdsInput = z.strictObject({ ids: z.array(Id).min(1).max(100_000) });
/** Commands that act on some items or, without ids, on all of them. */
const OptionalIdsInput = z.strictObject({ ids: z.array(Id).min(1).max(100_000).optional() });
const ChangedOutput = z.object({ changed: z.array(Id) });

export const QueueAddInput = z.strictObject({
  /** Files and folders; folders are walked recursively and their structure kept under the output folder. */
  paths: z.array(AbsolutePath).min(1).max(10_000),
  /** Overrides on top of the current default settings. */
  settings: JobSettingsPatch.optional(),
});

const MiB = 1024 * 1024;

export const UploadBeginInput = z.strictObject({
  name: z.string().min(1).max(255),
  size: z.number().int().min(1).max(UPLOAD_LIMITS.fileBytes, `over the per-file upload limit of ${UPLOAD_LIMITS.fileBytes / MiB} MB`),
});

export const UploadChunkInput = z.strictObject({
  uploadId: Id,
  /** Where the chunk goes: chunks come in order, each at the end of what was received. */
  offset: z.number().int().min(0),
  dataBase64: z.base64().max(Math.ceil(UPLOAD_LIMITS.chunkBytes / 3) * 4, `a chunk is at most ${UPLOAD_LIMITS.chunkBytes / MiB} MB`),
});

/** Browser mode has no file paths for dropped files: small ones come inline, larger ones by the id of their chunked upload. */
export const QueueUploadInput = z.strictObject({
  files: z
    .array(z.strictObject({
      name: z.string().min(1).max(255),
      dataBase64: z.base64().max(Math.ceil(UPLOAD_LIMITS.inlineBytes / 3) * 4, `files over ${UPLOAD_LIMITS.inlineBytes / 1024} KB go in chunks (upload.begin)`).optional(),
      /** A finished chunked upload (upload.begin / upload.chunk). */
      uploadId: Id.optional(),
      /** The file's folder inside a dropped folder (`Trip/day 1`): kept under the output folder. */
      relDir: z.string().max(1000).optional(),
    }).refine((f) => (f.dataBase64 === undefined) !== (f.uploadId === undefined), 'each file has either dataBase64 or uploadId'))
    .min(1)
    .max(100),
  settings: JobSettingsPatch.optional(),
});

// ---------------------------------------------------------------------------------------------------------------
// Watch folders

export const AfterSuccess = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('keep') }),
  z.strictObject({ action: z.literal('move'), folder: AbsolutePath }),
]);

export const WatchActivityKind = z.enum([
  'queued', 'done', 'failed', 'skipped', 'canceled', 'moved', 'unchanged', 'unavailable', 'available', 'scanned', 'error',
]);

export const WatchInfo = z.object({
  id: Id,
  folder: z.string(),
  settings: ApiJobSettings,
  recursive: z.boolean(),
  /** Glob patterns relative to the folder; empty include = every image. */
  include: z.array(z.string()),
  exclude: z.array(z.string()),
  afterSuccess: z.discriminatedUnion('action', [
    z.object({ action: z.literal('keep') }),
    z.object({ action: z.literal('move'), folder: z.string() }),
  ]),
  paused: z.boolean(),
  status: z.enum(['stopped', 'starting', 'watching', 'paused', 'unavailable']),
  /** Why the folder is unavailable, or the last error. */
  message: z.string().nullable(),
  counts: z.object({
    queued: z.number().int().nonnegative(),
    done: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    other: z.number().int().nonnegative(),
  }),
});
export type WatchInfo = z.infer<typeof WatchInfo>;

export const WatchAddInput = z.strictObject({
  folder: AbsolutePath,
  recursive: z.boolean().optional(),
  include: z.array(z.string().min(1)).max(100).optional(),
  exclude: z.array(z.string().min(1)).max(100).optional(),
  afterSuccess: AfterSuccess.optional(),
  /** Overrides on top of the current default settings. */
  settings: JobSettingsPatch.optional(),
});

export const WatchUpdateInput = z.strictObject({
  id: Id,
  patch: z.strictObject({
    recursive: z.boolean().optional(),
    include: z.array(z.string().min(1)).max(100).optional(),
    exclude: z.array(z.string().min(1)).max(100).optional(),
    afterSuccess: AfterSuccess.optional(),
    settings: JobSettingsPatch.optional(),
  }),
});

// ---------------------------------------------------------------------------------------------------------------
// Models

export const ModelScore = z.object({ psnr: z.number(), ssim: z.number() });

export const ModelInfo = z.object({
  id: Id,
  name: z.string(),
  scale: Scale,
  channels: z.union([z.literal(1), z.literal(3)]),
  architecture: z.string(),
  /** clean: learned from bicubic downscales; robust: from degraded inputs (JPEG, noise, blur), chosen per image by Automatic. */
  family: z.enum(['clean', 'robust']),
  parameters: z.number().int().nonnegative(),
  source: z.enum(['shipped', 'custom']),
  /** Measured quality keyed by eval set, e.g. { Set5: { psnr, ssim } }. */
  scores: z.record(z.string(), ModelScore),
  baseModel: z.string().nullable(),
  createdAt: Timestamp.nullable(),
  /** The clean model of this scale: what Automatic runs on pristine inputs (and on all when no robust one is installed). */
  isDefault: z.boolean(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

// ---------------------------------------------------------------------------------------------------------------
// System

export const BackendStatus = z.object({
  name: z.string(),
  available: z.boolean(),
  devices: z.array(z.string()),
  reason: z.string().optional(),
});

export const SystemInfo = z.object({
  apiVersion: z.number().int(),
  appVersion: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpus: z.number().int().positive(),
  /** Threads the inference backend uses. */
  threads: z.number().int().positive(),
  backends: z.array(BackendStatus),
  /** Where queue journal, ledger, settings, custom models and logs live. */
  stateHome: z.string(),
  /** Warnings since this process started (recoveries from damaged state files, a stale owner taken over), newest last. */
  warnings: z.array(LogEntry).optional(),
  /** Folders the API may read from and write to. */
  allowedRoots: z.array(z.string()),
  /** 'electron' or 'browser': what the renderer may offer (native dialogs exist only in Electron). */
  transport: z.enum(['electron', 'browser']),
  /** The backend (a name in `backends`) the Automatic setting runs on here; null when none is usable. */
  automaticBackend: z.string().nullable(),
  /** Where outputs of uploaded files go when neither an output folder nor the setting says otherwise: Pictures/Subpixel. */
  defaultOutputDir: z.string(),
  /** FFmpeg for video and frame sequences: its version and path, or why it is missing (stills work without it). */
  ffmpeg: z.object({ available: z.boolean(), version: z.string().optional(), path: z.string().optional(), reason: z.string().optional() }).optional(),
});

/** A folder the API may use, and where that permission came from (only 'settings' ones can be removed in the app). */
export const AllowedFolder = z.object({ path: z.string(), source: z.enum(['home', 'start', 'settings', 'dialog', 'output']) });
export type AllowedFolder = z.infer<typeof AllowedFolder>;
const AllowedFolders = z.object({ folders: z.array(AllowedFolder) });
export type SystemInfo = z.infer<typeof SystemInfo>;

// ---------------------------------------------------------------------------------------------------------------
// Commands

export interface CommandSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** The paths in a valid input that must lie inside the allowed roots. */
  paths?: (input: z.output<I>) => Array<string | null | undefined>;
}

function command<I extends z.ZodType, O extends z.ZodType>(spec: CommandSpec<I, O>): CommandSpec<I, O> {
  return spec;
}

const Empty = z.strictObject({});
const Ok = z.object({});
const settingsPaths = (s: JobSettingsPatch | undefined): Array<string | null | undefined> => [s?.outputDir];

export const commands = {
  'queue.add': command({
    input: QueueAddInput,
    /** problems: paths that were not added (not an image, unreadable, an output of this queue), with why. */
    output: z.object({ items: z.array(QueueItem), problems: z.array(z.string()) }),
    paths: (i) => [...i.paths, ...settingsPaths(i.settings)],
  }),
  'queue.upload': command({
    input: QueueUploadInput,
    output: z.object({ items: z.array(QueueItem), problems: z.array(z.string()) }),
    paths: (i) => settingsPaths(i.settings),
  }),
  /** A chunked upload of one file (per-file limit, disk budget); its id goes into queue.upload once all chunks are in. */
  'upload.begin': command({ input: UploadBeginInput, output: z.object({ uploadId: Id }) }),
  'upload.chunk': command({ input: UploadChunkInput, output: z.object({ received: z.number().int() }) }),
  'queue.list': command({ input: Empty, output: QueueSnapshot }),
  /** Without ids: the whole queue stops taking new items (the running one finishes). */
  'queue.pause': command({ input: Empty, output: QueueSummary }),
  'queue.resume': command({ input: Empty, output: QueueSummary }),
  /** Without ids: every queued or running item. */
  'queue.cancel': command({ input: OptionalIdsInput, output: ChangedOutput }),
  /** Failed or canceled items back to queued; without ids: every failed item. */
  'queue.retry': command({ input: OptionalIdsInput, output: ChangedOutput }),
  /** Moves one queued item to `index` among the items (0 = next). */
  'queue.reorder': command({
    input: z.strictObject({ id: Id, index: z.number().int().min(0) }),
    output: ChangedOutput,
  }),
  'queue.remove': command({ input: IdsInput, output: ChangedOutput }),
  /** Removes finished items (done, failed, canceled, skipped) or only the given statuses. */
  'queue.clear': command({
    input: z.strictObject({ statuses: z.array(ItemStatus.exclude(['queued', 'running'])).min(1).optional() }),
    output: ChangedOutput,
  }),
  /** Before/after of a finished item over the same region (source bicubic-upscaled vs the output), at 1:1. */
  'queue.compare': command({
    /** whole: the whole image (when it is small enough to ship; else the centred crop); region: that part. */
    /** frame: for a video, which frame (0-based; default the middle one). */
    input: z.strictObject({ id: Id, region: Region.optional(), whole: z.boolean().optional(), frame: z.number().int().nonnegative().optional() }),
    output: z.object({
      before: ImageData, after: ImageData, region: Region, scale: Scale, whole: z.boolean(),
      /** For a video: the frame shown and how many there are. */
      frame: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).optional(),
    }),
  }),

  'watch.add': command({
    input: WatchAddInput,
    output: WatchInfo,
    paths: (i) => [
      i.folder,
      ...settingsPaths(i.settings),
      i.afterSuccess?.action === 'move' ? i.afterSuccess.folder : null,
    ],
  }),
  'watch.list': command({ input: Empty, output: z.object({ watches: z.array(WatchInfo) }) }),
  'watch.remove': command({ input: z.strictObject({ id: Id }), output: Ok }),
  'watch.pause': command({ input: z.strictObject({ id: Id }), output: WatchInfo }),
  'watch.resume': command({ input: z.strictObject({ id: Id }), output: WatchInfo }),
  'watch.update': command({
    input: WatchUpdateInput,
    output: WatchInfo,
    paths: (i) => [
      ...settingsPaths(i.patch.settings),
      i.patch.afterSuccess?.action === 'move' ? i.patch.afterSuccess.folder : null,
    ],
  }),

  'models.list': command({ input: Empty, output: z.object({ models: z.array(ModelInfo) }) }),
  /** Only custom models can be deleted. */
  'models.delete': command({ input: z.strictObject({ id: Id }), output: Ok }),
  /** Imports a model folder (TF.js layers format with its meta) as a custom model. */
  'models.import': command({ input: z.strictObject({ path: AbsolutePath }), output: ModelInfo, paths: (i) => [i.path] }),
  /** Copies a model's folder into `folder` (created if missing); returns the written folder. */
  'models.export': command({
    input: z.strictObject({ id: Id, folder: AbsolutePath }),
    output: z.object({ path: z.string() }),
    paths: (i) => [i.folder],
  }),

  'settings.get': command({ input: Empty, output: AppSettings }),
  'settings.set': command({
    input: z.strictObject({ patch: SettingsPatch }),
    output: AppSettings,
    // Allowed folders are not settings.set's: adding one is what makes a folder usable (folders.allow, behind the token).
    paths: (i) => [...settingsPaths(i.patch.jobDefaults), i.patch.folders?.uploadsOutputDir],
  }),

  'train.start': command({
    input: TrainStartInput,
    output: TrainJob,
    paths: (i) => [...i.hrFolders, i.valFolder],
  }),
  /** Stops a job at its next step; it keeps a checkpoint, so it can be resumed. */
  'train.cancel': command({ input: z.strictObject({ id: Id }), output: TrainJob }),
  /** Continues a canceled or failed job from its checkpoint. */
  'train.resume': command({ input: z.strictObject({ id: Id }), output: TrainJob }),
  /** Drops a finished job from the list; an unfinished one's checkpoint goes with it (a produced model stays). */
  'train.remove': command({ input: z.strictObject({ id: Id }), output: z.object({ removed: z.literal(true) }) }),
  'train.list': command({ input: Empty, output: z.object({ jobs: z.array(TrainJob) }) }),

  'system.info': command({ input: Empty, output: SystemInfo }),

  /** Upscales a crop of an image for the before/after view: bicubic vs the model, same region, PNG data URLs. */
  'preview': command({
    input: z.strictObject({
      path: AbsolutePath,
      /** In source pixels; absent = a centred crop of at most 256x256. */
      region: Region.optional(),
      model: ModelId.optional(),
      scale: Scale,
    }),
    output: z.object({ before: ImageData, after: ImageData, region: Region, model: Id }),
    paths: (i) => [i.path],
  }),
  /** A small PNG of an image for lists, with the image's own (upright) size. */
  'files.thumbnail': command({
    input: z.strictObject({ path: AbsolutePath, size: z.number().int().min(16).max(1024).default(128) }),
    output: ImageData.extend({ source: Size }),
    paths: (i) => [i.path],
  }),
  /** Opens a file or folder with the system's default app (desktop app only). */
  'files.open': command({ input: z.strictObject({ path: AbsolutePath }), output: Ok, paths: (i) => [i.path] }),
  /** Shows a file selected in the system's file manager (desktop app only). */
  'files.reveal': command({ input: z.strictObject({ path: AbsolutePath }), output: Ok, paths: (i) => [i.path] }),
  /** The folders the API may read and write. */
  'folders.list': command({ input: Empty, output: AllowedFolders }),
  /** Allows a folder from now on and across restarts (kept in the settings). */
  'folders.allow': command({ input: z.strictObject({ path: AbsolutePath }), output: AllowedFolders }),
  /** Takes back a folder allowed in Settings (the home folder and `--allow` folders stay). */
  'folders.remove': command({ input: z.strictObject({ path: AbsolutePath }), output: AllowedFolders }),
  /** Native open dialog (Electron only); what the user picks becomes an allowed root. */
  'dialog.open': command({
    input: z.strictObject({ kind: z.enum(['files', 'folder']), multiple: z.boolean().default(false), title: z.string().max(200).optional() }),
    output: z.object({ paths: z.array(z.string()) }),
  }),
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
/** What a caller may send (defaults not yet applied). */
export type CommandInput<K extends CommandName> = z.input<Commands[K]['input']>;
/** What a handler receives (after parsing). */
export type ParsedInput<K extends CommandName> = z.output<Commands[K]['input']>;
export type CommandOutput<K extends CommandName> = z.output<Commands[K]['output']>;

export const commandNames = Object.keys(commands) as CommandName[];

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name);
}

// ---------------------------------------------------------------------------------------------------------------
// Events


export const events = {
  /** An item was added or changed (state, output, throttled per-tile progress). */
  'queue.item': z.object({ item: QueueItem }),
  'queue.removed': z.object({ ids: z.array(Id) }),
  /** The order of every item after a reorder. */
  'queue.order': z.object({ ids: z.array(Id) }),
  /** Throttled overall progress and ETA. */
  'queue.progress': z.object({ summary: QueueSummary }),
  'watch.activity': z.object({
    watchId: Id,
    kind: WatchActivityKind,
    path: z.string().nullable(),
    message: z.string().nullable(),
    time: Timestamp,
  }),
  'watch.changed': z.object({ watch: WatchInfo }),
  'watch.removed': z.object({ id: Id }),
  'train.progress': z.object({
    jobId: Id,
    step: z.number().int().nonnegative(),
    steps: z.number().int().positive(),
    loss: z.number(),
    valPsnr: z.number().optional(),
    stepsPerSec: z.number().nonnegative(),
    etaMs: z.number().nonnegative().nullable(),
  }),
  'train.changed': z.object({ job: TrainJob }),
  'train.removed': z.object({ id: Id }),
  'models.changed': z.object({ models: z.array(ModelInfo) }),
  'settings.changed': z.object({ settings: AppSettings }),
  'log': LogEntry,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = z.output<Events[K]>;
export type AnyEvent = { [K in EventName]: { event: K; payload: EventPayload<K> } }[EventName];

export const eventNames = Object.keys(events) as EventName[];

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

// ---------------------------------------------------------------------------------------------------------------
// Wire envelopes (WebSocket JSON text frames; IPC uses the same result and event shapes)

const MessageId = z.union([z.string().min(1).max(100), z.number().int()]);

export const ClientMessage = z.discriminatedUnion('type', [
  // command is checked by the dispatcher, so a bad name reads `unknown_command` on every transport.
  z.strictObject({ type: z.literal('call'), id: MessageId, command: z.unknown(), input: z.unknown().optional() }),
  /** Events are delivered only after a subscribe; `events` absent = all. */
  z.strictObject({ type: z.literal('subscribe'), id: MessageId, events: z.array(z.string()).optional() }),
  z.strictObject({ type: z.literal('unsubscribe'), id: MessageId, events: z.array(z.string()).optional() }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export const ServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), apiVersion: z.number().int() }),
  z.object({ type: z.literal('result'), id: MessageId.nullable(), result: ResultEnvelope }),
  z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** What both clients (preload bridge and WebSocket) offer to the renderer. */
export interface ApiClient {
  call<K extends CommandName>(command: K, input: CommandInput<K>): Promise<Result<CommandOutput<K>>>;
  subscribe<K extends EventName>(event: K, listener: (payload: EventPayload<K>) => void): () => void;
}

/** Turns a zod error into the short lines carried in ApiError.details. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(input)'}: ${issue.message}`);
}
