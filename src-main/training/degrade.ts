/**
 * Degradations: how an LR input is made from an HR image, for training (random per patch, from a preset in
 * degrade-presets.ts) and for evaluation on degraded inputs (a fixed spec such as `blur:1.2+jpeg:60`).
 *
 * Two halves: `drawPlan` turns a recipe and an RNG into a concrete plan (every kernel, method, σ and quality drawn);
 * `applyPlan` runs a plan on an 8-bit raster and is deterministic (its noise comes from the plan's own seed). Blur
 * and JPEG run in sharp (libvips convolution, libjpeg), off the JavaScript thread; resizing and noise run here.
 */
import sharp, { type Sharp } from 'sharp';
import type { Raster } from '../engine/raster.js';
import { imresizeRaster, type ResizeKernel } from '../engine/resize.js';
import {
  DEGRADATION_PRESETS, PRESET_RECIPES, isCleanPreset,
  type DegradationPreset, type DegradationRecipe, type KernelKind, type NoiseKind, type ResizeMethod, type StageRecipe, type Weights,
} from './degrade-presets.js';
import { createRng, type Rng } from './rng.js';

export { DEGRADATION_PRESETS, type DegradationPreset } from './degrade-presets.js';

export interface DegradationOptions {
  preset: DegradationPreset;
  /** Overrides the preset's JPEG quality range. */
  jpegQuality?: [number, number];
  /** Overrides the preset's blur σ range (HR pixels). */
  blurSigma?: [number, number];
  /** Overrides the preset's noise σ range (0–255, Gaussian and grain). */
  noiseSigma?: [number, number];
  /** Overrides the preset's share of patches left clean (0–1). */
  cleanShare?: number;
}

export interface BlurKernelParams {
  kind: KernelKind;
  /** σ along the kernel's own axes (equal for iso and the isotropic shapes). */
  sigmaX: number;
  sigmaY: number;
  /** Rotation of the x axis, radians. */
  theta: number;
  /** Shape exponent (generalized / plateau; 1 for Gaussians). */
  beta: number;
  /** Odd side length. */
  size: number;
}

export type NoiseParams =
  | { kind: 'gaussian'; sigma: number; luma: boolean }
  | { kind: 'poisson'; peak: number; luma: boolean }
  | { kind: 'grain'; sigma: number; correlation: number };

export interface JpegParams {
  quality: number;
  subsampling: '4:2:0' | '4:4:4';
}

export interface StagePlan {
  blur?: BlurKernelParams;
  resize: ResizeMethod;
  /** Output size as a multiple of the LR size (1 = the LR size). */
  toLr: number;
  noise?: NoiseParams;
  jpeg?: JpegParams;
}

export interface DegradationPlan {
  stages: StagePlan[];
  /** Seeds the noise fields. */
  seed: number;
}

/** The preset's recipe with the options' overrides applied: what a run draws from (recorded in the manifest). */
export function recipeOf(o: DegradationOptions): DegradationRecipe {
  const base = PRESET_RECIPES[o.preset];
  if (!base) throw new Error(`unknown degradation preset "${String(o.preset)}" (expected one of ${DEGRADATION_PRESETS.join(', ')})`);
  if (!o.jpegQuality && !o.blurSigma && !o.noiseSigma && o.cleanShare === undefined) return base;
  const override = (s: StageRecipe): StageRecipe => ({
    ...s,
    ...(s.jpeg && o.jpegQuality ? { jpeg: { ...s.jpeg, quality: o.jpegQuality } } : {}),
    ...(s.blur && o.blurSigma ? { blur: { ...s.blur, sigma: o.blurSigma } } : {}),
    ...(s.noise && o.noiseSigma ? { noise: { ...s.noise, sigma: o.noiseSigma, grainSigma: o.noiseSigma } } : {}),
  });
  const clean = o.cleanShare ?? base.clean;
  return {
    ...(clean !== undefined ? { clean } : {}),
    first: override(base.first),
    ...(base.secondOrder ? { secondOrder: { ...base.secondOrder, stage: override(base.secondOrder.stage) } } : {}),
  };
}

export function checkDegradation(o: DegradationOptions): void {
  if (o.cleanShare !== undefined && !(o.cleanShare >= 0 && o.cleanShare <= 1)) throw new Error(`the clean share must be between 0 and 1, got ${o.cleanShare}`);
  recipeOf(o);
}

