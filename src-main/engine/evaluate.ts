/**
 * Scores bicubic and a model on an SR benchmark folder by the standard protocol (see metrics.ts):
 * `<dataset>/HR/*` ground truth, LR from `<dataset>/LR_bicubic/X<s>/<name>x<s>.<ext>` when present, else made with
 * our MATLAB-exact imresize. Y models run on the LR image's rounded Y; RGB models on its RGB, scored on the Y of
 * their 8-bit output. Degraded-input evaluation passes `makeLr` (the CLI's `--degrade`): bicubic and every model then
 * see the same degraded LR.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Scale } from './models/spec.js';
import type { Plane, Raster } from './raster.js';
import { readImage } from './image-io.js';
import { formatFromPath } from '../../src-common/formats.js';
import { lumaY } from './color.js';
import { imresize, imresizeRasterScale, modcrop } from './resize.js';
import { evaluatePair, quantizeY, type PairScore } from './metrics.js';
import { inferTiled } from './pipeline.js';
import type { EngineModel } from './upscale.js';

export interface ImageScores {
  name: string;
  bicubic: PairScore;
  /** The first model's score (the only one in a single-model run). */
  model?: PairScore;
  /** Every model's score by id. */
  models?: Record<string, PairScore>;
}

export interface DatasetScores {
  dataset: string;
  scale: Scale;
  /** The first model's id. */
  model?: string;
  /** The degradation applied to the LR inputs, when any (e.g. 'blur:1.2+jpeg:60'). */
  degrade?: string;
  mean: { bicubic: PairScore; model?: PairScore };
  /** Every model's mean score, in the order asked for. */
  models?: Array<{ id: string; mean: PairScore }>;
  images: ImageScores[];
}

export interface EvaluateOptions {
  /** Makes the LR input from the modcropped HR image (the index-th of the sorted dataset) instead of the protocol's bicubic. */
  makeLr?: (hr: Raster, index: number) => Promise<Raster>;
  /** Names the degradation in the result. */
  degrade?: string;
}

async function lrFor(datasetDir: string, hrPath: string, hr: Raster, scale: Scale): Promise<Raster> {
  const name = basename(hrPath, extname(hrPath));
  const folder = join(datasetDir, 'LR_bicubic', `X${scale}`);
  for (const ext of [extname(hrPath), '.png']) {
    const candidate = join(folder, `${name}x${scale}${ext}`);
    if (existsSync(candidate)) {
      const lr = (await readImage(candidate)).raster;
      if (lr.width * scale !== hr.width || lr.height * scale !== hr.height) {
        throw new Error(`${candidate} is ${lr.width}x${lr.height}, expected ${hr.width / scale}x${hr.height / scale} for x${scale}`);
      }
      return lr;
    }
  }
  return imresizeRasterScale(hr, 1 / scale);
}

/** Super-resolved Y (0..255 scale, unrounded) of an LR raster with the engine model. */
export async function superResolveY(engine: EngineModel, lr: Raster): Promise<Plane> {
  const { spec } = engine.model.weights;
  const { width, height } = lr;
  if (spec.channels === 1) {
    const y = quantizeY(lumaY(lr));
    const input = new Float32Array(y.data.length);
    for (let i = 0; i < input.length; i++) input[i] = y.data[i] / 255;
    const sr = await inferTiled(await engine.modelSession(), spec, input, width, height);
    for (let i = 0; i < sr.length; i++) sr[i] *= 255;
    return { data: sr, width: width * spec.scale, height: height * spec.scale };
  }
  const unit = 1 / (lr.bitDepth === 16 ? 65535 : 255);
  const input = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) input[i * 3 + c] = lr.data[i * lr.channels + (lr.channels >= 3 ? c : 0)] * unit;
  }
  const sr = await inferTiled(await engine.modelSession(), spec, input, width, height);
  const rgb = new Uint8Array(sr.length);
  for (let i = 0; i < sr.length; i++) rgb[i] = Math.min(255, Math.max(0, Math.round(sr[i] * 255)));
  return lumaY({ data: rgb, width: width * spec.scale, height: height * spec.scale, channels: 3, bitDepth: 8 });
}

function mean(scores: PairScore[]): PairScore {
  const n = Math.max(1, scores.length);
  return {
    psnr: scores.reduce((s, x) => s + x.psnr, 0) / n,
    ssim: scores.reduce((s, x) => s + x.ssim, 0) / n,
  };
}

export async function evaluateDataset(
  datasetDir: string, scale: Scale, engineOrEngines?: EngineModel | EngineModel[], options: EvaluateOptions = {},
): Promise<DatasetScores> {
  const hrDir = join(datasetDir, 'HR');
  if (!existsSync(hrDir)) throw new Error(`${datasetDir} has no HR/ folder of ground-truth images`);
  const engines = engineOrEngines === undefined ? [] : Array.isArray(engineOrEngines) ? engineOrEngines : [engineOrEngines];
  for (const engine of engines) {
    if (engine.model.weights.spec.scale !== scale) {
      throw new Error(`model ${engine.model.id} is x${engine.model.weights.spec.scale}, the evaluation is x${scale}`);
    }
  }
  const names = (await readdir(hrDir)).filter((f) => formatFromPath(f) && !f.startsWith('.')).sort();
  if (!names.length) throw new Error(`${hrDir} holds no images`);
  const images: ImageScores[] = [];
  for (const [index, file] of names.entries()) {
    const hrPath = join(hrDir, file);
    const hr = modcrop((await readImage(hrPath)).raster, scale);
    const lr = options.makeLr ? await options.makeLr(hr, index) : await lrFor(datasetDir, hrPath, hr, scale);
    const hrY = quantizeY(lumaY(hr));
    const lrY = quantizeY(lumaY(lr));
    const bicubicY = imresize(lrY, hr.width, hr.height, { quantize: 8 });
    const entry: ImageScores = { name: basename(file, extname(file)), bicubic: evaluatePair(hrY, bicubicY, scale) };
    if (engines.length) {
      entry.models = {};
      for (const engine of engines) entry.models[engine.model.id] = evaluatePair(hrY, await superResolveY(engine, lr), scale);
      entry.model = entry.models[engines[0].model.id];
    }
    images.push(entry);
  }
  const result: DatasetScores = {
    dataset: basename(datasetDir),
    scale,
    ...(options.degrade ? { degrade: options.degrade } : {}),
    mean: { bicubic: mean(images.map((i) => i.bicubic)) },
    images,
  };
  if (engines.length) {
    result.models = engines.map((e) => ({ id: e.model.id, mean: mean(images.map((i) => i.models![e.model.id])) }));
    result.model = engines[0].model.id;
    result.mean.model = result.models[0].mean;
  }
  return result;
}
