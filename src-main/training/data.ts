/**
 * Training data: HR images from folders → 8-bit rasters (modcropped) → Y planes, with the LR side made once per
 * image by the degradation (whole images, so the MATLAB-exact bicubic has no patch-border artifacts), then random
 * aligned patches with the 8 flips/rotations. Validation: a folder, or a held-out 10 % of the images.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CodedError } from '../common/errors.js';
import { lumaY } from '../engine/color.js';
import { quantizeY } from '../engine/metrics.js';
import { readImage } from '../engine/image-io/read.js';
import type { Plane, Raster } from '../engine/raster.js';
import { imresizeRasterScale, modcrop } from '../engine/resize.js';
import { formatFromPath } from '../../src-common/formats.js';
import { bicubicSkipPlane } from '../engine/models/bicubic-skip.js';
import type { SkipKind } from '../engine/models/spec.js';
import { applyPlan, degrade, drawPlan, isRandomDegradation, type DegradationOptions } from './degrade.js';
import { createRng, hashSeed, type Rng } from './rng.js';

/** Training takes every still-image format the engine reads (a GIF's palette makes poor ground truth). */
function isTrainingImage(name: string): boolean {
  const format = formatFromPath(name);
  return format !== undefined && format !== 'gif';
}

export interface TrainImage {
  path: string;
  /** 8-bit gray or RGB, modcropped (kept only when the LR must be re-made, i.e. random degradations). */
  hr?: Raster;
  hrY: Plane;
  lrY: Plane;
  /** lrY upscaled by the bicubic skip, made when a batch first needs it (and dropped when the pair is re-made). */
  skipY?: Plane;
}

export interface ValImage {
  path: string;
  hrY: Plane;
  lrY: Plane;
}

export interface DataStats {
  folders: string[];
  imagesFound: number;
  trainImages: number;
  valImages: number;
  skipped: number;
  skippedFiles: Array<{ path: string; reason: string }>;
  /** HR pixels available to patches. */
  trainPixels: number;
}

export interface DataOptions {
  hrFolders: string[];
  valFolder?: string;
  /** Held-out share when no validation folder is given (default 0.1). */
  valFraction?: number;
  scale: number;
  /** LR patch size; images whose LR is smaller are not used for patches. */
  patchSize: number;
  degradation: DegradationOptions;
  seed: number;
  /** Largest validation crop side in HR pixels (centre crop), default 480. */
  valCrop?: number;
  /**
   * Also train on each HR image downscaled by these factors (MATLAB bicubic, e.g. 0.9 … 0.6): more distinct
   * content at every scale from a small set, the classic augmentation of T91-sized datasets.
   */
  augmentScales?: number[];
  /**
   * Round the training LR Y to integers, as the benchmark protocol (MATLAB's rgb2ycbcr on uint8) feeds it to the
   * network; validation LR is always rounded. Off by default: the app feeds the unrounded Y of the image.
   */
  roundLrY?: boolean;
  onWarning?: (message: string) => void;
}

export class TrainingDataError extends CodedError {
  constructor(message: string) {
    super('invalid_input', message);
    this.name = 'TrainingDataError';
  }
}

/** Image files below each folder (recursive, sorted so runs are reproducible). */
export async function listImages(folder: string): Promise<string[]> {
  let info;
  try {
    info = await stat(folder);
  } catch {
    throw new TrainingDataError(`HR folder ${folder} does not exist`);
  }
  if (!info.isDirectory()) throw new TrainingDataError(`${folder} is not a folder`);
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isTrainingImage(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort((a, b) => relative(folder, a).localeCompare(relative(folder, b)));
}

/** Drops alpha and reduces 16-bit to 8-bit: training works on what an 8-bit LR input would look like. */
export function toTrainingRaster(r: Raster): Raster {
  const colour = r.channels >= 3 ? 3 : 1;
  const n = r.width * r.height;
  const data = new Uint8Array(n * colour);
  const div = r.bitDepth === 16 ? 257 : 1;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < colour; c++) data[i * colour + c] = Math.round(r.data[i * r.channels + c] / div);
  }
  return { data, width: r.width, height: r.height, channels: colour as 1 | 3, bitDepth: 8 };
}

function centreCrop(r: Raster, maxSide: number, scale: number): Raster {
  const w = Math.min(r.width, maxSide - (maxSide % scale));
  const h = Math.min(r.height, maxSide - (maxSide % scale));
  if (w === r.width && h === r.height) return r;
  const x0 = Math.floor((r.width - w) / 2);
  const y0 = Math.floor((r.height - h) / 2);
  const data = new Uint8Array(w * h * r.channels);
  for (let y = 0; y < h; y++) {
    data.set(r.data.subarray(((y0 + y) * r.width + x0) * r.channels, ((y0 + y) * r.width + x0 + w) * r.channels), y * w * r.channels);
  }
  return { ...r, data, width: w, height: h };
}

