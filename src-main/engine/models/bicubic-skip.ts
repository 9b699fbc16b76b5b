/**
 * The bicubic residual skip (ArchitectureSpec.skip = 'bicubic'): the LR input upscaled by an integer factor with
 * Keys' cubic (a = −0.5) at half-pixel centres, edge samples repeated. Every backend builds it from the one kernel
 * below (ONNX and TF.js as a conv per output phase); training subtracts `bicubicSkipPlane` from its targets.
 */
import type { Plane } from '../raster.js';

/** Keys cubic (a = −0.5). */
function cubic(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 1) return 1.5 * ax ** 3 - 2.5 * ax ** 2 + 1;
  if (ax < 2) return -0.5 * ax ** 3 + 2.5 * ax ** 2 - 4 * ax + 2;
  return 0;
}

/** Weights of LR offsets −2..2 for output phase p: that output sample sits at LR coordinate i + (p + 0.5)/s − 0.5. */
export function phaseTaps(p: number, s: number): number[] {
  const d = (p + 0.5) / s - 0.5;
  const w = [-2, -1, 0, 1, 2].map((k) => cubic(k - d));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

/**
 * Bicubic upscaling by an integer factor as s² fixed 5x5 filters, one per output phase (the 4 cubic taps of every
 * phase fall within offsets −2..2). Returned as an OIHW kernel [s², 1, 5, 5] for one input channel, phases in
 * row-major order (py·s + px), i.e. the DCR depth order of depth-to-space.
 */
export function bicubicPhaseKernel(s: number): Float32Array {
  const kernel = new Float32Array(s * s * 25);
  for (let py = 0; py < s; py++) {
    for (let px = 0; px < s; px++) {
      const wy = phaseTaps(py, s);
      const wx = phaseTaps(px, s);
      for (let ky = 0; ky < 5; ky++) for (let kx = 0; kx < 5; kx++) kernel[(py * s + px) * 25 + ky * 5 + kx] = wy[ky] * wx[kx];
    }
  }
  return kernel;
}

/**
 * The skip as one conv over C channels: HWIO [5, 5, C, s²·C], where map phase·C + ch (the DCR depth order) reads only
 * input channel ch through that phase's filter.
 */
export function bicubicSkipKernel(s: number, channels: number): Float32Array {
  const phases = s * s;
  const perPhase = bicubicPhaseKernel(s);
  const hwio = new Float32Array(25 * channels * phases * channels);
  for (let phase = 0; phase < phases; phase++) {
    for (let ch = 0; ch < channels; ch++) {
      for (let k = 0; k < 25; k++) hwio[(k * channels + ch) * phases * channels + phase * channels + ch] = perPhase[phase * 25 + k];
    }
  }
  return hwio;
}

/** A whole plane upscaled as the skip upscales it (separably: the phase filters are outer products). */
export function bicubicSkipPlane(lr: Plane, s: number): Plane {
  const { width, height } = lr;
  const taps = Array.from({ length: s }, (_, p) => phaseTaps(p, s));
  const clamp = (v: number, n: number): number => (v < 0 ? 0 : v >= n ? n - 1 : v);
  const rows = new Float32Array(height * width * s);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let px = 0; px < s; px++) {
        let sum = 0;
        for (let k = 0; k < 5; k++) sum += taps[px][k] * lr.data[y * width + clamp(x + k - 2, width)];
        rows[y * width * s + x * s + px] = sum;
      }
    }
  }
  const outWidth = width * s;
  const out = new Float32Array(height * s * outWidth);
  for (let y = 0; y < height; y++) {
    for (let py = 0; py < s; py++) {
      const o = (y * s + py) * outWidth;
      for (let x = 0; x < outWidth; x++) {
        let sum = 0;
        for (let k = 0; k < 5; k++) sum += taps[py][k] * rows[clamp(y + k - 2, height) * outWidth + x];
        out[o + x] = sum;
      }
    }
  }
  return { data: out, width: outWidth, height: height * s };
}
