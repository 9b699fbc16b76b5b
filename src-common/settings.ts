/** The app's settings: sections, defaults, the patch the API accepts. Migration of old files lives in src-main/settings. */
import * as z from 'zod';
import { DEFAULT_JOB_SETTINGS, JobSettingsPatch, jobSettingsSchema } from './job-settings.js';
import { withDefaults } from './primitives.js';

export const SETTINGS_VERSION = 1;

export const BackendChoice = z.enum(['auto', 'onnx', 'tfjs']);
export const Theme = z.enum(['system', 'light', 'dark']);

const EngineSettings = z.object({
  backend: BackendChoice,
  /** LR tile edge in pixels; 0 = chosen from a memory budget. */
  tile: z.number().int().min(0).max(8192),
  /** The ffmpeg executable for video (ffprobe beside it); null = SUBPIXEL_FFMPEG, a bundled build, then PATH. */
  ffmpegPath: z.string().min(1).nullable(),
});
const WatchSettings = z.object({
  /** How long a file's size must stay unchanged before it is taken. */
  stabilityMs: z.number().int().min(50).max(60_000),
});
const UiSettings = z.object({ theme: Theme });
const FolderSettings = z.object({
  /** Where outputs go that have no source folder to sit next to (files uploaded from a browser); null = Pictures/Subpixel. */
  uploadsOutputDir: z.string().min(1).nullable(),
  /** Folders allowed in Settings (besides the home folder and `--allow`), kept across restarts. */
  allowed: z.array(z.string().min(1)).max(200),
});
/** A Redis URL of the worker pool (`subpixel worker`): redis:// or rediss:// (TLS), with user and password if needed. */
export const RedisUrl = z.string().trim().regex(/^rediss?:\/\/[^\s/]+(\/\d+)?\/?$/, 'a Redis URL: redis://[user:password@]host:port[/db] or rediss:// for TLS');
const ClusterSettings = z.object({
  /** null: the queue runs on this machine; a URL: queue items run on the worker pool behind it. */
  redisUrl: RedisUrl.nullable(),
});

export const DEFAULT_SETTINGS = {
  version: SETTINGS_VERSION,
  jobDefaults: DEFAULT_JOB_SETTINGS,
  engine: { backend: 'auto', tile: 0, ffmpegPath: null },
  watch: { stabilityMs: 1000 },
  ui: { theme: 'system' },
  folders: { uploadsOutputDir: null, allowed: [] },
  cluster: { redisUrl: null },
} as const satisfies {
  version: number;
  jobDefaults: unknown;
  engine: z.infer<typeof EngineSettings>;
  watch: z.infer<typeof WatchSettings>;
  ui: z.infer<typeof UiSettings>;
  folders: { uploadsOutputDir: null; allowed: readonly [] };
  cluster: z.infer<typeof ClusterSettings>;
};

export const settingsSchema = z.object({
  version: z.literal(SETTINGS_VERSION),
  /** What new queue items and watches start from. */
  jobDefaults: jobSettingsSchema.prefault({}),
  engine: withDefaults(EngineSettings, DEFAULT_SETTINGS.engine).prefault({}),
  watch: withDefaults(WatchSettings, DEFAULT_SETTINGS.watch).prefault({}),
  ui: withDefaults(UiSettings, DEFAULT_SETTINGS.ui).prefault({}),
  folders: z.object({
    uploadsOutputDir: FolderSettings.shape.uploadsOutputDir.default(null),
    allowed: FolderSettings.shape.allowed.default([]),
  }).prefault({}),
  cluster: withDefaults(ClusterSettings, DEFAULT_SETTINGS.cluster).prefault({}),
});
export type Settings = z.infer<typeof settingsSchema>;

/** Settings as the API returns them. */
export const AppSettings = settingsSchema;
export type AppSettings = Settings;

export function defaultSettings(): Settings {
  return settingsSchema.parse({ version: SETTINGS_VERSION });
}

/** Section by section; within a section only the given fields change. */
export const SettingsPatch = z.strictObject({
  jobDefaults: JobSettingsPatch.optional(),
  engine: EngineSettings.partial().strict().optional(),
  watch: WatchSettings.partial().strict().optional(),
  ui: UiSettings.partial().strict().optional(),
  // Allowed folders change through folders.allow / folders.remove, which also apply them at once.
  folders: FolderSettings.pick({ uploadsOutputDir: true }).partial().strict().optional(),
  cluster: ClusterSettings.partial().strict().optional(),
});
export type SettingsPatch = z.infer<typeof SettingsPatch>;

/** What the settings store merges: any field of any section (the API's SettingsPatch is the part callers may send). */
export type SettingsChange = { [K in Exclude<keyof Settings, 'version'>]?: Partial<Settings[K]> };