async function readRasters(paths: string[], scale: number, stats: DataStats, warn: (m: string) => void): Promise<Array<{ path: string; hr: Raster }>> {
  const out: Array<{ path: string; hr: Raster }> = [];
  for (const path of paths) {
    try {
      const { raster } = await readImage(path);
      out.push({ path, hr: modcrop(toTrainingRaster(raster), scale) });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      stats.skipped++;
      stats.skippedFiles.push({ path, reason });
      warn(`skipping ${path}: ${reason}`);
    }
  }
  return out;
}

/** Per-image, per-epoch RNG for degradations: any image's LR can be re-made without replaying the others. */
export function degradationRng(seed: number, epoch: number, index: number, salt = 0): Rng {
  return createRng(hashSeed(seed, epoch, index, salt));
}

/** HR images of a folder as validation pairs (centre-cropped to `valCrop`, LR made by the degradation). */
export async function loadValidationImages(
  folder: string,
  o: Pick<DataOptions, 'scale' | 'degradation' | 'seed' | 'valCrop' | 'onWarning'>,
): Promise<ValImage[]> {
  const stats: DataStats = { folders: [folder], imagesFound: 0, trainImages: 0, valImages: 0, skipped: 0, skippedFiles: [], trainPixels: 0 };
  const rasters = await readRasters(await listImages(folder), o.scale, stats, o.onWarning ?? ((m: string) => process.emitWarning(m)));
  return validationPairs(rasters, o);
}

async function validationPairs(
  rasters: Array<{ path: string; hr: Raster }>,
  o: Pick<DataOptions, 'scale' | 'degradation' | 'seed' | 'valCrop'>,
): Promise<ValImage[]> {
  const val: ValImage[] = [];
  for (const [i, { path, hr }] of rasters.entries()) {
    const crop = centreCrop(hr, o.valCrop ?? 480, o.scale);
    const lr = await degrade(crop, o.scale, o.degradation, degradationRng(o.seed, -1, i, 0x5a1));
    // the network sees the LR's 8-bit Y, as `subpixel eval` (and MATLAB's rgb2ycbcr on uint8) gives it
    val.push({ path, hrY: lumaY(crop), lrY: quantizeY(lumaY(lr)) });
  }
  return val;
}

function trainingLrY(lr: Raster, o: Pick<DataOptions, 'roundLrY'>): Plane {
  return o.roundLrY ? quantizeY(lumaY(lr)) : lumaY(lr);
}

export interface TrainingData {
  images: TrainImage[];
  val: ValImage[];
  stats: DataStats;
  scale: number;
  /** Cumulative count of patch positions, for area-weighted image choice. */
  cumulative: Float64Array;
}

function patchPositions(img: TrainImage, patch: number): number {
  return Math.max(0, img.lrY.width - patch + 1) * Math.max(0, img.lrY.height - patch + 1);
}

function recount(data: TrainingData, patch: number): void {
  let sum = 0;
  data.cumulative = new Float64Array(data.images.length);
  data.images.forEach((img, i) => { sum += patchPositions(img, patch); data.cumulative[i] = sum; });
}

