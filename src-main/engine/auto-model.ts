/**
 * Automatic model choice, per image: the robust model of the requested scale for inputs that carry JPEG compression
 * (quality from the file's own quantisation tables) or visible noise (luma noise estimate), the clean model for
 * pristine ones. The reason travels with the result ("robust: JPEG q≈62").
 */
import { open } from 'node:fs/promises';
import { estimateJpegQuality } from './image-io/jpeg-quality.js';
import { estimateNoiseSigma } from './noise-level.js';
import type { Scale } from './models/spec.js';
import type { ModelFamily } from './models/manifest.js';
import { defaultModelDirs, defaultModelOf, familyOf, listModels, modelOfFamily } from './models/store.js';
import type { Raster } from './raster.js';

/**
 * Where the robust model takes over: JPEG below this quality (above it, blocks and ringing are below what the clean
 * model amplifies visibly), or luma noise σ at or above this (0–255; clean photos and benchmark images measure
 * 0–3.7, RGB noise of σ 10 about 6).
 */
export const AUTO_THRESHOLDS = { jpegQuality: 90, noiseSigma: 4 } as const;

export interface InputAnalysis {
  /** IJG-equivalent quality of a JPEG input (absent for other formats). */
  jpegQuality?: number;
  /** Luma noise σ, 0–255. */
  noiseSigma: number;
}

export interface AutoChoice {
  model: string;
  family: ModelFamily;
  /** Why, in words: "robust: JPEG q≈62", "clean: no JPEG history, noise σ≈0.4". */
  reason: string;
}

/** Up to 256 KiB of the file's start: every DQT marker comes before the scan data, after at most 64 KiB of EXIF. */
async function head(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(256 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export async function analyzeInput(path: string, raster: Raster): Promise<InputAnalysis> {
  const jpeg = estimateJpegQuality(await head(path));
  return { ...(jpeg ? { jpegQuality: jpeg.quality } : {}), noiseSigma: estimateNoiseSigma(raster) };
}

/** Picks robust or clean for an analysed input; clean when no robust model of the scale is installed (and says so). */
export async function chooseModel(analysis: InputAnalysis, scale: Scale, searchPaths: string[] = defaultModelDirs()): Promise<AutoChoice> {
  const { models } = await listModels(searchPaths);
  const signs: string[] = [];
  if (analysis.jpegQuality !== undefined && analysis.jpegQuality < AUTO_THRESHOLDS.jpegQuality) signs.push(`JPEG q≈${analysis.jpegQuality}`);
  if (analysis.noiseSigma >= AUTO_THRESHOLDS.noiseSigma) signs.push(`noise σ≈${analysis.noiseSigma.toFixed(1)}`);
  const clean = defaultModelOf(models, scale);
  if (signs.length) {
    const robust = modelOfFamily(models, scale, 'robust');
    if (robust) return { model: robust.id, family: 'robust', reason: `robust: ${signs.join(', ')}` };
    if (clean) return { model: clean.id, family: 'clean', reason: `clean: ${signs.join(', ')}, but no robust x${scale} model is installed` };
  }
  if (!clean) throw new Error(`no model for x${scale} is installed`);
  const history = analysis.jpegQuality !== undefined ? `JPEG q≈${analysis.jpegQuality}` : 'no JPEG history';
  return { model: clean.id, family: familyOf(clean), reason: `clean: ${history}, noise σ≈${analysis.noiseSigma.toFixed(1)}` };
}
