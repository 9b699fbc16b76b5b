/**
 * BT.601 studio-range YCbCr, with the coefficients of MATLAB's rgb2ycbcr/ycbcr2rgb: the colour space the
 * SR benchmarks are scored in and the Y-only models run on.
 *
 * With R, G, B in [0, 1], results on the 0..255 scale:
 *   Y  =  16 + 65.481 R + 128.553 G +  24.966 B
 *   Cb = 128 − 37.797 R −  74.203 G + 112.000 B
 *   Cr = 128 + 112.000 R − 93.786 G −  18.214 B
 * Y spans 16..235 and Cb, Cr 16..240 for in-gamut colours. All functions here return floats; rounding to
 * integers (as MATLAB does for uint8 input) is left to the caller, e.g. metrics' quantizeY.
 */
import type { Plane, Raster } from './raster.js';
import { maxValue } from './raster.js';

const FORWARD = [
  [65.481, 128.553, 24.966],
  [-37.797, -74.203, 112.0],
  [112.0, -93.786, -18.214],
] as const;
const OFFSET = [16, 128, 128] as const;

function invert3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

/** Maps (Y − 16, Cb − 128, Cr − 128) on the 0..255 scale back to R, G, B in [0, 1]. */
const INVERSE = invert3(FORWARD);

/** The coefficients, for hot loops that cannot afford a call per pixel (the upscale pipeline). */
export const BT601 = { forward: FORWARD, inverse: INVERSE, offset: OFFSET } as const;

export interface YCbCr {
  y: number;
  cb: number;
  cr: number;
}

/** One colour: R, G, B in [0, 1] → Y, Cb, Cr on the 0..255 scale. */
export function rgbToYCbCr(r: number, g: number, b: number): YCbCr {
  return {
    y: OFFSET[0] + FORWARD[0][0] * r + FORWARD[0][1] * g + FORWARD[0][2] * b,
    cb: OFFSET[1] + FORWARD[1][0] * r + FORWARD[1][1] * g + FORWARD[1][2] * b,
    cr: OFFSET[2] + FORWARD[2][0] * r + FORWARD[2][1] * g + FORWARD[2][2] * b,
  };
}

/** One colour: Y, Cb, Cr on the 0..255 scale → R, G, B in [0, 1] (unclipped: out-of-gamut input leaves [0, 1]). */
export function yCbCrToRgb(y: number, cb: number, cr: number): [number, number, number] {
  const dy = y - OFFSET[0];
  const dcb = cb - OFFSET[1];
  const dcr = cr - OFFSET[2];
  return [
    INVERSE[0][0] * dy + INVERSE[0][1] * dcb + INVERSE[0][2] * dcr,
    INVERSE[1][0] * dy + INVERSE[1][1] * dcb + INVERSE[1][2] * dcr,
    INVERSE[2][0] * dy + INVERSE[2][1] * dcb + INVERSE[2][2] * dcr,
  ];
}

export interface YCbCrPlanes {
  y: Plane;
  cb: Plane;
  cr: Plane;
}

function checkRaster(raster: Raster): void {
  if (raster.data.length !== raster.width * raster.height * raster.channels) {
    throw new Error(
      `raster data has ${raster.data.length} samples, expected ${raster.width}x${raster.height}x${raster.channels}`,
    );
  }
}

function emptyPlane(width: number, height: number): Plane {
  return { data: new Float32Array(width * height), width, height };
}

/**
 * Y, Cb, Cr planes (0..255 scale, float) of a raster. Gray rasters (1 or 2 channels) are treated as R = G = B,
 * so Cb = Cr = 128. Alpha is ignored.
 */
export function rgbToYCbCrPlanes(raster: Raster): YCbCrPlanes {
  checkRaster(raster);
  const { width, height, channels, data } = raster;
  const scale = 1 / maxValue(raster.bitDepth);
  const y = emptyPlane(width, height);
  const cb = emptyPlane(width, height);
  const cr = emptyPlane(width, height);
  const gray = channels < 3;
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const r = data[j] * scale;
    const g = gray ? r : data[j + 1] * scale;
    const b = gray ? r : data[j + 2] * scale;
    const c = rgbToYCbCr(r, g, b);
    y.data[i] = c.y;
    cb.data[i] = c.cb;
    cr.data[i] = c.cr;
  }
  return { y, cb, cr };
}

/** The Y plane only (0..255 scale, float), without computing chroma. Gray rasters: R = G = B = the gray value. */
export function lumaY(raster: Raster): Plane {
  checkRaster(raster);
  const { width, height, channels, data } = raster;
  const scale = 1 / maxValue(raster.bitDepth);
  const [wr, wg, wb] = FORWARD[0];
  const out = emptyPlane(width, height);
  const gray = channels < 3;
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const r = data[j] * scale;
    out.data[i] = gray
      ? OFFSET[0] + wr * r + wg * r + wb * r
      : OFFSET[0] + wr * r + wg * data[j + 1] * scale + wb * data[j + 2] * scale;
  }
  return out;
}

/**
 * Interleaved RGB raster from Y, Cb, Cr planes (0..255 scale), rounded and clipped to `bitDepth`.
 * `alpha`, when given, is copied into a fourth channel (already on the raster's scale).
 */
export function yCbCrPlanesToRgb(planes: YCbCrPlanes, bitDepth: 8 | 16 = 8, alpha?: Plane): Raster {
  const { width, height } = planes.y;
  for (const [name, p] of [['cb', planes.cb], ['cr', planes.cr], ['alpha', alpha]] as const) {
    if (p && (p.width !== width || p.height !== height)) {
      throw new Error(`${name} plane is ${p.width}x${p.height}, y plane is ${width}x${height}`);
    }
  }
  const channels = alpha ? 4 : 3;
  const max = maxValue(bitDepth);
  const count = width * height;
  const data = bitDepth === 16 ? new Uint16Array(count * channels) : new Uint8Array(count * channels);
  const toSample = (v: number): number => {
    const s = Math.round(v * max);
    return s < 0 ? 0 : s > max ? max : s;
  };
  for (let i = 0, j = 0; i < count; i++, j += channels) {
    const [r, g, b] = yCbCrToRgb(planes.y.data[i], planes.cb.data[i], planes.cr.data[i]);
    data[j] = toSample(r);
    data[j + 1] = toSample(g);
    data[j + 2] = toSample(b);
    if (alpha) {
      const a = Math.round(alpha.data[i]);
      data[j + 3] = a < 0 ? 0 : a > max ? max : a;
    }
  }
  return { data, width, height, channels, bitDepth };
}

/** Gray raster from a Y plane (0..255 scale): the inverse of lumaY for gray images, rounded and clipped. */
export function lumaToGray(y: Plane, bitDepth: 8 | 16 = 8): Raster {
  const max = maxValue(bitDepth);
  const perUnit = FORWARD[0][0] + FORWARD[0][1] + FORWARD[0][2]; // 219: Y rise from black to white
  const data = bitDepth === 16 ? new Uint16Array(y.data.length) : new Uint8Array(y.data.length);
  for (let i = 0; i < y.data.length; i++) {
    const s = Math.round(((y.data[i] - OFFSET[0]) / perUnit) * max);
    data[i] = s < 0 ? 0 : s > max ? max : s;
  }
  return { data, width: y.width, height: y.height, channels: 1, bitDepth };
}