export async function loadTrainingData(o: DataOptions): Promise<TrainingData> {
  const warn = o.onWarning ?? ((m: string) => process.emitWarning(m));
  if (o.hrFolders.length === 0) throw new TrainingDataError('no HR folder given');
  const stats: DataStats = { folders: [...o.hrFolders], imagesFound: 0, trainImages: 0, valImages: 0, skipped: 0, skippedFiles: [], trainPixels: 0 };
  const paths: string[] = [];
  for (const f of o.hrFolders) paths.push(...await listImages(f));
  stats.imagesFound = paths.length;
  const loaded = await readRasters(paths, o.scale, stats, warn);

  let trainSet = loaded;
  let valSet: Array<{ path: string; hr: Raster }> = [];
  if (o.valFolder) {
    valSet = await readRasters(await listImages(o.valFolder), o.scale, stats, warn);
  } else if (loaded.length >= 2) {
    const rng = createRng(hashSeed(o.seed, 0x7a1));
    const order = loaded.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    const nVal = Math.max(1, Math.round(loaded.length * (o.valFraction ?? 0.1)));
    const valIdx = new Set(order.slice(0, nVal));
    valSet = loaded.filter((_, i) => valIdx.has(i));
    trainSet = loaded.filter((_, i) => !valIdx.has(i));
  }

  // random degradations are drawn per patch from the HR image; the stored LR is the clean one (for patch geometry)
  const keepHr = isRandomDegradation(o.degradation);
  const loadDegradation: DegradationOptions = keepHr ? { preset: 'clean' } : o.degradation;
  const images: TrainImage[] = [];
  for (const f of o.augmentScales ?? []) {
    if (!(f > 0 && f < 1)) throw new TrainingDataError(`augmentation scales must be between 0 and 1, got ${f}`);
  }
  const scaled = trainSet.flatMap(({ path, hr }) => (o.augmentScales ?? []).map((f) => ({
    path: `${path}@${f}`, hr: modcrop(imresizeRasterScale(hr, f), o.scale),
  })));
  for (const [i, { path, hr }] of [...trainSet, ...scaled].entries()) {
    const lr = await degrade(hr, o.scale, loadDegradation, degradationRng(o.seed, 0, i));
    images.push({ path, ...(keepHr ? { hr } : {}), hrY: lumaY(hr), lrY: trainingLrY(lr, o) });
  }
  const val = await validationPairs(valSet, o);
  const data: TrainingData = { images, val, stats, scale: o.scale, cumulative: new Float64Array(0) };
  recount(data, o.patchSize);
  const usable = images.filter((img) => patchPositions(img, o.patchSize) > 0);
  stats.trainImages = usable.length;
  stats.valImages = val.length;
  stats.trainPixels = usable.reduce((s, img) => s + img.hrY.width * img.hrY.height, 0);
  const minPixels = 4 * (o.patchSize * o.scale) ** 2;
  if (stats.trainPixels < minPixels) {
    throw new TrainingDataError(
      `too few usable training pixels in ${o.hrFolders.join(', ')}: ${stats.trainPixels} HR pixels in ${usable.length} image(s) `
      + `at least ${o.patchSize * o.scale}x${o.patchSize * o.scale} (of ${stats.imagesFound} found, ${stats.skipped} unreadable); `
      + `need at least ${minPixels} (add images or lower the patch size)`,
    );
  }
  return data;
}


export interface Batch {
  /** [n, p, p, 1] LR Y / 255. */
  input: Float32Array;
  /** [n, p, p, s²] HR Y / 255 in space-to-depth order (TF depth-to-space, DCR), minus the network's skip. */
  target: Float32Array;
  n: number;
  patch: number;
}

/**
 * Reads a size×size window at (x0, y0) of `plane`, transformed by one of the 8 dihedral transforms
 * (bit 0: flip x, bit 1: flip y, bit 2: transpose), into `out` at `offset`.
 */
function readWindow(plane: Plane, x0: number, y0: number, size: number, t: number, out: Float32Array, offset: number, mul: number): void {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sx = t & 4 ? y : x;
      let sy = t & 4 ? x : y;
      if (t & 1) sx = size - 1 - sx;
      if (t & 2) sy = size - 1 - sy;
      out[offset + y * size + x] = plane.data[(y0 + sy) * plane.width + x0 + sx] * mul;
    }
  }
}

/**
 * A batch of aligned LR/HR patches, targets minus what the network's skip adds (nothing, the LR pixel, or its
 * bicubic upscale); consumes the RNG in a fixed pattern (4 draws per patch).
 */
export function sampleBatch(data: TrainingData, rng: Rng, n: number, patch: number, skip: SkipKind | 'none'): Batch {
  const batch = emptyBatch(data.scale, n, patch, skip);
  for (let b = 0; b < n; b++) {
    const { img, x0, y0, t } = drawPatch(data, rng, patch);
    fillPatch(batch, b, skip, img.lrY, x0, y0, img.hrY, x0, y0, t, () => (img.skipY ??= bicubicSkipPlane(img.lrY, data.scale)));
  }
  return batch.batch;
}

interface BatchBuffers {
  batch: Batch;
  scale: number;
  hrWindow: Float32Array;
  skipWindow?: Float32Array;
}

function emptyBatch(s: number, n: number, patch: number, skip: SkipKind | 'none'): BatchBuffers {
  const hp = patch * s;
  return {
    batch: { input: new Float32Array(n * patch * patch), target: new Float32Array(n * patch * patch * s * s), n, patch },
    scale: s,
    hrWindow: new Float32Array(hp * hp),
    ...(skip === 'bicubic' ? { skipWindow: new Float32Array(hp * hp) } : {}),
  };
}

