/**
 * Fixed degradations for evaluation: `subpixel eval --degrade <spec>`, a `+`-joined list of steps, applied in the
 * realistic order whatever order they are written in (blur → MATLAB bicubic downscale → noise → JPEG):
 *   blur:<σ>            isotropic Gaussian of σ HR pixels before the downscale (kernel ±3σ)
 *   noise:<σ>           Gaussian noise of σ (0–255) on R, G and B independently, at LR size
 *   luma-noise:<σ>      the same on the luma only (equal on R, G, B)
 *   poisson:<peak>      Poisson (shot) noise with `peak` photons at white
 *   grain:<σ>[:<corr>]  film grain of σ in the mid-tones, correlated over `corr` LR pixels (default 1)
 *   jpeg:<q>            libjpeg at quality q with 4:2:0 chroma, as cameras save
 * e.g. `jpeg:75`, `noise:10`, `blur:1.2+jpeg:60`, `grain:8`. Noise is seeded per image, so every run is identical.
 */
import type { Raster } from '../engine/raster.js';
import { applyPlan, type DegradationPlan, type NoiseParams, type StagePlan } from './degrade.js';
import { hashSeed } from './rng.js';
import { toTrainingRaster } from './data.js';
import type { EvaluateOptions } from '../engine/evaluate.js';

export interface DegradeSpec {
  blur?: number;
  noise?: NoiseParams;
  jpeg?: number;
  /** Canonical text (steps in the order applied). */
  text: string;
}

export class DegradeSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DegradeSpecError';
  }
}

const USAGE = 'steps joined by +: blur:<σ>, noise:<σ>, luma-noise:<σ>, poisson:<peak>, grain:<σ>[:<corr>], jpeg:<quality>';

function number(step: string, value: string | undefined, min: number, max: number): number {
  const v = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(v) || v < min || v > max) {
    throw new DegradeSpecError(`--degrade ${step}: expected a number from ${min} to ${max}`);
  }
  return v;
}

export function parseDegradeSpec(text: string): DegradeSpec {
  const spec: Omit<DegradeSpec, 'text'> = {};
  const steps = text.split('+').map((s) => s.trim()).filter(Boolean);
  if (!steps.length) throw new DegradeSpecError(`--degrade is empty (${USAGE})`);
  for (const step of steps) {
    const [name, a, b, ...rest] = step.split(':');
    if (rest.length) throw new DegradeSpecError(`--degrade ${step}: too many values`);
    const once = (key: 'blur' | 'noise' | 'jpeg'): void => {
      if (spec[key] !== undefined) throw new DegradeSpecError(`--degrade ${text}: only one ${key === 'noise' ? 'noise' : key} step`);
    };
    if (b !== undefined && name !== 'grain') throw new DegradeSpecError(`--degrade ${step}: ${name} takes one value`);
    switch (name) {
      case 'blur': once('blur'); spec.blur = number(step, a, 0.1, 20); break;
      case 'noise': once('noise'); spec.noise = { kind: 'gaussian', sigma: number(step, a, 0, 100), luma: false }; break;
      case 'luma-noise': once('noise'); spec.noise = { kind: 'gaussian', sigma: number(step, a, 0, 100), luma: true }; break;
      case 'poisson': once('noise'); spec.noise = { kind: 'poisson', peak: number(step, a, 1, 1e6), luma: false }; break;
      case 'grain': once('noise'); spec.noise = { kind: 'grain', sigma: number(step, a, 0, 100), correlation: b === undefined ? 1 : number(step, b, 0, 10) }; break;
      case 'jpeg': once('jpeg'); spec.jpeg = Math.round(number(step, a, 1, 100)); break;
      default: throw new DegradeSpecError(`--degrade: unknown step "${name}" (${USAGE})`);
    }
  }
  const noiseText = (n: NoiseParams): string => (n.kind === 'gaussian' ? `${n.luma ? 'luma-noise' : 'noise'}:${n.sigma}`
    : n.kind === 'poisson' ? `poisson:${n.peak}` : `grain:${n.sigma}${n.correlation !== 1 ? `:${n.correlation}` : ''}`);
  const parts = [
    ...(spec.blur !== undefined ? [`blur:${spec.blur}`] : []),
    ...(spec.noise ? [noiseText(spec.noise)] : []),
    ...(spec.jpeg !== undefined ? [`jpeg:${spec.jpeg}`] : []),
  ];
  return { ...spec, text: parts.join('+') };
}

/** The plan of a spec for one image (noise seeded by the image's index). */
export function planOfSpec(spec: DegradeSpec, index: number): DegradationPlan {
  const stage: StagePlan = { resize: 'bicubic', toLr: 1 };
  if (spec.blur !== undefined) {
    stage.blur = { kind: 'iso', sigmaX: spec.blur, sigmaY: spec.blur, theta: 0, beta: 1, size: 2 * Math.ceil(3 * spec.blur) + 1 };
  }
  if (spec.noise) stage.noise = spec.noise;
  if (spec.jpeg !== undefined) stage.jpeg = { quality: spec.jpeg, subsampling: '4:2:0' };
  return { stages: [stage], seed: hashSeed(0xe7a1, index) };
}

/** The degraded LR of an 8-bit gray or RGB HR raster (sides multiples of `scale`). */
export function degradeBySpec(hr: Raster, scale: number, spec: DegradeSpec, index: number): Promise<Raster> {
  return applyPlan(hr, scale, planOfSpec(spec, index));
}

/**
 * `evaluateDataset` options for the `subpixel eval --degrade` protocol: each modcropped HR image (any bit depth, as
 * read) becomes its degraded LR; no spec, the protocol's bicubic LR ({}).
 */
export function degradedEvaluation(spec: DegradeSpec | undefined, scale: number): EvaluateOptions {
  return spec ? { degrade: spec.text, makeLr: (hr, index) => degradeBySpec(toTrainingRaster(hr), scale, spec, index) } : {};
}
