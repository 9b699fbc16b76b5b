import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Plane, Raster } from '../../src-main/engine/raster.js';
import { evaluatePair, psnr, quantizeY, ssim, ssimWindow1d } from '../../src-main/engine/metrics.js';
import { lumaY } from '../../src-main/engine/color.js';
import { imresizeRaster, imresizeRasterScale, modcrop } from '../../src-main/engine/resize.js';
import { needsShared, sharedPath } from '../paths.js';

function plane(width: number, height: number, f: (x: number, y: number) => number): Plane {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height };
}

function noise(width: number, height: number, seed: number, low = 0, high = 255): Plane {
  let s = seed;
  return plane(width, height, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return low + Math.floor((s / 2147483648) * (high - low + 1));
  });
}

const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

test('identical images: PSNR is Infinity and SSIM is exactly 1', () => {
  const a = noise(40, 30, 5);
  assert.equal(psnr(a, a), Infinity);
  assert.equal(ssim(a, a), 1);
  assert.deepEqual(evaluatePair(a, a, 4), { psnr: Infinity, ssim: 1 });
});

test('a constant offset d gives PSNR = 20 log10(255 / d)', () => {
  const a = noise(32, 24, 9, 10, 200);
  for (const d of [1, 3, 10, 0.5]) {
    const b = plane(32, 24, (x, y) => a.data[y * 32 + x] + d);
    assert.ok(Math.abs(psnr(a, b) - 20 * Math.log10(255 / d)) < 1e-9, `d=${d}`);
    assert.ok(Math.abs(psnr(a, b, { peak: 1 }) - 20 * Math.log10(1 / d)) < 1e-9, `d=${d}, peak 1`);
  }
});

test('the SSIM window is the normalised Gaussian with sigma 1.5', () => {
  const g = ssimWindow1d();
  assert.equal(g.length, 11);
  const raw = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / 4.5));
  const sum = raw.reduce((s, v) => s + v, 0);
  raw.forEach((v, i) => assert.ok(Math.abs(g[i] - v / sum) < 1e-15));
});

test('11x11 SSIM matches the hand-computed value (one window, valid filtering)', () => {
  // Constant images: variances are 0, so SSIM = (2 m1 m2 + C1) / (m1² + m2² + C1).
  const flat = (v: number): Plane => plane(11, 11, () => v);
  const expectedFlat = (2 * 100 * 120 + C1) / (100 ** 2 + 120 ** 2 + C1);
  assert.ok(Math.abs(ssim(flat(100), flat(120)) - expectedFlat) < 1e-12);

  // t = +v on the 5 left columns, −v on the 5 right, 0 in the middle: its window mean is 0 by symmetry and its
  // window variance is v² (1 − g5), g5 being the middle column's weight.
  const v = 20;
  const t = (x: number): number => (x < 5 ? v : x > 5 ? -v : 0);
  const g5 = ssimWindow1d()[5];
  const variance = v * v * (1 - g5);
  // a = m + t, b = m − t: same means, covariance −variance.
  const m = 100;
  const mirrored = ssim(plane(11, 11, (x) => m + t(x)), plane(11, 11, (x) => m - t(x)));
  assert.ok(Math.abs(mirrored - (C2 - 2 * variance) / (C2 + 2 * variance)) < 1e-9, `${mirrored}`);
  // a = 100 + t, b = 140 + t: only the luminance term differs from 1.
  const shifted = ssim(plane(11, 11, (x) => 100 + t(x)), plane(11, 11, (x) => 140 + t(x)));
  assert.ok(Math.abs(shifted - (2 * 100 * 140 + C1) / (100 ** 2 + 140 ** 2 + C1)) < 1e-9, `${shifted}`);
});

test('separable SSIM equals a direct 2-D windowed computation', () => {
  const a = noise(23, 19, 1);
  const b = noise(23, 19, 2);
  const g = ssimWindow1d();
  let total = 0;
  const outW = 23 - 10;
  const outH = 19 - 10;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let m1 = 0, m2 = 0, s11 = 0, s22 = 0, s12 = 0;
      for (let j = 0; j < 11; j++) {
        for (let i = 0; i < 11; i++) {
          const w = g[j] * g[i];
          const p = a.data[(y + j) * 23 + x + i];
          const q = b.data[(y + j) * 23 + x + i];
          m1 += w * p; m2 += w * q; s11 += w * p * p; s22 += w * q * q; s12 += w * p * q;
        }
      }
      const v1 = s11 - m1 * m1;
      const v2 = s22 - m2 * m2;
      const cv = s12 - m1 * m2;
      total += ((2 * m1 * m2 + C1) * (2 * cv + C2)) / ((m1 * m1 + m2 * m2 + C1) * (v1 + v2 + C2));
    }
  }
  const expected = total / (outW * outH);
  const actual = ssim(a, b);
  assert.ok(Math.abs(actual - expected) < 1e-10, `${actual} vs ${expected}`);
  assert.ok(actual < 0.2, 'two independent noise images are dissimilar');
});

