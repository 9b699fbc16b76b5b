/**
 * Image quality metrics under the standard super-resolution evaluation protocol, so that our numbers can be
 * compared with published ESPCN/SRCNN tables:
 *
 * 1. Y channel only: BT.601 studio-range Y (MATLAB rgb2ycbcr) computed from the 8-bit RGB image and rounded to an
 *    integer, as MATLAB does for uint8 input (see color.ts lumaY, then quantizeY).
 * 2. The super-resolved Y is clipped to [0, 255] and rounded the same way before comparison.
 * 3. `scale` pixels are shaved off every border of both images (the border is where the LR input lacks context).
 * 4. PSNR = 10·log10(255² / MSE) over the remaining pixels; SSIM as in Wang et al. (2004): 11×11 Gaussian window
 *    with σ = 1.5 normalised to sum 1, K1 = 0.01, K2 = 0.03, L = 255, 'valid' filtering (no padding), mean of the
 *    SSIM map.
 */
import type { Plane } from './raster.js';

export interface MetricOptions {
  /** Pixels removed from every border before comparing (the SR protocol uses the scale factor). Default 0. */
  shave?: number;
  /** Largest possible sample value, L in the formulas. Default 255. */
  peak?: number;
}

export interface PairScore {
  psnr: number;
  ssim: number;
}

const WINDOW_SIZE = 11;
const WINDOW_SIGMA = 1.5;
const K1 = 0.01;
const K2 = 0.03;

/** 1-D Gaussian whose outer product with itself is the normalised 11×11 SSIM window. */
const GAUSSIAN_1D: Float64Array = (() => {
  const g = new Float64Array(WINDOW_SIZE);
  const half = (WINDOW_SIZE - 1) / 2;
  let sum = 0;
  for (let i = 0; i < WINDOW_SIZE; i++) {
    g[i] = Math.exp(-((i - half) ** 2) / (2 * WINDOW_SIGMA * WINDOW_SIGMA));
    sum += g[i];
  }
  for (let i = 0; i < WINDOW_SIZE; i++) g[i] /= sum;
  return g;
})();

/** The window's 1-D profile (for callers and tests that need the exact weights). */
export function ssimWindow1d(): Float64Array {
  return GAUSSIAN_1D.slice();
}

/** Clips to [0, 255] and rounds half away from zero: how the protocol turns a float Y into MATLAB uint8. */
export function quantizeY(plane: Plane): Plane {
  const data = new Float32Array(plane.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = plane.data[i];
    // NaN becomes 0 rather than poisoning the score silently.
    data[i] = v > 0 ? (v < 255 ? Math.round(v) : 255) : 0;
  }
  return { data, width: plane.width, height: plane.height };
}

interface Region {
  a: Float64Array;
  b: Float64Array;
  width: number;
  height: number;
}

function shavedPair(a: Plane, b: Plane, shave: number, what: string): Region {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${what}: image sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  }
  for (const p of [a, b]) {
    if (p.data.length !== p.width * p.height) {
      throw new Error(`${what}: plane data has ${p.data.length} samples, expected ${p.width}x${p.height}`);
    }
  }
  if (!Number.isInteger(shave) || shave < 0) throw new Error(`${what}: shave must be a non-negative integer, got ${shave}`);
  const width = a.width - 2 * shave;
  const height = a.height - 2 * shave;
  if (width < 1 || height < 1) {
    throw new Error(`${what}: nothing left of ${a.width}x${a.height} after shaving ${shave} pixels per border`);
  }
  const ra = new Float64Array(width * height);
  const rb = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    const src = (y + shave) * a.width + shave;
    for (let x = 0; x < width; x++) {
      ra[y * width + x] = a.data[src + x];
      rb[y * width + x] = b.data[src + x];
    }
  }
  return { a: ra, b: rb, width, height };
}

function checkPeak(peak: number, what: string): void {
  if (!(peak > 0) || !Number.isFinite(peak)) throw new Error(`${what}: peak must be a positive number, got ${peak}`);
}

