import { z } from 'zod';
import { jobSettingsSchema } from '../jobs/types.js';

export const SETTINGS_VERSION = 1;

export const settingsSchema = z.object({
  version: z.literal(SETTINGS_VERSION),
  /** What new queue items and watches start from. */
  jobDefaults: jobSettingsSchema.prefault({}),
  engine: z.object({
    backend: z.enum(['auto', 'onnx', 'tfjs']).default('auto'),
    /** LR tile edge in pixels; 0 = chosen from a memory budget. */
    tile: z.number().int().min(0).default(0),
  }).prefault({}),
  watch: z.object({
    /** How long a file's size must stay unchanged before it is taken. */
    stabilityMs: z.number().int().min(50).max(60_000).default(1000),
  }).prefault({}),
  ui: z.object({
    theme: z.enum(['system', 'light', 'dark']).default('system'),
  }).prefault({}),
});

export type Settings = z.infer<typeof settingsSchema>;
type Section = Exclude<keyof Settings, 'version'>;
export type SettingsPatch = { [K in Section]?: Partial<Settings[K]> };

export function defaultSettings(): Settings {
  return settingsSchema.parse({ version: SETTINGS_VERSION });
}

/**
 * Upgrades a parsed settings file one version at a time. Index n converts version n to n + 1; files written before
 * settings carried a version count as version 0.
 */
const MIGRATIONS: Array<(old: Record<string, unknown>) => Record<string, unknown>> = [
  // 0 → 1: the pre-release layout kept job defaults at the top level.
  (old) => {
    const { version: _v, jobDefaults, engine, watch, ui, ...flat } = old;
    const defaultsKeys = Object.keys(jobSettingsSchema.shape);
    const lifted = Object.fromEntries(Object.entries(flat).filter(([k]) => defaultsKeys.includes(k)));
    return { version: 1, jobDefaults: { ...lifted, ...(isRecord(jobDefaults) ? jobDefaults : {}) }, engine, watch, ui };
  },
];

export type MigrationOutcome =
  | { ok: true; value: Record<string, unknown>; from: number }
  | { ok: false; reason: string };

export function migrate(raw: unknown): MigrationOutcome {
  if (!isRecord(raw)) return { ok: false, reason: 'not a JSON object' };
  const from = raw.version === undefined ? 0 : raw.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) return { ok: false, reason: `bad version ${JSON.stringify(raw.version)}` };
  if (from > SETTINGS_VERSION) return { ok: false, reason: `written by a newer Subpixel (settings version ${from}, this one knows ${SETTINGS_VERSION})` };
  let value = raw;
  for (let v = from; v < SETTINGS_VERSION; v++) value = MIGRATIONS[v](value);
  return { ok: true, value, from };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