test('shave ignores differences in the border', () => {
  const a = noise(30, 30, 3);
  const b = plane(30, 30, (x, y) => (x < 2 || y < 2 || x >= 28 || y >= 28 ? 0 : a.data[y * 30 + x]));
  assert.ok(Number.isFinite(psnr(a, b)));
  assert.ok(ssim(a, b) < 1);
  assert.equal(psnr(a, b, { shave: 2 }), Infinity);
  assert.equal(ssim(a, b, { shave: 2 }), 1);
  assert.ok(Number.isFinite(psnr(a, b, { shave: 1 })));
  // Shaving k must equal comparing the cropped images.
  const crop = (p: Plane, k: number): Plane => plane(p.width - 2 * k, p.height - 2 * k, (x, y) => p.data[(y + k) * p.width + x + k]);
  const c = noise(30, 30, 4);
  assert.equal(psnr(a, c, { shave: 3 }), psnr(crop(a, 3), crop(c, 3)));
  assert.equal(ssim(a, c, { shave: 3 }), ssim(crop(a, 3), crop(c, 3)));
  assert.deepEqual(evaluatePair(a, c, 3), { psnr: psnr(a, c, { shave: 3 }), ssim: ssim(a, c, { shave: 3 }) });
});

test('quantizeY clips to [0, 255] and rounds half away from zero', () => {
  const q = quantizeY({ data: Float32Array.from([-3, 0.5, 1.49, 2.5, 254.6, 300, Number.NaN]), width: 7, height: 1 });
  assert.deepEqual(Array.from(q.data), [0, 1, 1, 3, 255, 255, 0]);
  // evaluatePair applies it: an SR Y that only overshoots the range scores as if clipped.
  const hr = plane(20, 20, (x) => (x % 2 ? 255 : 0));
  const sr = plane(20, 20, (x) => (x % 2 ? 270.2 : -12));
  assert.deepEqual(evaluatePair(hr, sr, 2), { psnr: Infinity, ssim: 1 });
});

test('mismatched sizes and impossible shaves get clear errors', () => {
  const a = noise(20, 20, 1);
  assert.throws(() => psnr(a, noise(20, 21, 1)), /psnr: image sizes differ \(20x20 vs 20x21\)/);
  assert.throws(() => ssim(a, noise(21, 20, 1)), /ssim: image sizes differ/);
  assert.throws(() => evaluatePair(a, noise(10, 10, 1), 2), /image sizes differ/);
  assert.throws(() => psnr(a, a, { shave: 10 }), /nothing left of 20x20 after shaving 10/);
  assert.throws(() => ssim(a, a, { shave: 5 }), /needs at least 11x11 pixels after shaving, got 10x10/);
  assert.throws(() => psnr(a, a, { shave: -1 }), /shave must be a non-negative integer/);
  assert.throws(() => psnr(a, a, { peak: 0 }), /peak must be a positive number/);
});

test('bicubic x4 on Set5 baby scores in the range published for the benchmark', { skip: needsShared('datasets/eval/Set5') }, async () => {
  const path = sharedPath('datasets', 'eval', 'Set5', 'HR', 'baby.png');
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const hr = modcrop(
    { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, bitDepth: 8 } satisfies Raster, 4,
  );
  const lr = imresizeRasterScale(hr, 1 / 4);
  const sr = imresizeRaster(lr, hr.width, hr.height);
  const score = evaluatePair(quantizeY(lumaY(hr)), quantizeY(lumaY(sr)), 4);
  // Published bicubic x4 for baby (Y, shave 4): 31.78 dB / 0.857.
  assert.ok(Math.abs(score.psnr - 31.78) < 0.1, `psnr ${score.psnr}`);
  assert.ok(Math.abs(score.ssim - 0.857) < 0.005, `ssim ${score.ssim}`);
});
