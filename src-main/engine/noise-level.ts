/**
 * A fast estimate of the noise level of an image's luma: Immerkær's method ("Fast Noise Variance Estimation", 1996),
 * σ = √(π/2) · mean |I ∗ N| / 6 with N = [1 −2 1; −2 4 −2; 1 −2 1], a mask that cancels smooth image structure
 * (constant, linear and most of quadratic) and leaves noise. Taken per 32x32 block and read at the 10th percentile,
 * so texture and edges (which also pass the mask) do not count as noise: the flattest blocks show the noise floor.
 * Large images are read in a centred 2048x2048 window.
 */
import type { Raster } from './raster.js';

const BLOCK = 32;

/** Largest window analysed (a centred crop): enough blocks for a stable percentile, bounded memory for any image. */
const MAX_SIDE = 2048;

/** Luma (0–255 scale, 16-bit inputs scaled down) of the centred window x0, y0, w × h. */
function luma(r: Raster, x0: number, y0: number, w: number, h: number): Float32Array {
  const { width, channels, data } = r;
  const k = r.bitDepth === 16 ? 1 / 257 : 1;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = ((y0 + y) * width + x0 + x) * channels;
      out[y * w + x] = (channels >= 3 ? 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2] : data[i]) * k;
    }
  }
  return out;
}

/** Estimated σ of the noise in the luma (0–255 scale); 0 for images too small to tell. */
export function estimateNoiseSigma(r: Raster): number {
  const width = Math.min(r.width, MAX_SIDE);
  const height = Math.min(r.height, MAX_SIDE);
  if (width < 3 || height < 3) return 0;
  const y = luma(r, (r.width - width) >> 1, (r.height - height) >> 1, width, height);
  const bx = Math.max(1, Math.floor((width - 2) / BLOCK));
  const by = Math.max(1, Math.floor((height - 2) / BLOCK));
  const sums = new Float64Array(bx * by);
  const counts = new Uint32Array(bx * by);
  for (let row = 1; row < height - 1; row++) {
    const b = Math.min(by - 1, Math.floor((row - 1) / BLOCK)) * bx;
    const up = (row - 1) * width;
    const mid = row * width;
    const down = (row + 1) * width;
    for (let x = 1; x < width - 1; x++) {
      const v = y[up + x - 1] - 2 * y[up + x] + y[up + x + 1]
        - 2 * y[mid + x - 1] + 4 * y[mid + x] - 2 * y[mid + x + 1]
        + y[down + x - 1] - 2 * y[down + x] + y[down + x + 1];
      const i = b + Math.min(bx - 1, Math.floor((x - 1) / BLOCK));
      sums[i] += Math.abs(v);
      counts[i]++;
    }
  }
  const sigmas = Array.from(sums, (s, i) => (Math.sqrt(Math.PI / 2) * s) / (6 * Math.max(1, counts[i]))).sort((a, b) => a - b);
  return sigmas[Math.floor(0.1 * (sigmas.length - 1))];
}
