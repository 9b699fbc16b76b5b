/**
 * A models folder's manifest.json: one entry per model with its architecture, cost, provenance and scores. Trainings
 * in other processes and fine-tunes in this one update the same file, so every change is a locked read-modify-write.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { ModelLoadError } from './errors.js';
import { macsPerPixel, parameterCount, type ArchitectureSpec, type Scale } from './spec.js';
import type { LoadedModel, TrainingProvenance } from './store.js';

export const MANIFEST_JSON = 'manifest.json';
const MANIFEST_VERSION = 1;

export interface QualityScore {
  psnr: number;
  ssim: number;
}

/** Scores per eval set then per scale key ('x2' | 'x3' | 'x4'), e.g. scores.Set5.x4. */
export type ModelScores = Record<string, Partial<Record<`x${Scale}`, QualityScore>>>;

/** Clean models learned from bicubic downscales; robust ones from degraded inputs (JPEG, noise, blur, grain). */
export type ModelFamily = 'clean' | 'robust';

export interface ManifestEntry {
  id: string;
  /** Absent on older entries: clean. */
  family?: ModelFamily;
  /** The training degradation preset (degrade-presets.ts), e.g. 'photo'. */
  degradation?: string | { preset: string };
  scale: Scale;
  channels: 1 | 3;
  architecture: ArchitectureSpec;
  params: number;
  macsPerPixel: number;
  training?: TrainingProvenance;
  scores?: ModelScores;
  /** Model directory, relative to the folder holding manifest.json. */
  path: string;
}

/** Entries of `<root>/manifest.json`; [] when there is none. Accepts a bare array or { models: [...] }. */
export async function readManifest(root: string): Promise<ManifestEntry[]> {
  const path = join(root, MANIFEST_JSON);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ModelLoadError(path, `cannot read manifest (${String(err)})`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelLoadError(path, `manifest is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const entries = Array.isArray(json) ? json : (json as { models?: unknown })?.models;
  if (!Array.isArray(entries)) throw new ModelLoadError(path, 'manifest must be an array or { "models": [...] }');
  for (const e of entries) {
    const entry = e as Partial<ManifestEntry>;
    if (typeof entry?.id !== 'string' || typeof entry.path !== 'string' || typeof entry.architecture !== 'object') {
      throw new ModelLoadError(path, `manifest entry ${JSON.stringify(e).slice(0, 80)} needs id, path and architecture`);
    }
  }
  return entries as ManifestEntry[];
}

/** Adds or replaces (by id) one entry of `<root>/manifest.json`, keeping the others in order. */
export async function upsertManifestEntry(root: string, entry: ManifestEntry): Promise<ManifestEntry[]> {
  return updateManifest(root, (entries) => {
    const replaced = entries.map((e) => (e.id === entry.id ? entry : e));
    return entries.some((e) => e.id === entry.id) ? replaced : [...entries, entry];
  });
}

/** Drops the entry with this id from `<root>/manifest.json` (the file is left alone when it has none). */
export async function removeManifestEntry(root: string, id: string): Promise<ManifestEntry[]> {
  return updateManifest(root, (entries) => entries.filter((e) => e.id !== id));
}

/**
 * A read-modify-write of `<root>/manifest.json` under a lock (a `manifest.json.lock` folder beside it): trainings in
 * other processes and fine-tunes in this one update the same manifest, and without the lock whichever entry was
 * written between another writer's read and write is lost. Nothing is written when `change` keeps every entry.
 */
async function updateManifest(root: string, change: (entries: ManifestEntry[]) => ManifestEntry[]): Promise<ManifestEntry[]> {
  await mkdir(root, { recursive: true });
  // Loaded here, not with the module: every upscale reads the manifest, only trainings and model changes write it,
  // and loading the lock library (with graceful-fs) took about 30 ms of each command's start.
  const { default: lockfile } = await import('proper-lockfile');
  const release = await lockfile.lock(join(root, MANIFEST_JSON), {
    realpath: false, stale: 10_000, retries: { retries: 300, minTimeout: 5, maxTimeout: 100 },
  });
  try {
    const entries = await readManifest(root);
    const changed = change(entries);
    if (changed.length !== entries.length || changed.some((e, i) => e !== entries[i])) {
      await writeFileAtomic(join(root, MANIFEST_JSON), `${JSON.stringify({ version: MANIFEST_VERSION, models: changed }, null, 2)}\n`);
    }
    return changed;
  } finally {
    await release();
  }
}

/** The manifest entry describing a loaded model stored at `path` (relative to the manifest's folder). */
export function manifestEntryFor(model: LoadedModel, path: string, scores?: ModelScores): ManifestEntry {
  const spec = model.weights.spec;
  return {
    id: model.id, scale: spec.scale, channels: spec.channels, architecture: spec,
    params: parameterCount(spec), macsPerPixel: macsPerPixel(spec),
    ...(model.meta.training ? { training: model.meta.training } : {}),
    ...(scores ? { scores } : {}),
    path,
  };
}
