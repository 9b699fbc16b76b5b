import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Raster } from '../../src-main/engine/raster.js';
import { imresizeRaster } from '../../src-main/engine/resize.js';
import { estimateJpegQuality, ijgQuantTable, readQuantTables } from '../../src-main/engine/image-io/jpeg-quality.js';
import {
  applyBlur, applyNoise, applyPlan, blurKernel, checkDegradation, drawPlan, encodeJpeg, grainAmplitude, maxKernelSize, type DegradationPlan,
} from '../../src-main/training/degrade.js';
import { DEGRADATION_PRESETS, PRESET_RECIPES } from '../../src-main/training/degrade-presets.js';
import { loadTrainingData, sampleDegradedBatch } from '../../src-main/training/data.js';
import { createRng } from '../../src-main/training/rng.js';
import { createDegradedBatchSource } from '../../src-main/training/batch-source.js';
import { SAMPLES } from '../paths.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'subpixel-degrade-'));
  await mkdir(join(dir, 'hr'));
  await sharp(join(SAMPLES, 'astronaut.png')).extract({ left: 100, top: 60, width: 240, height: 200 }).png().toFile(join(dir, 'hr', 'astronaut.png'));
  await sharp(join(SAMPLES, 'chelsea.png')).extract({ left: 20, top: 20, width: 200, height: 180 }).png().toFile(join(dir, 'hr', 'chelsea.png'));
});

after(async () => { await rm(dir, { recursive: true, force: true }); });

function flat(width: number, height: number, channels: 1 | 3, value: number): Raster {
  return { data: new Uint8Array(width * height * channels).fill(value), width, height, channels, bitDepth: 8 };
}

async function photo(): Promise<Raster> {
  const { data, info } = await sharp(join(SAMPLES, 'chelsea.png')).extract({ left: 40, top: 40, width: 128, height: 96 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, bitDepth: 8 };
}

function channelStats(r: Raster, c: number): { mean: number; sd: number } {
  let s = 0;
  let s2 = 0;
  const n = r.width * r.height;
  for (let i = 0; i < n; i++) { const v = r.data[i * r.channels + c]; s += v; s2 += v * v; }
  const mean = s / n;
  return { mean, sd: Math.sqrt(s2 / n - mean * mean) };
}

/** Correlation of horizontally adjacent pixels of channel c. */
function neighbourCorrelation(r: Raster, c: number): number {
  const { mean, sd } = channelStats(r, c);
  let acc = 0;
  let n = 0;
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x + 1 < r.width; x++) {
      acc += (r.data[(y * r.width + x) * r.channels + c] - mean) * (r.data[(y * r.width + x + 1) * r.channels + c] - mean);
      n++;
    }
  }
  return acc / n / (sd * sd);
}

test('blur kernels of every kind sum to 1, are centred, and Gaussians have the requested spread', () => {
  for (const kind of ['iso', 'aniso', 'generalized', 'plateau'] as const) {
    const size = 21;
    const k = blurKernel({ kind, sigmaX: 2.5, sigmaY: 1.2, theta: 0.7, beta: kind === 'plateau' ? 1.5 : kind === 'generalized' ? 2 : 1, size });
    const sum = k.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12, `${kind} sums to ${sum}`);
    let mx = 0;
    let my = 0;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) { mx += k[y * size + x] * (x - 10); my += k[y * size + x] * (y - 10); }
    assert.ok(Math.abs(mx) < 1e-9 && Math.abs(my) < 1e-9, `${kind} is centred`);
  }
  // an anisotropic Gaussian along the axes (θ = 0): second moments σx², σy²
  const size = 31;
  const k = blurKernel({ kind: 'aniso', sigmaX: 3, sigmaY: 1.5, theta: 0, beta: 1, size });
  let vx = 0;
  let vy = 0;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) { vx += k[y * size + x] * (x - 15) ** 2; vy += k[y * size + x] * (y - 15) ** 2; }
  assert.ok(Math.abs(vx - 9) < 0.05 && Math.abs(vy - 2.25) < 0.02, `variances ${vx}, ${vy}`);
  // rotated by 90°, the long axis is vertical
  const r = blurKernel({ kind: 'aniso', sigmaX: 3, sigmaY: 1.5, theta: Math.PI / 2, beta: 1, size });
  let rvy = 0;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) rvy += r[y * size + x] * (y - 15) ** 2;
  assert.ok(Math.abs(rvy - 9) < 0.05);
});