/** Whether the preset draws a new degradation per patch (anything but clean bicubic). */
export function isRandomDegradation(o: DegradationOptions): boolean {
  return !isCleanPreset(o.preset);
}

function pick<K extends string>(w: Weights<K>, rng: Rng): K {
  const entries = Object.entries(w) as Array<[K, number]>;
  const total = entries.reduce((s, [, v]) => s + v, 0);
  let r = rng.next() * total;
  for (const [k, v] of entries) {
    r -= v;
    if (r < 0) return k;
  }
  return entries[entries.length - 1][0];
}

/** Largest blur kernel side at a scale factor. */
export function maxKernelSize(scale: number): number {
  return 4 * scale + 5;
}

/**
 * Odd kernel side for a σ: ±3σ (±4σ for plateau kernels, whose tails are longer), at least 3, capped. Sized to the
 * kernel rather than always the cap, since the blur is most of the data path's cost.
 */
export function kernelSizeFor(sigma: number, kind: KernelKind, cap: number): number {
  return Math.min(cap, Math.max(3, 2 * Math.ceil((kind === 'plateau' ? 4 : 3) * sigma) + 1));
}

function drawStage(s: StageRecipe, scale: number, toLr: number, rng: Rng): StagePlan {
  const plan: StagePlan = { resize: 'bicubic', toLr };
  // a fixed number of draws per step whether it applies or not, so one choice never shifts the others
  if (s.blur) {
    const b = s.blur;
    const apply = rng.next() < b.p;
    const kind = pick(b.kinds, rng);
    const [lo, hi] = b.sigma ?? [b.sigmaPerScale[0] * scale, b.sigmaPerScale[1] * scale];
    const sx = rng.range(lo, hi);
    const sy = rng.range(lo, hi);
    const theta = rng.range(0, Math.PI);
    const beta = kind === 'generalized' ? rng.range(...b.betaGeneralized) : kind === 'plateau' ? rng.range(...b.betaPlateau) : 1;
    const iso = kind !== 'aniso';
    const sigmaY = iso ? sx : sy;
    if (apply) plan.blur = { kind, sigmaX: sx, sigmaY, theta: iso ? 0 : theta, beta, size: kernelSizeFor(Math.max(sx, sigmaY), kind, maxKernelSize(scale)) };
  }
  plan.resize = pick(s.resize, rng);
  if (s.noise) {
    const n = s.noise;
    const apply = rng.next() < n.p;
    const kind: NoiseKind = pick(n.kinds, rng);
    const sigma = rng.range(...n.sigma);
    const peak = Math.exp(rng.range(Math.log(n.peak[0]), Math.log(n.peak[1])));
    const grainSigma = rng.range(...n.grainSigma);
    const correlation = rng.range(...n.correlation);
    const luma = rng.next() < n.luma;
    if (apply) {
      plan.noise = kind === 'gaussian' ? { kind, sigma, luma } : kind === 'poisson' ? { kind, peak, luma } : { kind, sigma: grainSigma, correlation };
    }
  }
  if (s.jpeg) {
    const j = s.jpeg;
    const apply = rng.next() < j.p;
    const quality = j.quality[0] + rng.int(j.quality[1] - j.quality[0] + 1);
    const subsampling = rng.next() < j.subsampling420 ? '4:2:0' : '4:4:4';
    if (apply) plan.jpeg = { quality, subsampling };
  }
  return plan;
}

/** A concrete plan drawn from a preset (clean presets draw nothing). */
export function drawPlan(o: DegradationOptions, scale: number, rng: Rng): DegradationPlan {
  const recipe = recipeOf(o);
  if (isCleanPreset(o.preset)) return { stages: [{ resize: 'bicubic', toLr: 1 }], seed: 0 };
  if (recipe.clean && rng.next() < recipe.clean) return { stages: [{ resize: 'bicubic', toLr: 1 }], seed: 0 };
  const second = recipe.secondOrder;
  const twice = second ? rng.next() < second.p : false;
  const intermediate = second ? rng.range(...second.intermediate) : 1;
  const stages = [drawStage(recipe.first, scale, twice ? intermediate : 1, rng)];
  if (twice && second) stages.push(drawStage(second.stage, scale, 1, rng));
  return { stages, seed: Math.floor(rng.next() * 0x100000000) };
}

