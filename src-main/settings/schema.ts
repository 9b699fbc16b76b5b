/**
 * Settings files on disk: the schema, defaults and patch shape are defined in src-common/settings.ts; this module adds
 * the upgrade of files written by older versions.
 */
import { jobSettingsSchema } from '../../src-common/job-settings.js';
import { SETTINGS_VERSION } from '../../src-common/settings.js';

export { defaultSettings, SETTINGS_VERSION, settingsSchema, type Settings, type SettingsPatch } from '../../src-common/settings.js';

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