test('blur through libvips keeps the mean and smooths as the kernel says; kernel sizes grow with the factor', async () => {
  const img = await photo();
  const plan: DegradationPlan = { stages: [{ blur: { kind: 'iso', sigmaX: 2, sigmaY: 2, theta: 0, beta: 1, size: 13 }, resize: 'bicubic', toLr: 2 }], seed: 1 };
  // toLr 2 at scale 2: the stage ends at the HR size, so only the blur acts
  const blurred = await applyPlan(img, 2, plan);
  assert.equal(blurred.width, img.width);
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(channelStats(blurred, c).mean - channelStats(img, c).mean) < 1);
  assert.ok(channelStats(blurred, 1).sd < channelStats(img, 1).sd);
  assert.ok(neighbourCorrelation(blurred, 1) > neighbourCorrelation(img, 1));
  // the blur applied is the kernel's convolution (edges repeated) within a level, on the separable path for
  // isotropic Gaussians and the 2-D mask for the others
  for (const k of [
    { kind: 'iso', sigmaX: 1.7, sigmaY: 1.7, theta: 0, beta: 1, size: 13 },
    { kind: 'aniso', sigmaX: 2.2, sigmaY: 0.8, theta: 0.6, beta: 1, size: 15 },
    { kind: 'plateau', sigmaX: 1.2, sigmaY: 1.2, theta: 0, beta: 1.5, size: 11 },
  ] as const) {
    const got = await applyBlur(img, k);
    const w = blurKernel(k);
    const r = (k.size - 1) / 2;
    let max = 0;
    for (const [x, y] of [[0, 0], [20, 30], [64, 50], [127, 95], [5, 90]]) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const sx = Math.min(img.width - 1, Math.max(0, x + dx));
            const sy = Math.min(img.height - 1, Math.max(0, y + dy));
            acc += w[(dy + r) * k.size + dx + r] * img.data[(sy * img.width + sx) * 3 + c];
          }
        }
        max = Math.max(max, Math.abs(got.data[(y * img.width + x) * 3 + c] - acc));
      }
    }
    assert.ok(max <= 1.5, `${k.kind}: ${max.toFixed(2)} levels from the kernel's convolution`);
  }
  assert.equal(maxKernelSize(2), 13);
  assert.equal(maxKernelSize(4), 21);
  for (const scale of [2, 3, 4]) {
    const rng = createRng(scale);
    for (let i = 0; i < 200; i++) {
      for (const stage of drawPlan({ preset: 'photo' }, scale, rng).stages) {
        if (stage.blur) assert.ok(stage.blur.size % 2 === 1 && stage.blur.size <= maxKernelSize(scale));
      }
    }
  }
});

test('gaussian noise has the requested σ; luma-only noise leaves the colour differences alone', () => {
  const rgb = flat(200, 200, 3, 128);
  applyNoise(rgb, { kind: 'gaussian', sigma: 10, luma: false }, createRng(1));
  for (let c = 0; c < 3; c++) {
    const { mean, sd } = channelStats(rgb, c);
    assert.ok(Math.abs(sd - 10) < 0.3 && Math.abs(mean - 128) < 0.2, `channel ${c}: sd ${sd}, mean ${mean}`);
  }
  assert.ok(Math.abs(neighbourCorrelation(rgb, 0)) < 0.03, 'white noise');
  const luma = flat(200, 200, 3, 128);
  applyNoise(luma, { kind: 'gaussian', sigma: 6, luma: true }, createRng(2));
  assert.ok(Math.abs(channelStats(luma, 0).sd - 6) < 0.2);
  for (let i = 0; i < 200 * 200; i++) {
    assert.equal(luma.data[i * 3], luma.data[i * 3 + 1]);
    assert.equal(luma.data[i * 3], luma.data[i * 3 + 2]);
  }
});

test('poisson noise variance follows the signal: 255·v / peak', () => {
  for (const [level, peak] of [[64, 100], [200, 100], [128, 400]]) {
    const r = flat(200, 200, 1, level);
    applyNoise(r, { kind: 'poisson', peak, luma: false }, createRng(level));
    const { mean, sd } = channelStats(r, 0);
    const expected = Math.sqrt((255 * level) / peak);
    assert.ok(Math.abs(sd / expected - 1) < 0.05, `level ${level}, peak ${peak}: sd ${sd} vs ${expected}`);
    assert.ok(Math.abs(mean - level) < 0.5);
  }
});

