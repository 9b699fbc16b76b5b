/**
 * Degradation presets: how an LR training input is made from an HR image. Applied to the LR side only and fully
 * determined by the given RNG, so a seed reproduces every degraded image.
 * - bicubic: MATLAB-exact bicubic downscale (the benchmark protocol);
 * - jpeg:    downscale, then JPEG at a random quality;
 * - blur:    gaussian blur of random σ (HR pixels) before the downscale;
 * - noise:   downscale, then gaussian noise or film-grain-like noise (luminance dependent, slightly correlated);
 * - film:    mild blur + grain + mild JPEG, like scanned film.
 */
import sharp, { type Sharp } from 'sharp';
import { DEGRADATION_PRESETS, type DegradationPreset } from '../../src-common/fine-tune.js';
import type { Raster } from '../engine/raster.js';
import { imresizeRaster } from '../engine/resize.js';
import type { Rng } from './rng.js';

export { DEGRADATION_PRESETS, type DegradationPreset };

export interface DegradationOptions {
  preset: DegradationPreset;
  /** JPEG quality range (jpeg: [30, 95], film: [70, 95]). */
  jpegQuality?: [number, number];
  /** Gaussian blur σ range in HR pixels (blur: [0.3, 2.0], film: [0.3, 1.0]). */
  blurSigma?: [number, number];
  /** Noise σ range on the 0..255 scale (noise: [2, 12], film: [2, 8]). */
  noiseSigma?: [number, number];
}

interface Recipe {
  blur?: [number, number];
  noise?: { sigma: [number, number]; grain: 'always' | 'sometimes' };
  jpeg?: [number, number];
}

function recipe(o: DegradationOptions): Recipe {
  switch (o.preset) {
    case 'bicubic': return {};
    case 'jpeg': return { jpeg: o.jpegQuality ?? [30, 95] };
    case 'blur': return { blur: o.blurSigma ?? [0.3, 2.0] };
    case 'noise': return { noise: { sigma: o.noiseSigma ?? [2, 12], grain: 'sometimes' } };
    case 'film': return { blur: o.blurSigma ?? [0.3, 1.0], noise: { sigma: o.noiseSigma ?? [2, 8], grain: 'always' }, jpeg: o.jpegQuality ?? [70, 95] };
    default: throw new Error(`unknown degradation preset "${String(o.preset)}" (expected one of ${DEGRADATION_PRESETS.join(', ')})`);
  }
}

export function checkDegradation(o: DegradationOptions): void {
  recipe(o);
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

/** Adds noise in place. Grain: one luminance field shared by all channels (plus a little chroma), smoothed a bit. */
function addNoise(r: Raster, sigma: number, grain: boolean, rng: Rng): void {
  const { width, height, channels } = r;
  const n = width * height;
  const field = (): Float32Array => {
    const f = Float32Array.from({ length: n }, () => rng.normal());
    if (!grain) return f;
    // [1 2 1]/4 in both directions correlates neighbours; 1/0.375 restores unit variance
    const tmp = new Float32Array(n);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const l = f[y * width + Math.max(0, x - 1)];
        const rr = f[y * width + Math.min(width - 1, x + 1)];
        tmp[y * width + x] = 0.25 * l + 0.5 * f[y * width + x] + 0.25 * rr;
      }
    }
    for (let y = 0; y < height; y++) {
      const up = Math.max(0, y - 1) * width;
      const down = Math.min(height - 1, y + 1) * width;
      for (let x = 0; x < width; x++) f[y * width + x] = (0.25 * tmp[up + x] + 0.5 * tmp[y * width + x] + 0.25 * tmp[down + x]) / 0.375;
    }
    return f;
  };
  const shared = field();
  const chroma = grain && channels === 3 ? [field(), field(), field()] : undefined;
  const data = r.data;
  for (let i = 0; i < n; i++) {
    let luma = 0;
    for (let c = 0; c < channels; c++) luma += data[i * channels + c];
    const l = luma / channels / 255;
    // film grain is strongest in the mid-tones and fades towards black and white
    const amplitude = grain ? sigma * (0.4 + 2.4 * l * (1 - l)) : sigma;
    for (let c = 0; c < channels; c++) {
      const noise = grain
        ? shared[i] + (chroma ? 0.3 * chroma[c][i] : 0)
        : (channels === 1 || c === 0 ? shared[i] : rng.normal());
      const v = data[i * channels + c] + amplitude * noise;
      data[i * channels + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  }
}

/**
 * The LR image for an 8-bit HR raster (1 or 3 channels, size divisible by `scale`) under `options`.
 * Draws from `rng` in a fixed order, so the same RNG state gives the same image.
 */
export async function degrade(hr: Raster, scale: number, options: DegradationOptions, rng: Rng): Promise<Raster> {
  if (hr.bitDepth !== 8 || (hr.channels !== 1 && hr.channels !== 3)) throw new Error('degrade expects an 8-bit gray or RGB raster');
  const r = recipe(options);
  let source = hr;
  if (r.blur) {
    const sigma = rng.range(r.blur[0], r.blur[1]);
    source = await toRaster(rawInput(hr).blur(Math.max(0.3, sigma)), hr);
  }
  const lr = imresizeRaster(source, hr.width / scale, hr.height / scale);
  if (r.noise) {
    const sigma = rng.range(r.noise.sigma[0], r.noise.sigma[1]);
    const grain = r.noise.grain === 'always' || rng.next() < 0.5;
    addNoise(lr, sigma, grain, rng);
  }
  if (r.jpeg) {
    const quality = Math.round(rng.range(r.jpeg[0], r.jpeg[1]));
    const encoded = await rawInput(lr).jpeg({ quality }).toBuffer();
    return toRaster(sharp(encoded), lr);
  }
  return lr;
}
