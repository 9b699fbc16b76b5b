/**
 * Models on disk: one directory per model holding TF.js layers-format files (model.json + weights.bin),
 * with our metadata in model.json's userDefinedMetadata.subpixel; a models folder may also hold a manifest.json
 * (manifest.ts) that lists its models with their scores.
 *
 * Loading parses model.json and weights.bin directly into ModelWeights, so the ONNX path never starts TF.js.
 * Saving goes through TF.js (the Keras topology JSON is TF.js's to write) with our own node:fs IOHandler.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { io } from '@tensorflow/tfjs';
import { checkWeightShapes } from './check.js';
import { stateHome, statePaths } from '../../common/state-home.js';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { ModelLoadError } from './errors.js';
import { readManifest, type ManifestEntry, type ModelFamily } from './manifest.js';
import {
  convShapes, slopeCount, validateSpec,
  type ArchitectureSpec, type ConvWeights, type ModelWeights, type Scale,
} from './spec.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
const FORMAT_VERSION = 1;

/** How a model was trained (all optional: shipped models and imports may know little). */
export interface TrainingProvenance {
  datasets?: string[];
  /** Model this one was fine-tuned from. */
  baseModel?: string;
  steps?: number;
  epochs?: number;
  batchSize?: number;
  patchSize?: number;
  learningRate?: number;
  seed?: number;
  startedAt?: string;
  finishedAt?: string;
  backend?: string;
  notes?: string;
}

export interface ModelMeta {
  id: string;
  spec: ArchitectureSpec;
  description?: string;
  createdAt?: string;
  training?: TrainingProvenance;
}

export interface LoadedModel {
  id: string;
  dir: string;
  weights: ModelWeights;
  meta: ModelMeta;
}

export interface ModelListing {
  id: string;
  /** Absolute model directory. */
  dir: string;
  scale: Scale;
  channels: 1 | 3;
  spec: ArchitectureSpec;
  /** The models folder it was found in. */
  root: string;
  /** Present when the folder's manifest lists the model. */
  entry?: ManifestEntry;
}

export interface ModelSearchOptions {
  /** Models folders to look in, first match wins (default: defaultModelDirs()). */
  searchPaths?: string[];
}

// ---------------------------------------------------------------------------------------------
// Where models live

/** The repository's (or installed package's) shipped `models/` folder; SUBPIXEL_MODELS_DIR overrides. */
export function shippedModelsDir(): string {
  if (process.env.SUBPIXEL_MODELS_DIR) return resolve(process.env.SUBPIXEL_MODELS_DIR);
  let dir = dirname(fileURLToPath(import.meta.url));
  // The same file runs from src-main/ (tsx) and dist/src-main/ (built), so find the package root instead of counting '..'.
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src-main'))) return join(dir, 'models');
    const parent = dirname(dir);
    if (parent === dir) return resolve('models');
    dir = parent;
  }
}

/** A model id: a plain folder name, never a path. */
export function isModelId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(id);
}

/**
 * Per-user models folder (fine-tuned and imported models): `models/` in the state folder (common/state-home.ts:
 * $SUBPIXEL_HOME or the platform's per-user data folder). SUBPIXEL_USER_MODELS_DIR overrides just this folder.
 */
export function userModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SUBPIXEL_USER_MODELS_DIR) return resolve(env.SUBPIXEL_USER_MODELS_DIR);
  return statePaths(stateHome(undefined, env)).models;
}

export function defaultModelDirs(): string[] {
  return [shippedModelsDir(), userModelsDir()];
}

// ---------------------------------------------------------------------------------------------
// TF.js IOHandler over node:fs

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: io.WeightsManifestEntry[] }>;
  userDefinedMetadata?: { subpixel?: unknown; [key: string]: unknown };
}

/**
 * A TF.js IOHandler that saves to / loads from `dir`/model.json + weights.bin with node:fs
 * (tfjs-node's file:// handler is only there when tfjs-node is).
 */