test('film grain: σ in the mid-tones, weaker in the shadows, spatially correlated', () => {
  const mid = flat(256, 256, 3, 128);
  applyNoise(mid, { kind: 'grain', sigma: 8, correlation: 1 }, createRng(3));
  const sdMid = channelStats(mid, 1).sd;
  assert.ok(Math.abs(sdMid / (8 * grainAmplitude(128)) - 1) < 0.08, `mid-tone grain sd ${sdMid}`);
  assert.ok(neighbourCorrelation(mid, 1) > 0.5, `grain correlation ${neighbourCorrelation(mid, 1)}`);
  const dark = flat(256, 256, 3, 20);
  applyNoise(dark, { kind: 'grain', sigma: 8, correlation: 1 }, createRng(3));
  assert.ok(channelStats(dark, 1).sd < 0.6 * sdMid);
  // mostly shared between channels (dye clouds), with a little colour
  let shared = 0;
  for (let i = 0; i < 256 * 256; i++) shared += (mid.data[i * 3] - 128) * (mid.data[i * 3 + 2] - 128);
  const corrRB = shared / (256 * 256) / (channelStats(mid, 0).sd * channelStats(mid, 2).sd);
  assert.ok(corrRB > 0.8 && corrRB < 0.99, `R/B grain correlation ${corrRB}`);
});

test('JPEG through libjpeg carries the requested quality tables and the camera chroma subsampling', async () => {
  const img = await photo();
  for (const quality of [30, 60, 75, 95]) {
    for (const subsampling of ['4:2:0', '4:4:4'] as const) {
      const bytes = await encodeJpeg(img, { quality, subsampling });
      const tables = readQuantTables(bytes);
      assert.deepEqual(tables.get(0), ijgQuantTable(quality, false), `luma table at q${quality}`);
      assert.deepEqual(tables.get(1), ijgQuantTable(quality, true), `chroma table at q${quality}`);
      assert.deepEqual(estimateJpegQuality(bytes), { quality, exact: true });
      assert.equal((await sharp(bytes).metadata()).chromaSubsampling, subsampling);
    }
  }
  assert.equal(readQuantTables(await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer()).size, 0);
});

test('resampling methods: area averages blocks, bilinear and bicubic differ', async () => {
  const img = await photo();
  const area = imresizeRaster(img, img.width / 2, img.height / 2, 'box');
  for (const [x, y] of [[0, 0], [10, 7], [63, 47]]) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) s += img.data[((2 * y + dy) * img.width + 2 * x + dx) * 3 + c];
      // rounded after each of the two passes, as MATLAB does on uint8
      assert.ok(Math.abs(area.data[(y * area.width + x) * 3 + c] - s / 4) <= 1);
    }
  }
  const bilinear = imresizeRaster(img, img.width / 2, img.height / 2, 'linear');
  const bicubic = imresizeRaster(img, img.width / 2, img.height / 2);
  assert.notDeepEqual(bilinear.data, bicubic.data);
  assert.notDeepEqual(bilinear.data, area.data);
});

test('presets draw their documented mix, and a seed reproduces plans, images and batches', async () => {
  for (const preset of DEGRADATION_PRESETS) assert.ok(PRESET_RECIPES[preset], preset);
  const rng = createRng(7);
  let jpeg = 0;
  let second = 0;
  let clean = 0;
  const n = 2000;
  for (let i = 0; i < n; i++) {
    const plan = drawPlan({ preset: 'photo' }, 4, rng);
    if (plan.stages.length === 2) second++;
    const [first] = plan.stages;
    if (!first.blur && !first.noise && !first.jpeg && first.resize === 'bicubic' && first.toLr === 1 && plan.stages.length === 1) clean++;
    if (first.jpeg) {
      jpeg++;
      assert.ok(first.jpeg.quality >= 30 && first.jpeg.quality <= 95);
    }
  }
  // photo: half clean; of the rest, 85 % JPEG and 25 % a second stage
  assert.ok(Math.abs(jpeg / n - 0.5 * 0.85) < 0.04, `jpeg share ${jpeg / n}`);
  assert.ok(Math.abs(second / n - 0.5 * 0.25) < 0.04, `second-order share ${second / n}`);
  assert.ok(clean / n >= 0.5 - 0.04 && clean / n < 0.5 + 0.06, `clean share ${clean / n}`);
  // the clean share can be overridden (a stage that re-sharpens a robust model), and survives other overrides
  const isClean = (o: Parameters<typeof drawPlan>[0]): boolean => drawPlan(o, 2, rng).stages.every((st) => !st.blur && !st.noise && !st.jpeg && st.resize === 'bicubic');
  assert.ok(Array.from({ length: 200 }, () => isClean({ preset: 'photo', cleanShare: 1 })).every(Boolean));
  const keptShare = Array.from({ length: 1000 }, () => isClean({ preset: 'photo', jpegQuality: [40, 60] })).filter(Boolean).length / 1000;
  assert.ok(keptShare >= 0.45 && keptShare < 0.57, `clean share with a JPEG override ${keptShare}`);
  assert.throws(() => checkDegradation({ preset: 'photo', cleanShare: 1.5 }), /between 0 and 1/);
  assert.deepEqual(drawPlan({ preset: 'clean' }, 2, createRng(1)).stages, [{ resize: 'bicubic', toLr: 1 }]);

  const img = await photo();
  for (const preset of ['photo', 'film', 'jpeg'] as const) {
    const a = await applyPlan(img, 2, drawPlan({ preset }, 2, createRng(5)));
    const b = await applyPlan(img, 2, drawPlan({ preset }, 2, createRng(5)));
    assert.deepEqual(a, b, `${preset} is reproducible`);
  }

  const data = await loadTrainingData({ hrFolders: [join(dir, 'hr')], valFraction: 0, scale: 2, patchSize: 24, degradation: { preset: 'photo' }, seed: 1, onWarning: () => {} });
  const o = { degradation: { preset: 'photo' as const } };
  const x = await sampleDegradedBatch(data, createRng(9), 8, 24, 'nearest', o);
  const y = await sampleDegradedBatch(data, createRng(9), 8, 24, 'nearest', o);
  const z = await sampleDegradedBatch(data, createRng(10), 8, 24, 'nearest', o);
  assert.deepEqual(x, y);
  assert.notDeepEqual(x.input, z.input);
});