/** The normalised kernel (sums to 1), row-major size × size. */
export function blurKernel(p: BlurKernelParams): Float64Array {
  const { size } = p;
  const r = (size - 1) / 2;
  const c = Math.cos(p.theta);
  const s = Math.sin(p.theta);
  const k = new Float64Array(size * size);
  let sum = 0;
  for (let y = -r; y <= r; y++) {
    for (let x = -r; x <= r; x++) {
      // coordinates in the kernel's own axes; d2 = xᵀ Σ⁻¹ x
      const u = c * x + s * y;
      const v = -s * x + c * y;
      const d2 = (u * u) / (p.sigmaX * p.sigmaX) + (v * v) / (p.sigmaY * p.sigmaY);
      const w = p.kind === 'plateau' ? 1 / (1 + d2 ** p.beta) : Math.exp(-0.5 * d2 ** p.beta);
      k[(y + r) * size + x + r] = w;
      sum += w;
    }
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

function rawInput(r: Raster): Sharp {
  return sharp(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength), {
    raw: { width: r.width, height: r.height, channels: r.channels as 1 | 3 },
  });
}

async function toRaster(s: Sharp, like: Raster): Promise<Raster> {
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== like.width || info.height !== like.height) throw new Error('degradation changed the image size');
  // JPEG of a gray image may come back with 1 channel, of RGB with 3: keep the original channel count.
  const channels = info.channels;
  if (channels === like.channels) return { ...like, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  const out = new Uint8Array(like.width * like.height * like.channels);
  for (let i = 0, n = like.width * like.height; i < n; i++) {
    for (let c = 0; c < like.channels; c++) out[i * like.channels + c] = data[i * channels + Math.min(c, channels - 1)];
  }
  return { ...like, data: out };
}

/**
 * Convolves with the kernel (edges repeated), in libvips; rounds to 8 bits as a camera's output would be. The kernel
 * goes in as integers (×4096, divided by their own sum, so it still sums to exactly 1): libvips then takes its
 * vectorised integer path, about 5x faster than a float mask.
 */
export async function applyBlur(r: Raster, p: BlurKernelParams): Promise<Raster> {
  // Isotropic Gaussians (the commonest kernel) go through libvips' separable Gaussian blur in float, a few times
  // faster than the full 2-D mask and within one level of it (tested); sharp takes σ ≥ 0.3.
  if (p.kind === 'iso' && p.beta === 1 && p.sigmaX >= 0.3) {
    return toRaster(rawInput(r).blur({ sigma: p.sigmaX, precision: 'float', minAmplitude: 0.01 }), r);
  }
  const kernel = Array.from(blurKernel(p), (v) => Math.round(v * 4096));
  const scale = kernel.reduce((a, b) => a + b, 0);
  return toRaster(rawInput(r).convolve({ width: p.size, height: p.size, kernel, scale }), r);
}

/** Real JPEG through sharp's libjpeg (standard tables scaled by quality), decoded back. */
export async function applyJpeg(r: Raster, p: JpegParams): Promise<Raster> {
  return toRaster(sharp(await encodeJpeg(r, p)), r);
}

export function encodeJpeg(r: Raster, p: JpegParams): Promise<Buffer> {
  return rawInput(r).jpeg({ quality: p.quality, chromaSubsampling: p.subsampling, mozjpeg: false }).toBuffer();
}

const RESIZE_KERNELS: Record<ResizeMethod, ResizeKernel> = { bicubic: 'cubic', bilinear: 'linear', area: 'box' };

/** Unit-variance white noise smoothed by a Gaussian of σ `correlation` (separable, edges repeated), renormalised. */
function correlatedField(width: number, height: number, correlation: number, rng: Rng): Float32Array {
  const n = width * height;
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = rng.normal();
  if (correlation <= 0) return f;
  const r = Math.max(1, Math.ceil(3 * correlation));
  const taps = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let k = -r; k <= r; k++) { taps[k + r] = Math.exp(-0.5 * (k / correlation) ** 2); sum += taps[k + r]; }
  let energy = 0;
  for (let k = 0; k < taps.length; k++) { taps[k] /= sum; energy += taps[k] * taps[k]; }
  // the 2-D kernel's Σw² is energy², so dividing by energy restores unit variance
  const norm = 1 / energy;
  const tmp = new Float32Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -r; k <= r; k++) acc += taps[k + r] * f[y * width + Math.min(width - 1, Math.max(0, x + k))];
      tmp[y * width + x] = acc;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -r; k <= r; k++) acc += taps[k + r] * tmp[Math.min(height - 1, Math.max(0, y + k)) * width + x];
      f[y * width + x] = acc * norm;
    }
  }
  return f;
}

