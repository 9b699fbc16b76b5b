/**
 * Bicubic resampling that reproduces MATLAB's `imresize(img, scale)` (method 'bicubic', antialiasing on),
 * the resampler that made the standard SR benchmarks' LR images. Being bit-exact with it matters:
 * models trained or evaluated on differently downscaled inputs score differently on the same benchmark.
 *
 * The algorithm, per dimension:
 * - output sample x (1-based) maps to input coordinate u = x/scale + 0.5·(1 − 1/scale);
 * - Keys cubic kernel (a = −0.5), 4 taps wide; when shrinking it is stretched by 1/scale and its
 *   height scaled by `scale` (antialiasing), so it covers ceil(4/scale) + 2 taps;
 * - weights are normalised to sum to 1 for each output sample;
 * - indices outside the input are mirrored with the edge sample repeated (…, 2, 1 | 1, 2, …, n | n, n−1, …).
 * The dimension with the smaller scale is resized first; on a tie, rows (vertical) first.
 * MATLAB stores uint8 results between passes, so with `quantize` each pass rounds and clips.
 */
import type { Plane, Raster } from './raster.js';
import { maxValue } from './raster.js';

export interface ResizeOptions {
  /** 8 or 16: round and clip to that bit depth after each 1-D pass (MATLAB on uint8/uint16); false: pure float. */
  quantize?: 8 | 16 | false;
  /**
   * MATLAB's kernel: 'cubic' (Keys, a = −0.5; the default and the benchmark protocol), 'linear' (triangle, 2 taps)
   * or 'box' (1 tap: area averaging when shrinking). All are stretched when shrinking (antialiasing).
   */
  kernel?: ResizeKernel;
}

export type ResizeKernel = 'cubic' | 'linear' | 'box';

/** Taps of a 1-D resampling: output sample i reads `indices[i·taps + k]` with weight `weights[i·taps + k]`. */
interface Contributions {
  taps: number;
  indices: Int32Array;
  weights: Float64Array;
}

function cubic(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

function linear(x: number): number {
  const ax = Math.abs(x);
  return ax <= 1 ? 1 - ax : 0;
}

function box(x: number): number {
  return x >= -0.5 && x < 0.5 ? 1 : 0;
}

const KERNELS: Record<ResizeKernel, { fn: (x: number) => number; width: number }> = {
  cubic: { fn: cubic, width: 4 },
  linear: { fn: linear, width: 2 },
  box: { fn: box, width: 1 },
};

function contributions(inLength: number, outLength: number, scale: number, kernelName: ResizeKernel = 'cubic'): Contributions {
  const shrinking = scale < 1;
  const { fn, width } = KERNELS[kernelName];
  const kernelWidth = shrinking ? width / scale : width;
  const kernel = shrinking ? (x: number): number => scale * fn(scale * x) : fn;
  const span = Math.ceil(kernelWidth) + 2;
  const rawIndices = new Int32Array(outLength * span);
  const rawWeights = new Float64Array(outLength * span);
  const mirrorLength = 2 * inLength;
  for (let i = 0; i < outLength; i++) {
    const x = i + 1;
    const u = x / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let k = 0; k < span; k++) {
      const w = kernel(u - (left + k));
      rawWeights[i * span + k] = w;
      sum += w;
    }
    for (let k = 0; k < span; k++) {
      rawWeights[i * span + k] /= sum;
      // 1-based index into [1..n, n..1], then back to 0-based
      const m = ((((left + k - 1) % mirrorLength) + mirrorLength) % mirrorLength);
      rawIndices[i * span + k] = m < inLength ? m : mirrorLength - 1 - m;
    }
  }
  // Drop tap positions whose weight is zero for every output sample (as MATLAB does): same sums, less work.
  let first = 0;
  let last = span - 1;
  const columnIsZero = (k: number): boolean => {
    for (let i = 0; i < outLength; i++) if (rawWeights[i * span + k] !== 0) return false;
    return true;
  };
  while (first < last && columnIsZero(first)) first++;
  while (last > first && columnIsZero(last)) last--;
  const taps = last - first + 1;
  if (taps === span) return { taps, indices: rawIndices, weights: rawWeights };
  const indices = new Int32Array(outLength * taps);
  const weights = new Float64Array(outLength * taps);
  for (let i = 0; i < outLength; i++) {
    for (let k = 0; k < taps; k++) {
      indices[i * taps + k] = rawIndices[i * span + first + k];
      weights[i * taps + k] = rawWeights[i * span + first + k];
    }
  }
  return { taps, indices, weights };
}