test('compressed: 40 % clean, JPEG on every other patch and noise on half of those, never blur or a second pass', () => {
  const rng = createRng(9);
  const n = 2000;
  let clean = 0;
  let noisy = 0;
  for (let i = 0; i < n; i++) {
    const plan = drawPlan({ preset: 'compressed' }, 2, rng);
    assert.equal(plan.stages.length, 1);
    const [stage] = plan.stages;
    assert.equal(stage.blur, undefined);
    assert.equal(stage.resize, 'bicubic');
    if (!stage.jpeg) {
      assert.equal(stage.noise, undefined);
      clean++;
      continue;
    }
    assert.ok(stage.jpeg.quality >= 30 && stage.jpeg.quality <= 95);
    if (stage.noise) noisy++;
  }
  assert.ok(Math.abs(clean / n - 0.4) < 0.04, `clean share ${clean / n}`);
  assert.ok(Math.abs(noisy / (n - clean) - 0.5) < 0.05, `noisy share of the compressed ${noisy / (n - clean)}`);
});

test('per-patch degradation keeps LR and HR patches aligned under every flip/rotation', async () => {
  const scale = 3;
  const p = 16;
  const data = await loadTrainingData({ hrFolders: [join(dir, 'hr')], valFraction: 0, scale, patchSize: p, degradation: { preset: 'jpeg', jpegQuality: [95, 95] }, seed: 2, onWarning: () => {} });
  const batch = await sampleDegradedBatch(data, createRng(4), 32, p, 'none', { degradation: { preset: 'jpeg', jpegQuality: [95, 95] } });
  // the HR target block of each LR pixel, averaged, is close to that LR pixel (q95 JPEG of a bicubic downscale)
  let err = 0;
  for (let b = 0; b < batch.n; b++) {
    for (let i = 0; i < p * p; i++) {
      let mean = 0;
      for (let k = 0; k < scale * scale; k++) mean += batch.target[(b * p * p + i) * scale * scale + k];
      err += Math.abs(mean / (scale * scale) - batch.input[b * p * p + i]);
    }
  }
  const mae = (err / (batch.n * p * p)) * 255;
  assert.ok(mae < 4, `mean |LR − mean(HR block)| ${mae.toFixed(2)} levels`);
});

test('a worker thread makes the very batches the trainer\'s own thread would', async () => {
  const data = await loadTrainingData({ hrFolders: [join(dir, 'hr')], valFraction: 0, scale: 2, patchSize: 16, degradation: { preset: 'film' }, seed: 3, onWarning: () => {} });
  const o = { seed: 3, batchSize: 4, patchSize: 16, skip: 'bicubic' as const, degradation: { preset: 'film' as const } };
  const here = await createDegradedBatchSource(data, { ...o, workers: 0 });
  const there = await createDegradedBatchSource(data, { ...o, workers: 1 });
  try {
    const [a, b] = await Promise.all([there.batch(7), there.batch(8)]);
    assert.deepEqual(a, await here.batch(7));
    assert.deepEqual(b, await here.batch(8));
    assert.notDeepEqual(a.input, b.input);
  } finally {
    await here.close();
    await there.close();
  }
});