/** Poisson sample (Knuth below 30, normal approximation above, where they agree to well under a level). */
function poisson(lambda: number, rng: Rng): number {
  if (lambda <= 0) return 0;
  if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rng.normal()));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do { k++; p *= rng.next(); } while (p > l);
  return k - 1;
}

/** Film grain amplitude relative to the mid-tones: strongest at mid-grey, fading towards black and white. */
export function grainAmplitude(level: number): number {
  const l = level / 255;
  return 0.4 + 2.4 * l * (1 - l);
}

/** Adds noise in place (0–255, rounded and clipped). */
export function applyNoise(r: Raster, p: NoiseParams, rng: Rng): void {
  const { width, height, channels, data } = r;
  const n = width * height;
  const clip = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  const lumaOf = (i: number): number => (channels === 3 ? 0.299 * data[i * 3] + 0.587 * data[i * 3 + 1] + 0.114 * data[i * 3 + 2] : data[i]);
  if (p.kind === 'grain') {
    // one luminance field shared by the channels plus a little colour, as dye clouds are mostly aligned
    const shared = correlatedField(width, height, p.correlation, rng);
    const chroma = channels === 3 ? [0, 1, 2].map(() => correlatedField(width, height, p.correlation, rng)) : undefined;
    const chromaShare = 0.3;
    const norm = chroma ? 1 / Math.sqrt(1 + chromaShare * chromaShare) : 1;
    for (let i = 0; i < n; i++) {
      const a = p.sigma * grainAmplitude(lumaOf(i)) * norm;
      for (let c = 0; c < channels; c++) {
        data[i * channels + c] = clip(data[i * channels + c] + a * (shared[i] + (chroma ? chromaShare * chroma[c][i] : 0)));
      }
    }
    return;
  }
  if (p.kind === 'gaussian') {
    for (let i = 0; i < n; i++) {
      const shared = p.luma || channels === 1 ? p.sigma * rng.normal() : 0;
      for (let c = 0; c < channels; c++) {
        const e = p.luma || channels === 1 ? shared : p.sigma * rng.normal();
        data[i * channels + c] = clip(data[i * channels + c] + e);
      }
    }
    return;
  }
  // Poisson: photon counts at `peak` photons for white, per channel or once on the luma
  const k = p.peak / 255;
  for (let i = 0; i < n; i++) {
    if (p.luma || channels === 1) {
      const y = lumaOf(i);
      const e = poisson(y * k, rng) / k - y;
      for (let c = 0; c < channels; c++) data[i * channels + c] = clip(data[i * channels + c] + e);
    } else {
      for (let c = 0; c < channels; c++) {
        const v = data[i * channels + c];
        data[i * channels + c] = clip(poisson(v * k, rng) / k);
      }
    }
  }
}

/**
 * Runs a plan on an 8-bit gray or RGB HR raster whose sides are multiples of `scale`; the result is the LR raster
 * (HR size / scale). Deterministic: the same plan gives the same bytes.
 */
export async function applyPlan(hr: Raster, scale: number, plan: DegradationPlan): Promise<Raster> {
  if (hr.bitDepth !== 8 || (hr.channels !== 1 && hr.channels !== 3)) throw new Error('degrade expects an 8-bit gray or RGB raster');
  const lrWidth = hr.width / scale;
  const lrHeight = hr.height / scale;
  const noiseRng = createRng(plan.seed);
  let r = hr;
  for (const stage of plan.stages) {
    if (stage.blur) r = await applyBlur(r, stage.blur);
    const w = Math.max(lrWidth, Math.round(lrWidth * stage.toLr));
    const h = Math.max(lrHeight, Math.round(lrHeight * stage.toLr));
    if (w !== r.width || h !== r.height) r = imresizeRaster(r, w, h, RESIZE_KERNELS[stage.resize]);
    else if (r === hr) r = { ...hr, data: Uint8Array.from(hr.data) };
    if (stage.noise) applyNoise(r, stage.noise, noiseRng);
    if (stage.jpeg) r = await applyJpeg(r, stage.jpeg);
  }
  return r;
}

/**
 * The LR image for an 8-bit HR raster (1 or 3 channels, size divisible by `scale`) under `options`.
 * Draws from `rng` in a fixed order, so the same RNG state gives the same image; clean presets draw nothing.
 */
export async function degrade(hr: Raster, scale: number, options: DegradationOptions, rng: Rng): Promise<Raster> {
  return applyPlan(hr, scale, drawPlan(options, scale, rng));
}