/** One patch position, area-weighted over the images (4 draws). */
function drawPatch(data: TrainingData, rng: Rng, patch: number): { img: TrainImage; x0: number; y0: number; t: number } {
  const total = data.cumulative[data.cumulative.length - 1];
  const r = rng.next() * total;
  let lo = 0;
  let hi = data.cumulative.length - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (data.cumulative[mid] > r) hi = mid; else lo = mid + 1; }
  const img = data.images[lo];
  const x0 = rng.int(img.lrY.width - patch + 1);
  const y0 = rng.int(img.lrY.height - patch + 1);
  return { img, x0, y0, t: rng.int(8) };
}

/**
 * Writes patch b of the batch: LR window at (lx, ly) of `lrY`, HR window at (hx, hy)·s of `hrY`, both transformed
 * by t, the target minus the network's skip (`skipY` is the LR plane's bicubic upscale, made on demand).
 */
function fillPatch(
  buffers: BatchBuffers, b: number, skip: SkipKind | 'none', lrY: Plane, lx: number, ly: number, hrY: Plane, hx: number, hy: number, t: number,
  skipY: () => Plane,
): void {
  const { batch: { input, target, patch }, scale: s, hrWindow, skipWindow } = buffers;
  const hp = patch * s;
  const base = b * patch * patch;
  readWindow(lrY, lx, ly, patch, t, input, base, 1 / 255);
  readWindow(hrY, hx * s, hy * s, hp, t, hrWindow, 0, 1 / 255);
  // the bicubic skip commutes with the 8 transforms (symmetric taps, edges repeated on every side)
  if (skipWindow) readWindow(skipY(), lx * s, ly * s, hp, t, skipWindow, 0, 1 / 255);
  const tb = base * s * s;
  for (let y = 0; y < patch; y++) {
    for (let x = 0; x < patch; x++) {
      const nearest = skip === 'nearest' ? input[base + y * patch + x] : 0;
      const o = tb + (y * patch + x) * s * s;
      for (let dy = 0; dy < s; dy++) {
        for (let dx = 0; dx < s; dx++) {
          const at = (y * s + dy) * hp + x * s + dx;
          target[o + dy * s + dx] = hrWindow[at] - (skipWindow ? skipWindow[at] : nearest);
        }
      }
    }
  }
}

/** LR pixels degraded around each patch, so blur, resampling, grain and the bicubic skip see real neighbours. */
const PATCH_MARGIN = 5;

function cropRaster(r: Raster, x0: number, y0: number, w: number, h: number): Raster {
  const c = r.channels;
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) data.set(r.data.subarray(((y0 + y) * r.width + x0) * c, ((y0 + y) * r.width + x0 + w) * c), y * w * c);
  return { data, width: w, height: h, channels: c, bitDepth: 8 };
}

/**
 * A batch whose every patch gets its own random degradation (drawn from the preset): the HR window plus a margin is
 * degraded (blur and JPEG in sharp, all patches at once, so libvips works them in parallel off this thread), and the
 * patch is cut from the middle. Same positions as `sampleBatch` for the same RNG state, then one plan per patch.
 */
export async function sampleDegradedBatch(
  data: TrainingData, rng: Rng, n: number, patch: number, skip: SkipKind | 'none',
  o: Pick<DataOptions, 'degradation' | 'roundLrY'>,
): Promise<Batch> {
  const s = data.scale;
  const picks = Array.from({ length: n }, () => {
    const p = drawPatch(data, rng, patch);
    return { ...p, plan: drawPlan(o.degradation, s, rng) };
  });
  const degraded = await Promise.all(picks.map(async ({ img, x0, y0, plan }) => {
    if (!img.hr) throw new Error('per-patch degradation needs the HR images (load the data with a random preset)');
    const cx = Math.max(0, x0 - PATCH_MARGIN);
    const cy = Math.max(0, y0 - PATCH_MARGIN);
    const cw = Math.min(img.lrY.width, x0 + patch + PATCH_MARGIN) - cx;
    const ch = Math.min(img.lrY.height, y0 + patch + PATCH_MARGIN) - cy;
    const lr = await applyPlan(cropRaster(img.hr, cx * s, cy * s, cw * s, ch * s), s, plan);
    return { cx, cy, lrY: trainingLrY(lr, o) };
  }));
  const buffers = emptyBatch(s, n, patch, skip);
  picks.forEach(({ img, x0, y0, t }, b) => {
    const { cx, cy, lrY } = degraded[b];
    fillPatch(buffers, b, skip, lrY, x0 - cx, y0 - cy, img.hrY, x0, y0, t, () => bicubicSkipPlane(lrY, s));
  });
  return buffers.batch;
}
