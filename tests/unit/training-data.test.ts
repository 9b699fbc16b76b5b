import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Raster } from '../../src-main/engine/raster.js';
import { bicubicSkipPlane } from '../../src-main/engine/models/bicubic-skip.js';
import { loadTrainingData, sampleBatch, TrainingDataError } from '../../src-main/training/data.js';
import { degrade, type DegradationPreset } from '../../src-main/training/degrade.js';
import { createRng } from '../../src-main/training/rng.js';
import { SAMPLES } from '../paths.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'subpixel-training-data-'));
  const hr = join(dir, 'hr');
  await mkdir(join(hr, 'nested'), { recursive: true });
  await sharp(join(SAMPLES, 'astronaut.png')).extract({ left: 100, top: 60, width: 203, height: 161 }).png().toFile(join(hr, 'astronaut.png'));
  await sharp(join(SAMPLES, 'coffee.png')).extract({ left: 150, top: 80, width: 180, height: 150 }).toColourspace('rgb16').png().toFile(join(hr, 'coffee16.png'));
  await sharp(join(SAMPLES, 'camera.png')).extract({ left: 100, top: 100, width: 170, height: 170 }).jpeg({ quality: 95 }).toFile(join(hr, 'nested', 'camera.jpg'));
  await sharp(join(SAMPLES, 'chelsea.png')).extract({ left: 50, top: 50, width: 160, height: 140 }).ensureAlpha().webp({ lossless: true }).toFile(join(hr, 'nested', 'chelsea.webp'));
  await writeFile(join(hr, 'broken.png'), Buffer.from('this is not a png'));
  await writeFile(join(hr, 'notes.txt'), 'ignored');
  await mkdir(join(dir, 'tiny'));
  await sharp(join(SAMPLES, 'camera.png')).resize(20, 20).png().toFile(join(dir, 'tiny', 'small.png'));
});

after(async () => { await rm(dir, { recursive: true, force: true }); });

test('HR folders load recursively (8/16-bit, gray, alpha), unreadable files are skipped and counted', async () => {
  const warnings: string[] = [];
  const data = await loadTrainingData({
    hrFolders: [join(dir, 'hr')], scale: 3, patchSize: 16, degradation: { preset: 'bicubic' }, seed: 3, onWarning: (m) => warnings.push(m),
  });
  assert.equal(data.stats.imagesFound, 5);
  assert.equal(data.stats.skipped, 1);
  assert.match(data.stats.skippedFiles[0].path, /broken\.png$/);
  assert.equal(warnings.length, 1);
  assert.equal(data.stats.trainImages + data.stats.valImages, 4);
  assert.equal(data.stats.valImages, 1, '10 % held out, at least one image');
  for (const img of [...data.images, ...data.val]) {
    assert.equal(img.hrY.width % 3, 0, 'modcropped');
    assert.equal(img.lrY.width * 3, img.hrY.width);
    assert.equal(img.lrY.height * 3, img.hrY.height);
  }
});

test('scale augmentation adds each training image downscaled (MATLAB bicubic), validation untouched', async () => {
  const base = { hrFolders: [join(dir, 'hr')], scale: 2, patchSize: 16, degradation: { preset: 'bicubic' as const }, seed: 3, onWarning: () => {} };
  const plain = await loadTrainingData(base);
  const augmented = await loadTrainingData({ ...base, augmentScales: [0.8, 0.5] });
  assert.equal(augmented.images.length, 3 * plain.images.length);
  assert.deepEqual(augmented.val.map((v) => v.path), plain.val.map((v) => v.path));
  for (const [i, img] of plain.images.entries()) {
    const half = augmented.images.find((a) => a.path === `${img.path}@0.5`);
    assert.ok(half, `${img.path}@0.5 is there`);
    assert.ok(Math.abs(half.hrY.width - img.hrY.width / 2) <= 2 && half.hrY.width % 2 === 0, 'half size, modcropped');
    assert.equal(half.lrY.width * 2, half.hrY.width);
    assert.deepEqual(augmented.images[i].hrY.data, img.hrY.data, 'the originals come first, unchanged');
  }
  await assert.rejects(loadTrainingData({ ...base, augmentScales: [1.5] }), /between 0 and 1/);
});

test('rounded LR Y (the benchmark protocol): the same LR, each value rounded to an integer; HR untouched', async () => {
  const base = { hrFolders: [join(dir, 'hr')], scale: 2, patchSize: 16, degradation: { preset: 'bicubic' as const }, seed: 3, onWarning: () => {} };
  const plain = await loadTrainingData(base);
  const rounded = await loadTrainingData({ ...base, roundLrY: true });
  let changed = 0;
  for (const [i, img] of plain.images.entries()) {
    const r = rounded.images[i];
    assert.deepEqual(r.hrY.data, img.hrY.data);
    for (let j = 0; j < img.lrY.data.length; j++) {
      assert.equal(r.lrY.data[j], Math.min(255, Math.max(0, Math.round(img.lrY.data[j]))));
      if (r.lrY.data[j] !== img.lrY.data[j]) changed++;
    }
  }
  assert.ok(changed > 0, 'the unrounded Y has fractions to round');
});

