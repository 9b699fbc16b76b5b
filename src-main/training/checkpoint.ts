/**
 * Checkpoints: everything an interrupted run needs to continue exactly as if it had not stopped — config, step,
 * sampler RNG state, trainable weights, Adam moments and the EMA — as checkpoint.json plus one float32 blob.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CodedError } from '../common/errors.js';
import type { RngState } from './rng.js';
import type { TrainWeights } from './nets.js';
import type { TrainConfig, ValPoint } from './trainer.js';

export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_BIN = 'checkpoint.bin';
const FORMAT = 'subpixel-checkpoint';
const VERSION = 1;

export interface CheckpointState {
  config: TrainConfig;
  step: number;
  rng: RngState;
  /** Training seconds so far, over all sessions. */
  elapsedSec: number;
  startedAt: string;
  /** Commands that ran this training (one per session), for provenance. */
  commands: string[];
  history: ValPoint[];
  weights: TrainWeights;
  adam: { t: number; m: Record<string, Float32Array>; v: Record<string, Float32Array> };
  /** EMA of the deployed layers ('l<i>.kernel' …), when enabled. */
  ema?: Record<string, { shape: number[]; data: Float32Array }>;
  /** The reported (smoothed) training loss, so a resumed run's loss curve continues without a step. */
  lossAvg?: number;
}

interface BlobEntry { name: string; shape: number[]; offset: number; length: number }

/**
 * The config's folders (training data, validation data, base model) as a checkpoint stores them: relative to the
 * checkpoint's own folder ('../../../../shared/datasets/train/t91'), so a committed or copied checkpoint names no
 * machine's paths and resumes wherever the tree lands. A path on another drive (Windows) stays absolute.
 */
export function portableConfig(config: TrainConfig, dir: string): TrainConfig {
  const portable = (path: string): string => {
    if (!isAbsolute(path)) return path;
    const rel = relative(resolve(dir), path);
    if (isAbsolute(rel)) return path;
    const posix = rel.split(sep).join('/');
    return posix.startsWith('../') || posix === '..' ? posix : `./${posix}`;
  };
  return mapConfigPaths(config, portable);
}

/** The inverse: folders stored relative to the checkpoint become absolute again (absolute ones, from older checkpoints, stay). */
export function resolvedConfig(config: TrainConfig, dir: string): TrainConfig {
  const absolute = (path: string): string => (/^\.\.?(\/|$)/.test(path) ? resolve(dir, path) : path);
  return mapConfigPaths(config, absolute);
}

function mapConfigPaths(config: TrainConfig, map: (path: string) => string): TrainConfig {
  return {
    ...config,
    hrFolders: config.hrFolders.map(map),
    ...(config.valFolder === undefined ? {} : { valFolder: map(config.valFolder) }),
    // A base model is an id or a folder: only a folder is a path.
    ...(config.baseModel === undefined ? {} : { baseModel: isAbsolute(config.baseModel) || /^\.\.?\//.test(config.baseModel) ? map(config.baseModel) : config.baseModel }),
  };
}

/** FNV-1a over the blob's 32-bit words: ties checkpoint.json to the checkpoint.bin written with it. */
function blobHash(blob: Float32Array): string {
  const words = new Uint32Array(blob.buffer, blob.byteOffset, blob.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export async function saveCheckpoint(dir: string, s: CheckpointState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries: BlobEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], data: Float32Array): void => {
    entries.push({ name, shape, offset, length: data.length });
    chunks.push(data);
    offset += data.length;
  };
  for (const [name, t] of Object.entries(s.weights.tensors)) {
    add(`param/${name}`, t.shape, t.data);
    add(`adam.m/${name}`, t.shape, s.adam.m[name]);
    add(`adam.v/${name}`, t.shape, s.adam.v[name]);
  }
  for (const [name, t] of Object.entries(s.ema ?? {})) add(`ema/${name}`, t.shape, t.data);
  const blob = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) { blob.set(c, at); at += c.length; }
  const json = {
    format: FORMAT, version: VERSION, savedAt: new Date().toISOString(),
    config: portableConfig(s.config, dir), step: s.step, rng: s.rng, elapsedSec: s.elapsedSec, startedAt: s.startedAt, commands: s.commands,
    history: s.history, spec: s.weights.spec, kind: s.weights.kind, adamT: s.adam.t, hasEma: Boolean(s.ema), tensors: entries,
    ...(s.lossAvg !== undefined && Number.isFinite(s.lossAvg) ? { lossAvg: s.lossAvg } : {}),
    blobHash: blobHash(blob),
  };
  // both go to temporary names first; the JSON carries the blob's hash, so a pair torn by a crash (or copied
  // between the two renames) is detected on load instead of resuming from mismatched state
  await writeFile(join(dir, `${CHECKPOINT_BIN}.tmp`), new Uint8Array(blob.buffer));
  await writeFile(join(dir, `${CHECKPOINT_JSON}.tmp`), `${JSON.stringify(json, null, 1)}\n`);
  await rename(join(dir, `${CHECKPOINT_BIN}.tmp`), join(dir, CHECKPOINT_BIN));
  await rename(join(dir, `${CHECKPOINT_JSON}.tmp`), join(dir, CHECKPOINT_JSON));
}

export class CheckpointError extends CodedError {
  constructor(message: string) {
    super('invalid_input', message);
    this.name = 'CheckpointError';
  }
}

/** Reads a checkpoint from its folder (or the path of its checkpoint.json). */
export async function loadCheckpoint(path: string): Promise<CheckpointState> {
  const dir = path.endsWith('.json') ? join(path, '..') : path;
  let json;
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
    json = JSON.parse(await readFile(join(dir, CHECKPOINT_JSON), 'utf8'));
  } catch (err) {
    throw new CheckpointError(`no readable checkpoint at ${path} (${err instanceof Error ? err.message : String(err)})`);
  }
  if (json.format !== FORMAT || json.version !== VERSION) throw new CheckpointError(`${path} is not a version-${VERSION} Subpixel checkpoint`);
  const buf = await readFile(join(dir, CHECKPOINT_BIN));
  const blob = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (json.blobHash !== undefined && json.blobHash !== blobHash(blob)) {
    throw new CheckpointError(`${path}: ${CHECKPOINT_BIN} does not belong to ${CHECKPOINT_JSON} (written by another save?)`);
  }
  const weights: TrainWeights = { spec: json.spec, kind: json.kind, tensors: {} };
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  const ema: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const e of json.tensors as BlobEntry[]) {
    if (e.offset + e.length > blob.length) throw new CheckpointError(`${path}: ${CHECKPOINT_BIN} is truncated`);
    const data = blob.slice(e.offset, e.offset + e.length);
    const [kind, name] = [e.name.slice(0, e.name.indexOf('/')), e.name.slice(e.name.indexOf('/') + 1)];
    if (kind === 'param') weights.tensors[name] = { shape: e.shape, data };
    else if (kind === 'adam.m') m[name] = data;
    else if (kind === 'adam.v') v[name] = data;
    else if (kind === 'ema') ema[name] = { shape: e.shape, data };
  }
  return {
    config: resolvedConfig(json.config as TrainConfig, dir), step: json.step, rng: json.rng, elapsedSec: json.elapsedSec, startedAt: json.startedAt,
    commands: json.commands ?? [], history: json.history ?? [], weights, adam: { t: json.adamT, m, v },
    ...(json.hasEma ? { ema } : {}),
    ...(typeof json.lossAvg === 'number' ? { lossAvg: json.lossAvg } : {}),
  };
}