export function fileSystemIOHandler(dir: string): io.IOHandler {
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology == null) {
        throw new Error('only layers models with a JSON topology can be saved');
      }
      const parts = artifacts.weightData == null ? [] : Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData];
      const weights = Buffer.concat(parts.map((p) => new Uint8Array(p)));
      const json: ModelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: artifacts.userDefinedMetadata,
      };
      const text = JSON.stringify(json);
      await mkdir(dir, { recursive: true });
      // Weights first: a model.json that exists always points at complete weights.
      await writeFileAtomic(join(dir, WEIGHTS_BIN), weights);
      await writeFileAtomic(join(dir, MODEL_JSON), text);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<io.ModelArtifacts> {
      const json = await readModelJson(dir, dir);
      const { specs, data } = await readWeightGroups(dir, dir, json);
      return {
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        modelTopology: json.modelTopology as object,
        weightSpecs: specs,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
        userDefinedMetadata: json.userDefinedMetadata as { [key: string]: object },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Save

/** Writes `weights` as a TF.js layers model in `dir` (created if needed), with `meta` in model.json. */
export async function saveModel(dir: string, weights: ModelWeights, meta: Omit<ModelMeta, 'spec'> & { spec?: ArchitectureSpec }): Promise<void> {
  validateSpec(weights.spec);
  checkWeightShapes(weights);
  const fullMeta: ModelMeta = { createdAt: new Date().toISOString(), ...meta, spec: weights.spec };
  // TF.js only loads for saving: a consumer that just reads models never initialises it.
  const { buildLayersModel } = await import('./layers.js');
  const model = buildLayersModel(weights);
  try {
    model.setUserDefinedMetadata({ subpixel: { formatVersion: FORMAT_VERSION, ...fullMeta } });
    await model.save(fileSystemIOHandler(dir));
  } finally {
    model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Load (no TF.js)

async function readModelJson(dir: string, label: string): Promise<ModelJson> {
  const path = join(dir, MODEL_JSON);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelLoadError(label, code === 'ENOENT' ? `${path} is missing` : `cannot read ${path} (${code ?? String(err)})`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelLoadError(label, `${path} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModelLoadError(label, `${path} is not a TF.js model.json (expected an object)`);
  }
  const model = json as ModelJson;
  if (!Array.isArray(model.weightsManifest) || model.weightsManifest.some((g) => !Array.isArray(g?.paths) || !Array.isArray(g?.weights))) {
    throw new ModelLoadError(label, `${path} has no valid weightsManifest`);
  }
  return model;
}

async function readWeightGroups(dir: string, label: string, json: ModelJson): Promise<{ specs: io.WeightsManifestEntry[]; data: Buffer }> {
  const specs: io.WeightsManifestEntry[] = [];
  const chunks: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = join(dir, p);
      try {
        chunks.push(await readFile(file));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new ModelLoadError(label, code === 'ENOENT' ? `weights file ${file} is missing` : `cannot read ${file} (${code ?? String(err)})`, { cause: err });
      }
    }
  }
  const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  const expected = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  for (const s of specs) {
    if (s.dtype !== 'float32' || s.quantization) {
      throw new ModelLoadError(label, `weight ${s.name} is ${s.quantization ? 'quantized' : s.dtype}; only float32 weights are supported`);
    }
  }
  if (data.byteLength !== expected) {
    const how = data.byteLength < expected ? 'truncated' : 'longer than its manifest says';
    throw new ModelLoadError(label, `weights are ${how}: ${data.byteLength} bytes, manifest needs ${expected}`);
  }
  return { specs, data };
}

function parseMeta(json: ModelJson, label: string): ModelMeta {
  const raw = json.userDefinedMetadata?.subpixel;
  if (typeof raw !== 'object' || raw === null) {
    throw new ModelLoadError(label, 'model.json has no Subpixel metadata (userDefinedMetadata.subpixel)');
  }
  const meta = raw as Partial<ModelMeta>;
  if (typeof meta.id !== 'string' || !meta.id) throw new ModelLoadError(label, 'metadata has no id');
  // Ids become folder names on import and export: nothing that could climb out of the models folder.
  if (!isModelId(meta.id)) throw new ModelLoadError(label, `model id ${JSON.stringify(meta.id)} is not a plain name (letters, digits, . _ -)`);
  const spec = meta.spec;
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.widths) || !Array.isArray(spec.kernels)) {
    throw new ModelLoadError(label, 'metadata has no valid architecture spec');
  }
  try {
    validateSpec(spec);
  } catch (err) {
    throw new ModelLoadError(label, `invalid architecture spec: ${(err as Error).message}`, { cause: err });
  }
  return { ...meta, id: meta.id, spec };
}

/** Copies (the buffer may be unaligned for Float32Array) one weight out of the concatenated data. */
function takeFloats(data: Buffer, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(data.subarray(offset, offset + count * 4));
  return out;
}

function weightsFromManifest(spec: ArchitectureSpec, specs: io.WeightsManifestEntry[], data: Buffer, label: string): ModelWeights {
  const byName = new Map<string, Float32Array>();
  const shapeOf = new Map<string, number[]>();
  let offset = 0;
  for (const s of specs) {
    const count = s.shape.reduce((a, b) => a * b, 1);
    byName.set(s.name, takeFloats(data, offset, count));
    shapeOf.set(s.name, s.shape);
    offset += count * 4;
  }
  const take = (name: string, shape: number[]): Float32Array => {
    const values = byName.get(name);
    if (!values) throw new ModelLoadError(label, `weight ${name} is missing from model.json (architecture ${describeSpec(spec)})`);
    const got = shapeOf.get(name) ?? [];
    if (got.join('x') !== shape.join('x')) {
      throw new ModelLoadError(label, `weight ${name} has shape [${got.join(', ')}], architecture ${describeSpec(spec)} needs [${shape.join(', ')}]`);
    }
    return values;
  };
  const convs = convShapes(spec).map(({ k, inChannels, outChannels }, i): ConvWeights => {
    const conv: ConvWeights = {
      kernel: take(`conv_${i}/kernel`, [k, k, inChannels, outChannels]),
      bias: take(`conv_${i}/bias`, [outChannels]),
      kh: k, kw: k, inChannels, outChannels,
    };
    if (slopeCount(spec, i)) conv.alpha = take(`prelu_${i}/alpha`, [1, 1, slopeCount(spec, i)]);
    return conv;
  });
  return { spec, convs };
}

export function describeSpec(spec: ArchitectureSpec): string {
  return `${spec.name} x${spec.scale} ${spec.channels === 1 ? 'Y' : 'RGB'} widths [${spec.widths.join(',')}] kernels [${spec.kernels.join(',')}] ${spec.activation}${spec.residual ? ` +${spec.skip ?? 'nearest'} skip` : ''}${spec.unshuffle ? ' on 2x2 blocks' : ''}`;
}

/** Reads one model directory into plain weights (no TF.js involved). */
export async function loadModelDir(dir: string, label = dir): Promise<LoadedModel> {
  const abs = resolve(dir);
  const json = await readModelJson(abs, label);
  const meta = parseMeta(json, label);
  const { specs, data } = await readWeightGroups(abs, label, json);
  const weights = weightsFromManifest(meta.spec, specs, data, label);
  return { id: meta.id, dir: abs, weights, meta };
}

function looksLikePath(s: string): boolean {
  return isAbsolute(s) || s.includes('/') || s.includes('\\') || s.startsWith('.');
}

/** Loads a model by directory path or by id (looked up in the models folders). */
export async function loadModel(dirOrId: string, options: ModelSearchOptions = {}): Promise<LoadedModel> {
  return resolveModel(dirOrId, options);
}

/**
 * Finds and loads a model: a directory path, an id, or an id family plus scale ('espcn' + scale 4 → 'espcn-x4').
 * Without an id, the first listed model for `scale` is taken.
 */
export async function resolveModel(idOrPath: string | undefined, options: ModelSearchOptions & { scale?: Scale } = {}): Promise<LoadedModel> {
  const { scale } = options;
  let loaded: LoadedModel;
  if (idOrPath && (looksLikePath(idOrPath) || (await isDirectory(idOrPath)))) {
    loaded = await loadModelDir(idOrPath, idOrPath);
  } else {
    const { models, problems } = await listModels(options.searchPaths ?? defaultModelDirs());
    const candidates = idOrPath
      ? [idOrPath, ...(scale ? [`${idOrPath}-x${scale}`, `${idOrPath}_x${scale}`] : [])]
      : [];
    let found = idOrPath
      ? candidates.map((c) => models.find((m) => m.id === c)).find((m) => m !== undefined)
      : defaultModelOf(models, scale);
    if (!found) {
      const known = models.filter((m) => scale === undefined || m.scale === scale).map((m) => m.id);
      const what = idOrPath ? `unknown model id` : `no model for x${scale ?? '?'}`;
      throw new ModelLoadError(idOrPath ?? `(default x${scale ?? '?'})`,
        `${what}; known${scale ? ` x${scale}` : ''} models: ${known.length ? known.join(', ') : 'none'} (searched ${(options.searchPaths ?? defaultModelDirs()).join(', ')})`
        + (problems.length ? `; unreadable: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` and ${problems.length - 3} more` : ''}` : ''),
        { code: 'not_found' });
    }
    loaded = await loadModelDir(found.dir, found.id);
  }
  if (scale !== undefined && loaded.weights.spec.scale !== scale) {
    throw new ModelLoadError(loaded.id, `is a x${loaded.weights.spec.scale} model but x${scale} was requested`);
  }
  return loaded;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Listing

/** A listed model's family: robust when its manifest entry says so, else clean. */
export function familyOf(m: ModelListing): ModelFamily {
  return m.entry?.family === 'robust' ? 'robust' : 'clean';
}

/** The first listed model of a family for a scale. */
export function modelOfFamily(models: ModelListing[], scale: Scale, family: ModelFamily): ModelListing | undefined {
  return models.find((m) => m.scale === scale && familyOf(m) === family);
}

/**
 * The model a scale falls back to without a choice: its first clean model (robust ones are for degraded inputs and
 * are chosen per image), else its first model of any family. Without a scale, the first clean model of any scale.
 */
export function defaultModelOf(models: ModelListing[], scale: Scale | undefined): ModelListing | undefined {
  const fits = (m: ModelListing): boolean => scale === undefined || m.scale === scale;
  return models.find((m) => fits(m) && familyOf(m) === 'clean') ?? models.find(fits);
}

/**
 * Models in each folder: its manifest's entries, then model directories the manifest does not list.
 * An id found in an earlier folder hides later ones. Unreadable manifests or model.json files are
 * reported in `problems` instead of hiding every other model.
 */
export async function listModels(roots: string[] = defaultModelDirs()): Promise<{ models: ModelListing[]; problems: string[] }> {
  const models: ModelListing[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (m: ModelListing): void => {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    models.push(m);
  };
  for (const r of roots) {
    const root = resolve(r);
    const listedDirs = new Set<string>();
    try {
      for (const entry of await readManifest(root)) {
        const dir = resolve(root, entry.path);
        listedDirs.add(dir);
        add({ id: entry.id, dir, scale: entry.architecture.scale, channels: entry.architecture.channels, spec: entry.architecture, root, entry });
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      continue; // a user folder that does not exist yet holds no models
    }
    for (const name of names.sort()) {
      const dir = join(root, name);
      if (listedDirs.has(dir) || !existsSync(join(dir, MODEL_JSON))) continue;
      try {
        const meta = parseMeta(await readModelJson(dir, basename(dir)), basename(dir));
        add({ id: meta.id, dir, scale: meta.spec.scale, channels: meta.spec.channels, spec: meta.spec, root });
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
  }
  return { models, problems };
}