type Quantizer = ((v: number) => number) | null;

function quantizer(quantize: 8 | 16 | false): Quantizer {
  if (quantize === false) return null;
  const max = maxValue(quantize);
  // Values are clipped at 0 first, so Math.round (half up) equals MATLAB's half away from zero.
  return (v) => (v <= 0 ? 0 : v >= max ? max : Math.round(v));
}

/** Resizes along rows (vertical): src is width × inHeight, result width × outHeight. */
function resizeVertical(
  src: ArrayLike<number>, width: number, c: Contributions, outHeight: number, q: Quantizer,
): Float64Array {
  const out = new Float64Array(width * outHeight);
  const acc = new Float64Array(width);
  const { taps, indices, weights } = c;
  for (let y = 0; y < outHeight; y++) {
    acc.fill(0);
    for (let k = 0; k < taps; k++) {
      const w = weights[y * taps + k];
      const rowStart = indices[y * taps + k] * width;
      for (let x = 0; x < width; x++) acc[x] += w * src[rowStart + x];
    }
    const o = y * width;
    if (q) for (let x = 0; x < width; x++) out[o + x] = q(acc[x]);
    else out.set(acc, o);
  }
  return out;
}

/**
 * Resizes along columns (horizontal): src is inWidth × height with `channels` interleaved samples per pixel, result
 * outWidth × height. (The vertical pass needs no channel count: interleaved rows are just wider rows.)
 */
function resizeHorizontal(
  src: ArrayLike<number>, inWidth: number, height: number, c: Contributions, outWidth: number, q: Quantizer, channels = 1,
): Float64Array {
  const out = new Float64Array(outWidth * height * channels);
  const { taps, indices, weights } = c;
  for (let y = 0; y < height; y++) {
    const rowIn = y * inWidth * channels;
    const rowOut = y * outWidth * channels;
    for (let x = 0; x < outWidth; x++) {
      const base = x * taps;
      for (let ch = 0; ch < channels; ch++) {
        let sum = 0;
        for (let k = 0; k < taps; k++) sum += weights[base + k] * src[rowIn + indices[base + k] * channels + ch];
        out[rowOut + x * channels + ch] = q ? q(sum) : sum;
      }
    }
  }
  return out;
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
}

function checkPlane(plane: Plane): void {
  checkSize('plane width', plane.width);
  checkSize('plane height', plane.height);
  if (plane.data.length !== plane.width * plane.height) {
    throw new Error(`plane data has ${plane.data.length} samples, expected ${plane.width}x${plane.height}`);
  }
}

/**
 * Core of every entry point, on `channels` interleaved samples per pixel (each resampled on its own, with exactly the
 * arithmetic of a single plane). Scales are passed separately from sizes because MATLAB uses the requested scale
 * (e.g. 1/3) when one is given, and out/in when a size is given.
 */
function resizeInterleaved(
  src: ArrayLike<number>, width: number, height: number, channels: number, outWidth: number, outHeight: number,
  scaleX: number, scaleY: number, quantize: 8 | 16 | false, kernel: ResizeKernel = 'cubic',
): ArrayLike<number> {
  checkSize('output width', outWidth);
  checkSize('output height', outHeight);
  const q = quantizer(quantize);
  let data: ArrayLike<number> = src;
  // A dimension kept at its size with scale 1 gets weights (0, 1, 0, …): an identity pass, so it is skipped.
  const changesRows = outHeight !== height || scaleY !== 1;
  const changesColumns = outWidth !== width || scaleX !== 1;
  const rows = (w: number): void => { data = resizeVertical(data, w * channels, contributions(height, outHeight, scaleY, kernel), outHeight, q); };
  const columns = (h: number): void => { data = resizeHorizontal(data, width, h, contributions(width, outWidth, scaleX, kernel), outWidth, q, channels); };
  if (scaleY <= scaleX) {
    if (changesRows) rows(width);
    if (changesColumns) columns(outHeight);
  } else {
    if (changesColumns) columns(height);
    if (changesRows) rows(outWidth);
  }
  return data;
}

function resizeWithScales(
  plane: Plane, outWidth: number, outHeight: number, scaleX: number, scaleY: number, quantize: 8 | 16 | false,
  kernel: ResizeKernel = 'cubic',
): Plane {
  checkPlane(plane);
  const data = resizeInterleaved(plane.data, plane.width, plane.height, 1, outWidth, outHeight, scaleX, scaleY, quantize, kernel);
  return { data: Float32Array.from(data), width: outWidth, height: outHeight };
}

