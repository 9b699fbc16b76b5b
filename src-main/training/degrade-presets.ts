/**
 * The degradation presets: every probability and range of the training degradations, in one place. Training and
 * fine-tuning name a preset (`--degradation photo`); `degrade.ts` draws one concrete plan per patch from it.
 *
 * A plan is one or two stages, each in the order a real image goes through them:
 *   blur (optics, focus, motion-free shake) → resize (the camera's or an editor's resampler) → noise (sensor, film
 *   grain) → JPEG (the camera or the web).
 * With probability `secondOrder.p` a second stage follows the first (an image re-saved, re-scaled and re-compressed,
 * as photos shared on the web are): the first stage then resizes only part of the way, to `intermediate` times the
 * LR size, and the second finishes at the LR size.
 *
 * Units: blur σ in pixels of the stage's input, given per unit of the scale factor (`sigmaPerScale` [0.1, 0.3] is
 * σ 0.2–0.6 at x2 and 0.4–1.2 at x4); kernel sizes follow σ (±3σ, ±4σ for plateau kernels), capped at 4·scale + 5 (13 at x2, 21 at x4). Noise σ on
 * the 0–255 scale; Poisson noise by its photon count at white (`peak`: σ = √(255·v / peak) at level v); film grain by
 * its σ in the mid-tones (fading towards black and white) and the σ of its spatial correlation in LR pixels.
 * JPEG quality as libjpeg's 1–100 scale, with the 4:2:0 chroma subsampling of cameras at `subsampling420`, else 4:4:4.
 *
 * - clean: MATLAB-exact bicubic only (the benchmark protocol, and what the clean models learn from); `bicubic` is its
 *   older name.
 * - photo: phone and web photos: half the patches left clean, mild blur on a quarter of the rest (phone photos are
 *   mostly sharp, and a model that must expect blur sharpens sharp inputs: see models/TRAINING.md), any resampler, sensor noise, JPEG q30–95, a quarter of them twice.
 * - film: scanned film: mild lens blur, film grain almost always, sometimes a scanner's JPEG.
 * - jpeg: bicubic, then JPEG q30–95 (the `subpixel eval --degrade jpeg:q` protocol, randomised).
 * - compressed: bicubic, sensor noise on half, then JPEG q30–95; 40 % of the patches clean. No blur and no second
 *   pass: the last stage of robust-x2, which sharpens its deblocking without unlearning noise (a JPEG-only stage
 *   did) or the sharpness of clean inputs (the blur of `photo` does).
 * - blur / noise: one step alone, for experiments and fine-tunes that target it.
 */
import { DEGRADATION_PRESETS, type DegradationPreset } from '../../src-common/fine-tune.js';

export { DEGRADATION_PRESETS, type DegradationPreset };

export type KernelKind = 'iso' | 'aniso' | 'generalized' | 'plateau';
export type ResizeMethod = 'bicubic' | 'bilinear' | 'area';
export type NoiseKind = 'gaussian' | 'poisson' | 'grain';

/** Relative weights of the choices (need not sum to 1). */
export type Weights<K extends string> = Partial<Record<K, number>>;

export interface BlurRecipe {
  p: number;
  kinds: Weights<KernelKind>;
  /** σ range per unit of the scale factor (σ in input pixels = this × scale). */
  sigmaPerScale: [number, number];
  /** Absolute σ range (input pixels); wins over sigmaPerScale when given. */
  sigma?: [number, number];
  /** Shape exponent of generalized Gaussian kernels, exp(−½·d²^β). */
  betaGeneralized: [number, number];
  /** Shape exponent of plateau kernels, 1 / (1 + d²^β). */
  betaPlateau: [number, number];
}

export interface NoiseRecipe {
  p: number;
  kinds: Weights<NoiseKind>;
  /** Gaussian σ (0–255). */
  sigma: [number, number];
  /** Poisson photon count at white. */
  peak: [number, number];
  /** Grain σ in the mid-tones (0–255). */
  grainSigma: [number, number];
  /** Grain correlation σ in LR pixels. */
  correlation: [number, number];
  /** Probability that Gaussian or Poisson noise is luma only (the same value on R, G and B). */
  luma: number;
}