test('a folder with too few usable pixels is a clear error', async () => {
  await assert.rejects(
    loadTrainingData({ hrFolders: [join(dir, 'tiny')], scale: 2, patchSize: 32, degradation: { preset: 'bicubic' }, seed: 1 }),
    (err: unknown) => err instanceof TrainingDataError && /too few usable training pixels/.test(err.message),
  );
  await assert.rejects(
    loadTrainingData({ hrFolders: [join(dir, 'missing')], scale: 2, patchSize: 32, degradation: { preset: 'bicubic' }, seed: 1 }),
    /does not exist/,
  );
});

function correlation(a: number[], b: number[]): number {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  let sab = 0; let saa = 0; let sbb = 0;
  for (let i = 0; i < a.length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return sab / Math.sqrt(saa * sbb);
}

test('patches are aligned under all 8 flips/rotations, and reproducible from the seed', async () => {
  const scale = 2;
  const data = await loadTrainingData({ hrFolders: [join(dir, 'hr')], scale, patchSize: 24, degradation: { preset: 'bicubic' }, seed: 5 });
  const batch = sampleBatch(data, createRng(9), 32, 24, 'none');
  const p = 24;
  let worst = 1;
  for (let b = 0; b < batch.n; b++) {
    // the mean of each HR s×s block (target channels) should track the LR pixel; a misaligned or
    // differently-transformed HR patch would not
    const lr: number[] = [];
    const blocks: number[] = [];
    for (let i = 0; i < p * p; i++) {
      lr.push(batch.input[b * p * p + i]);
      let m = 0;
      for (let c = 0; c < scale * scale; c++) m += batch.target[(b * p * p + i) * scale * scale + c];
      blocks.push(m / (scale * scale));
    }
    worst = Math.min(worst, correlation(lr, blocks));
  }
  assert.ok(worst > 0.95, `LR/HR patch correlation ${worst}`);
  const again = sampleBatch(data, createRng(9), 32, 24, 'none');
  assert.deepEqual(again.input, batch.input);
  const other = sampleBatch(data, createRng(10), 32, 24, 'none');
  assert.notDeepEqual(other.input, batch.input);
  const residual = sampleBatch(data, createRng(9), 32, 24, 'nearest');
  assert.ok(Math.abs(residual.target[5] - (batch.target[5] - batch.input[1])) < 1e-6, 'residual targets subtract the LR input');
});

test('bicubic-skip targets are the HR minus the bicubic upscale of the LR, under every flip/rotation', async () => {
  const scale = 3;
  const p = 20;
  const data = await loadTrainingData({ hrFolders: [join(dir, 'hr')], scale, patchSize: p, degradation: { preset: 'bicubic' }, seed: 5 });
  const plain = sampleBatch(data, createRng(4), 24, p, 'none');
  const skipped = sampleBatch(data, createRng(4), 24, p, 'bicubic');
  assert.deepEqual(skipped.input, plain.input);
  let worst = 0;
  for (let b = 0; b < plain.n; b++) {
    const lr = { data: plain.input.slice(b * p * p, (b + 1) * p * p).map((v) => v * 255), width: p, height: p };
    const up = bicubicSkipPlane(lr, scale);
    // away from the patch's edges the patch alone holds all the skip's context
    for (let y = 2; y < p - 2; y++) {
      for (let x = 2; x < p - 2; x++) {
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const t = ((b * p + y) * p + x) * scale * scale + dy * scale + dx;
            const skip = plain.target[t] - skipped.target[t];
            worst = Math.max(worst, Math.abs(skip - up.data[(y * scale + dy) * p * scale + x * scale + dx] / 255));
          }
        }
      }
    }
  }
  assert.ok(worst < 1e-5, `largest difference ${worst}`);
});

async function rgbCrop(): Promise<Raster> {
  const { data, info } = await sharp(join(SAMPLES, 'chelsea.png')).extract({ left: 40, top: 40, width: 120, height: 96 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, bitDepth: 8 };
}

test('degradation presets are reproducible from the seed and change the LR image', async () => {
  const hr = await rgbCrop();
  const clean = await degrade(hr, 2, { preset: 'bicubic' }, createRng(1));
  assert.equal(clean.width, 60);
  for (const preset of ['jpeg', 'blur', 'noise', 'film', 'photo'] as DegradationPreset[]) {
    const a = await degrade(hr, 2, { preset }, createRng(42));
    const b = await degrade(hr, 2, { preset }, createRng(42));
    const c = await degrade(hr, 2, { preset }, createRng(43));
    assert.deepEqual(a, b, `${preset} is reproducible`);
    assert.notDeepEqual(a.data, c.data, `${preset} depends on the seed`);
    assert.notDeepEqual(a.data, clean.data, `${preset} differs from bicubic`);
    assert.equal(a.width, 60);
    assert.equal(a.channels, 3);
    let mad = 0;
    for (let i = 0; i < a.data.length; i++) mad += Math.abs(a.data[i] - clean.data[i]);
    mad /= a.data.length;
    assert.ok(mad > 0.5 && mad < 25, `${preset}: mean change ${mad.toFixed(2)} out of the plausible range`);
  }
  await assert.rejects(degrade(hr, 2, { preset: 'sepia' as DegradationPreset }, createRng(1)), /unknown degradation preset/);
});