/**
 * Resizes a float plane to outWidth × outHeight like MATLAB `imresize(img, [outHeight outWidth], 'bicubic')`.
 * quantize 8 reproduces uint8 input (round and clip to [0, 255] after each pass); default false (pure float).
 */
export function imresize(plane: Plane, outWidth: number, outHeight: number, options: ResizeOptions = {}): Plane {
  checkPlane(plane);
  return resizeWithScales(
    plane, outWidth, outHeight, outWidth / plane.width, outHeight / plane.height, options.quantize ?? false, options.kernel,
  );
}

/** MATLAB's output length for a scale factor: ceil(length · scale), ignoring floating-point dust above an integer. */
export function scaledLength(length: number, scale: number): number {
  const exact = length * scale;
  const nearest = Math.round(exact);
  return Math.max(1, Math.abs(exact - nearest) < 1e-9 * Math.max(1, exact) ? nearest : Math.ceil(exact));
}

/** MATLAB `imresize(img, scale, 'bicubic')`: both dimensions by the same factor (e.g. 1/4 or 2). */
export function imresizeScale(plane: Plane, scale: number, options: ResizeOptions = {}): Plane {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`scale must be a positive number, got ${scale}`);
  checkPlane(plane);
  return resizeWithScales(
    plane, scaledLength(plane.width, scale), scaledLength(plane.height, scale), scale, scale, options.quantize ?? false,
  );
}

function checkRaster(raster: Raster): void {
  checkSize('raster width', raster.width);
  checkSize('raster height', raster.height);
  if (raster.data.length !== raster.width * raster.height * raster.channels) {
    throw new Error(
      `raster data has ${raster.data.length} samples, expected ${raster.width}x${raster.height}x${raster.channels}`,
    );
  }
}

function resizeRaster(raster: Raster, outWidth: number, outHeight: number, scaleX: number, scaleY: number, kernel: ResizeKernel): Raster {
  checkRaster(raster);
  const { width, height, channels, bitDepth } = raster;
  const out = resizeInterleaved(raster.data, width, height, channels, outWidth, outHeight, scaleX, scaleY, bitDepth, kernel);
  const data = bitDepth === 16 ? Uint16Array.from(out) : Uint8Array.from(out);
  return { data, width: outWidth, height: outHeight, channels, bitDepth };
}

/** Resizes every channel of an interleaved raster independently, rounding to its bit depth after each pass. */
export function imresizeRaster(raster: Raster, outWidth: number, outHeight: number, kernel: ResizeKernel = 'cubic'): Raster {
  return resizeRaster(raster, outWidth, outHeight, outWidth / raster.width, outHeight / raster.height, kernel);
}

/** Like imresizeRaster, by a scale factor with MATLAB's output size rule (what benchmark LR images are made with). */
export function imresizeRasterScale(raster: Raster, scale: number): Raster {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`scale must be a positive number, got ${scale}`);
  return resizeRaster(raster, scaledLength(raster.width, scale), scaledLength(raster.height, scale), scale, scale, 'cubic');
}

/** Crops the bottom/right so both sides are multiples of `scale` (the benchmarks' HR preparation). */
export function modcrop(raster: Raster, scale: number): Raster {
  checkRaster(raster);
  checkSize('scale', scale);
  const width = raster.width - (raster.width % scale);
  const height = raster.height - (raster.height % scale);
  if (width === 0 || height === 0) {
    throw new Error(`image ${raster.width}x${raster.height} is smaller than the scale ${scale}`);
  }
  if (width === raster.width && height === raster.height) return raster;
  const { channels } = raster;
  const data = raster.data instanceof Uint16Array
    ? new Uint16Array(width * height * channels)
    : new Uint8Array(width * height * channels);
  const rowLength = width * channels;
  for (let y = 0; y < height; y++) {
    const start = y * raster.width * channels;
    data.set(raster.data.subarray(start, start + rowLength), y * rowLength);
  }
  return { data, width, height, channels, bitDepth: raster.bitDepth };
}

/** Same crop for a plane. */
export function modcropPlane(plane: Plane, scale: number): Plane {
  checkPlane(plane);
  checkSize('scale', scale);
  const width = plane.width - (plane.width % scale);
  const height = plane.height - (plane.height % scale);
  if (width === 0 || height === 0) throw new Error(`plane ${plane.width}x${plane.height} is smaller than the scale ${scale}`);
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) data.set(plane.data.subarray(y * plane.width, y * plane.width + width), y * width);
  return { data, width, height };
}