/** Peak signal-to-noise ratio in dB; Infinity for identical images. */
export function psnr(a: Plane, b: Plane, options: MetricOptions = {}): number {
  const { shave = 0, peak = 255 } = options;
  checkPeak(peak, 'psnr');
  const r = shavedPair(a, b, shave, 'psnr');
  let sum = 0;
  for (let i = 0; i < r.a.length; i++) {
    const d = r.a[i] - r.b[i];
    sum += d * d;
  }
  const mse = sum / r.a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

/**
 * Mean structural similarity (Wang et al. 2004). The Gaussian window is separable, so the five local
 * statistics are filtered along rows, then along columns: 22 instead of 121 multiplies per sample.
 */
export function ssim(a: Plane, b: Plane, options: MetricOptions = {}): number {
  const { shave = 0, peak = 255 } = options;
  checkPeak(peak, 'ssim');
  const r = shavedPair(a, b, shave, 'ssim');
  const { width, height } = r;
  if (width < WINDOW_SIZE || height < WINDOW_SIZE) {
    throw new Error(`ssim: needs at least ${WINDOW_SIZE}x${WINDOW_SIZE} pixels after shaving, got ${width}x${height}`);
  }
  const c1 = (K1 * peak) ** 2;
  const c2 = (K2 * peak) ** 2;
  const g = GAUSSIAN_1D;
  const outW = width - WINDOW_SIZE + 1;
  const outH = height - WINDOW_SIZE + 1;

  // Row pass: local sums of a, b, a², b², ab over each horizontal 11-sample window.
  const n = outW * height;
  const ma = new Float64Array(n);
  const mb = new Float64Array(n);
  const maa = new Float64Array(n);
  const mbb = new Float64Array(n);
  const mab = new Float64Array(n);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < outW; x++) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let k = 0; k < WINDOW_SIZE; k++) {
        const w = g[k];
        const va = r.a[row + x + k];
        const vb = r.b[row + x + k];
        sa += w * va;
        sb += w * vb;
        saa += w * va * va;
        sbb += w * vb * vb;
        sab += w * va * vb;
      }
      const o = y * outW + x;
      ma[o] = sa; mb[o] = sb; maa[o] = saa; mbb[o] = sbb; mab[o] = sab;
    }
  }

  // Column pass and the SSIM map, averaged on the fly.
  let total = 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let mu1 = 0, mu2 = 0, e11 = 0, e22 = 0, e12 = 0;
      for (let k = 0; k < WINDOW_SIZE; k++) {
        const w = g[k];
        const i = (y + k) * outW + x;
        mu1 += w * ma[i];
        mu2 += w * mb[i];
        e11 += w * maa[i];
        e22 += w * mbb[i];
        e12 += w * mab[i];
      }
      const mu11 = mu1 * mu1;
      const mu22 = mu2 * mu2;
      const mu12 = mu1 * mu2;
      const var1 = e11 - mu11;
      const var2 = e22 - mu22;
      const cov = e12 - mu12;
      total += ((2 * mu12 + c1) * (2 * cov + c2)) / ((mu11 + mu22 + c1) * (var1 + var2 + c2));
    }
  }
  return total / (outW * outH);
}

/**
 * PSNR and SSIM of a super-resolved Y plane against the ground-truth Y plane, by the protocol above:
 * both are clipped and rounded with quantizeY (a no-op for already-integer Y) and `scale` pixels are shaved.
 */
export function evaluatePair(hrY: Plane, srY: Plane, scale: number): PairScore {
  const hr = quantizeY(hrY);
  const sr = quantizeY(srY);
  return { psnr: psnr(hr, sr, { shave: scale }), ssim: ssim(hr, sr, { shave: scale }) };
}

/**
 * Blockiness of a plane whose content sits on a block grid of `period` pixels (8 for a decoded JPEG, 8·s for its
 * upscale by s): the mean |step| between neighbours across the grid lines, over the mean |step| everywhere else, both
 * directions pooled. About 1 for content without blocks; above 1 where the grid shows (a model that sharpens JPEG
 * block edges into lines raises it).
 */
export function blockiness(plane: Plane, period: number): number {
  const { width, height, data } = plane;
  if (!Number.isInteger(period) || period < 2) throw new Error(`block period must be an integer ≥ 2, got ${period}`);
  if (width <= period && height <= period) throw new Error(`a ${width}x${height} plane holds no ${period}-pixel grid line`);
  let across = 0;
  let nAcross = 0;
  let within = 0;
  let nWithin = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x + 1 < width; x++) {
      const step = Math.abs(data[row + x + 1] - data[row + x]);
      if ((x + 1) % period === 0) { across += step; nAcross++; } else { within += step; nWithin++; }
    }
  }
  for (let y = 0; y + 1 < height; y++) {
    const grid = (y + 1) % period === 0;
    for (let x = 0; x < width; x++) {
      const step = Math.abs(data[(y + 1) * width + x] - data[y * width + x]);
      if (grid) { across += step; nAcross++; } else { within += step; nWithin++; }
    }
  }
  const inside = within / Math.max(1, nWithin);
  const edges = across / Math.max(1, nAcross);
  return inside > 0 ? edges / inside : edges > 0 ? Infinity : 1;
}
