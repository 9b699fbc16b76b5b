import { cp, rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { parameterCount } from '../engine/models/spec.js';
import { manifestEntryFor, removeManifestEntry, upsertManifestEntry } from '../engine/models/manifest.js';
import { defaultModelOf, familyOf, listModels, loadModelDir, type ModelListing } from '../engine/models/store.js';
import type { ModelInfo } from '../../src-common/api.js';
import { CodedError } from '../common/errors.js';

/** The model commands over the model store: shipped models are read-only, custom ones live in the user's folder. */
export interface ModelFolders {
  /** Search order, first match wins. */
  dirs: string[];
  /** Where imports and fine-tunes go. */
  user: string;
}

export async function listModelInfos(folders: ModelFolders): Promise<ModelInfo[]> {
  const { models } = await listModels(folders.dirs);
  // The engine's default for a scale is its first clean model in search order (resolveModel); robust ones are chosen per image.
  const defaults = new Set(([2, 3, 4] as const).map((scale) => defaultModelOf(models, scale)?.id));
  return models.map((m) => ({ ...toModelInfo(m, folders), isDefault: defaults.has(m.id) }));
}

function toModelInfo(m: ModelListing, folders: ModelFolders): Omit<ModelInfo, 'isDefault'> {
  const scores: ModelInfo['scores'] = {};
  for (const [set, byScale] of Object.entries(m.entry?.scores ?? {})) {
    const score = byScale[`x${m.scale}`];
    if (score) scores[set] = { psnr: score.psnr, ssim: score.ssim };
  }
  // Fine-tunes record their held-out validation score instead of benchmark scores.
  const validation = (m.entry as { validation?: { after?: { psnr: number; ssim: number } } } | undefined)?.validation?.after;
  if (validation && !scores.validation) scores.validation = { psnr: validation.psnr, ssim: validation.ssim };
  const finishedAt = m.entry?.training?.finishedAt ? Date.parse(m.entry.training.finishedAt) : NaN;
  return {
    id: m.id,
    name: m.id,
    scale: m.scale,
    channels: m.channels,
    architecture: m.spec.name,
    family: familyOf(m),
    parameters: parameterCount(m.spec),
    source: resolve(m.root) === resolve(folders.user) ? 'custom' : 'shipped',
    scores,
    baseModel: m.entry?.training?.baseModel ?? null,
    createdAt: Number.isFinite(finishedAt) ? finishedAt : null,
  };
}

async function findModel(folders: ModelFolders, id: string): Promise<ModelListing> {
  const { models } = await listModels(folders.dirs);
  const found = models.find((m) => m.id === id);
  if (!found) throw new CodedError('not_found', `no model ${id}`);
  return found;
}

export async function deleteModel(folders: ModelFolders, id: string): Promise<void> {
  const model = await findModel(folders, id);
  if (resolve(model.root) !== resolve(folders.user)) throw new CodedError('conflict', `${id} is a shipped model and cannot be deleted`);
  // the entry goes first, so a crash never lists a missing folder
  await removeManifestEntry(model.root, id);
  await rm(model.dir, { recursive: true, force: true });
}

/** Copies a model folder into the user's models; the folder must load as a model and its id be new. */
export async function importModel(folders: ModelFolders, path: string): Promise<ModelInfo> {
  let loaded;
  try {
    loaded = await loadModelDir(path);
  } catch (error) {
    throw new CodedError('invalid_input', `${path} is not a usable model folder: ${(error as Error).message}`);
  }
  const { models } = await listModels(folders.dirs);
  if (models.some((m) => m.id === loaded.id)) throw new CodedError('conflict', `a model with id ${loaded.id} exists already`);
  const target = join(folders.user, loaded.id);
  if (await exists(target)) throw new CodedError('conflict', `${target} exists already`);
  await cp(path, target, { recursive: true, errorOnExist: true, force: false, filter: withoutCheckpoints(path) });
  await upsertManifestEntry(folders.user, manifestEntryFor({ ...loaded, dir: target }, loaded.id));
  const info = (await listModelInfos(folders)).find((m) => m.id === loaded.id);
  if (!info) throw new CodedError('internal', `imported ${loaded.id} but it does not list`);
  return info;
}

/** Copies a model's folder (without training checkpoints) to `<folder>/<id>`. */
export async function exportModel(folders: ModelFolders, id: string, folder: string): Promise<string> {
  const model = await findModel(folders, id);
  const target = join(folder, id);
  if (await exists(target)) throw new CodedError('conflict', `${target} exists already`);
  await cp(model.dir, target, { recursive: true, errorOnExist: true, force: false, filter: withoutCheckpoints(model.dir) });
  return target;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Training checkpoints (a fine-tune's resumable state) are not part of a deployable model. */
function withoutCheckpoints(root: string): (src: string) => boolean {
  return (src) => relative(root, src).split(sep)[0] !== 'checkpoint';
}