export interface JpegRecipe {
  p: number;
  quality: [number, number];
  subsampling420: number;
}

export interface StageRecipe {
  blur?: BlurRecipe;
  resize: Weights<ResizeMethod>;
  noise?: NoiseRecipe;
  jpeg?: JpegRecipe;
}

export interface DegradationRecipe {
  /** Share of patches left clean (MATLAB bicubic only), so a robust model stays sharp on pristine inputs. */
  clean?: number;
  first: StageRecipe;
  secondOrder?: { p: number; intermediate: [number, number]; stage: StageRecipe };
}

const KERNELS: Weights<KernelKind> = { iso: 0.45, aniso: 0.25, generalized: 0.15, plateau: 0.15 };
const ANY_RESIZE: Weights<ResizeMethod> = { bicubic: 0.5, bilinear: 0.25, area: 0.25 };

const photoStage: StageRecipe = {
  blur: { p: 0.25, kinds: KERNELS, sigmaPerScale: [0.1, 0.3], betaGeneralized: [0.5, 4], betaPlateau: [1, 2] },
  resize: ANY_RESIZE,
  noise: { p: 0.6, kinds: { gaussian: 0.6, poisson: 0.4 }, sigma: [1, 15], peak: [40, 1000], grainSigma: [0, 0], correlation: [0, 0], luma: 0.4 },
  jpeg: { p: 0.85, quality: [30, 95], subsampling420: 0.8 },
};

export const PRESET_RECIPES: Record<DegradationPreset, DegradationRecipe> = {
  clean: { first: { resize: { bicubic: 1 } } },
  bicubic: { first: { resize: { bicubic: 1 } } },
  photo: {
    clean: 0.5,
    first: photoStage,
    secondOrder: {
      p: 0.25, intermediate: [1.2, 2],
      stage: {
        blur: { p: 0.5, kinds: KERNELS, sigmaPerScale: [0.05, 0.3], betaGeneralized: [0.5, 4], betaPlateau: [1, 2] },
        resize: ANY_RESIZE,
        noise: { ...photoStage.noise!, p: 0.4, sigma: [1, 8], peak: [100, 1000] },
        jpeg: { p: 0.85, quality: [40, 95], subsampling420: 0.8 },
      },
    },
  },
  film: {
    first: {
      blur: { p: 0.8, kinds: { iso: 0.6, generalized: 0.2, plateau: 0.2 }, sigmaPerScale: [0.1, 0.4], betaGeneralized: [0.5, 2], betaPlateau: [1, 2] },
      resize: ANY_RESIZE,
      noise: { p: 0.9, kinds: { grain: 0.85, gaussian: 0.15 }, sigma: [1, 6], peak: [200, 1000], grainSigma: [2, 14], correlation: [0.4, 1.5], luma: 0.5 },
      jpeg: { p: 0.5, quality: [60, 95], subsampling420: 0.5 },
    },
  },
  jpeg: { first: { resize: { bicubic: 1 }, jpeg: { p: 1, quality: [30, 95], subsampling420: 0.8 } } },
  compressed: {
    clean: 0.4,
    first: { resize: { bicubic: 1 }, noise: { ...photoStage.noise!, p: 0.5 }, jpeg: { p: 1, quality: [30, 95], subsampling420: 0.8 } },
  },
  blur: { first: { blur: { p: 1, kinds: KERNELS, sigmaPerScale: [0.1, 0.6], betaGeneralized: [0.5, 4], betaPlateau: [1, 2] }, resize: { bicubic: 1 } } },
  noise: {
    first: {
      resize: { bicubic: 1 },
      noise: { p: 1, kinds: { gaussian: 0.5, grain: 0.5 }, sigma: [2, 12], peak: [40, 1000], grainSigma: [2, 12], correlation: [0.4, 1.2], luma: 0.3 },
    },
  },
};

// Which presets are clean, and the family a preset's model belongs to, are defined with the preset names (the
// renderer's fine-tune form needs them too).
export { familyOfPreset, isCleanPreset } from '../../src-common/fine-tune.js';
