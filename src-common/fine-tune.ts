/**
 * Fine-tuning's vocabulary and defaults, zod-free (the renderer's form imports them as values). One name per
 * parameter everywhere: the API's train.start, the training service, `subpixel finetune --<kebab-case name>` and
 * fineTune() all say baseModel, hrFolders, valFolder, degradation, steps, batchSize, patchSize, learningRate, valEvery.
 */
import type { ModelInfo } from './api.js';

/** Training degradation presets (src-main/training/degrade-presets.ts defines each); 'bicubic' is clean's older name. */
export const DEGRADATION_PRESETS = ['clean', 'photo', 'film', 'jpeg', 'compressed', 'blur', 'noise', 'bicubic'] as const;
export type DegradationPreset = (typeof DEGRADATION_PRESETS)[number];

/** Presets whose LR images are plain bicubic (no randomness: made once per image, not per patch). */
export function isCleanPreset(preset: DegradationPreset): boolean {
  return preset === 'clean' || preset === 'bicubic';
}

/** The family a model trained under a preset belongs to: clean inputs, or real-world (degraded) ones. */
export function familyOfPreset(preset: DegradationPreset): 'clean' | 'robust' {
  return isCleanPreset(preset) ? 'clean' : 'robust';
}

/** What a fine-tune uses where a parameter is not given. */
export const FINE_TUNE_DEFAULTS = {
  degradation: 'clean',
  steps: 1000,
  batchSize: 16,
  patchSize: 32,
  /** Peak of the cosine schedule; it decays to a twentieth. */
  learningRate: 1e-3,
  seed: 1,
} as const satisfies {
  degradation: DegradationPreset; steps: number; batchSize: number; patchSize: number; learningRate: number; seed: number;
};

/** Validation runs five times over a fine-tune, but not more often than every 50 steps. */
export function defaultValEvery(steps: number): number {
  return Math.max(50, Math.round(steps / 5));
}

/** Validation PSNR changes smaller than this are noise (a handful of validation images). */
export const FINE_TUNE_NOISE_DB = 0.05;

/**
 * What a finished fine-tune amounts to, in words: only a model that validated better than its base by more than the
 * noise is offered as the new default; otherwise it says so and what to try.
 */
export function fineTuneVerdict(before: { psnr: number } | null, after: { psnr: number } | null):
  { kind: 'better' | 'same' | 'worse' | 'unknown'; delta: number | null; advice: string | null } {
  if (!before || !after) return { kind: 'unknown', delta: null, advice: 'No validation images were scored, so there is no telling whether it helps; add a validation folder.' };
  const delta = after.psnr - before.psnr;
  if (delta > FINE_TUNE_NOISE_DB) return { kind: 'better', delta, advice: null };
  const advice = 'Try more steps, a preset closer to how your images were degraded, or more (and more varied) images.';
  return { kind: delta < -FINE_TUNE_NOISE_DB ? 'worse' : 'same', delta, advice };
}

/** What `suggestedBase` needs to know of a model. */
export type BaseCandidate = Pick<ModelInfo, 'id' | 'scale' | 'family' | 'source' | 'isDefault'>;

/**
 * The model a fine-tune under `degradation` should start from, given the one chosen: a shipped model of the other
 * family than the preset's is swapped for the preset's own at the same scale, the shipped robust model for a degraded
 * preset (it already handles noise, blur and compression: in a 300-step film fine-tune on sample crops robust-x2 gained
 * 0.43 dB on the degraded validation images, the nine-layer clean x2 0.07) and the clean default for a clean one. A
 * custom model, or a scale without the other family, stays as chosen.
 */
export function suggestedBase(models: readonly BaseCandidate[], chosen: string, degradation: DegradationPreset): string {
  const base = models.find((m) => m.id === chosen);
  const family = familyOfPreset(degradation);
  if (!base || base.source !== 'shipped' || base.family === family) return chosen;
  const wanted = models.find((m) => m.scale === base.scale && m.family === family && (family === 'robust' ? m.source === 'shipped' : m.isDefault));
  return wanted?.id ?? chosen;
}
