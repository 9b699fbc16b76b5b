import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import type { Plane, Raster } from '../../src-main/engine/raster.js';
import {
  imresize, imresizeRaster, imresizeRasterScale, imresizeScale, modcrop, modcropPlane, scaledLength,
} from '../../src-main/engine/resize.js';
import { needsShared, sharedPath } from '../paths.js';

const evalRoot = `${sharedPath('datasets', 'eval')}/`;

async function readPng(path: string): Promise<Raster> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: info.channels as Raster['channels'],
    bitDepth: 8,
  };
}

function firstDifference(a: Raster, b: Raster): string | null {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    return `shape ${a.width}x${a.height}x${a.channels} vs ${b.width}x${b.height}x${b.channels}`;
  }
  let count = 0;
  let first = -1;
  for (let i = 0; i < a.data.length; i++) {
    if (a.data[i] !== b.data[i]) {
      count++;
      if (first < 0) first = i;
    }
  }
  return count === 0 ? null : `${count} samples differ, first at ${first}: ${a.data[first]} vs ${b.data[first]}`;
}

function plane(width: number, height: number, f: (x: number, y: number) => number): Plane {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height };
}

function noise(width: number, height: number, seed: number): Plane {
  let s = seed;
  return plane(width, height, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor((s / 2147483648) * 256);
  });
}

test('reproduces the benchmark LR images (MATLAB imresize bicubic on uint8) bit-exactly', { skip: needsShared('datasets/eval/Set5', 'datasets/eval/Set14') }, async () => {
  const sets = ['Set5', 'Set14'];
  let checked = 0;
  for (const set of sets) {
    const names = readdirSync(`${evalRoot}${set}/HR`).filter((n) => n.endsWith('.png')).sort();
    assert.ok(names.length >= 5, `expected images in ${set}/HR`);
    for (const name of names) {
      const hr = await readPng(`${evalRoot}${set}/HR/${name}`);
      for (const scale of [2, 3, 4]) {
        const reference = await readPng(`${evalRoot}${set}/LR_bicubic/X${scale}/${name.replace(/\.png$/, '')}x${scale}.png`);
        const cropped = modcrop(hr, scale);
        const byScale = imresizeRasterScale(cropped, 1 / scale);
        assert.equal(firstDifference(byScale, reference), null, `${set}/${name} x${scale} (by scale)`);
        // Asking for the size instead of the factor must give the same pixels.
        const bySize = imresizeRaster(cropped, cropped.width / scale, cropped.height / scale);
        assert.equal(firstDifference(bySize, reference), null, `${set}/${name} x${scale} (by size)`);
        checked++;
      }
    }
  }
  assert.equal(checked, (5 + 14) * 3);
});

test('plane imresize with quantize 8 matches the raster path per channel', { skip: needsShared('datasets/eval/Set5') }, async () => {
  const hr = modcrop(await readPng(`${evalRoot}Set5/HR/bird.png`), 4);
  const lr = imresizeRasterScale(hr, 1 / 4);
  for (let c = 0; c < hr.channels; c++) {
    const p = plane(hr.width, hr.height, (x, y) => hr.data[(y * hr.width + x) * hr.channels + c]);
    const out = imresize(p, hr.width / 4, hr.height / 4, { quantize: 8 });
    for (let i = 0; i < out.data.length; i++) {
      if (out.data[i] !== lr.data[i * hr.channels + c]) assert.fail(`channel ${c} sample ${i}`);
    }
  }
});

test('upscaling two samples matches the hand-computed Keys cubic weights with mirrored borders', () => {
  // 2 -> 4 upscale of [a, b]; the mirrored sequence around the input is … b a | a b | b a ….
  // Output 1 sits at u = 0.75 (1-based): a is at distances 0.75 and 0.25, b at 1.75 and 1.25, so
  // a gets c(0.75) + c(0.25) = 1.09375 and b gets c(1.75) + c(1.25) = -0.09375.
  // Output 2 sits at u = 1.25: a at 1.25 and 0.25 (0.796875), b at 0.75 and 1.75 (0.203125).
  const out = imresize({ data: Float32Array.from([0, 64]), width: 2, height: 1 }, 4, 1);
  assert.deepEqual(Array.from(out.data), [-6, 13, 51, 70]);
  const quantized = imresize({ data: Float32Array.from([0, 64]), width: 2, height: 1 }, 4, 1, { quantize: 8 });
  assert.deepEqual(Array.from(quantized.data), [0, 13, 51, 70]);
});

test('antialiased shrinking reproduces a linear ramp away from the borders', () => {
  // Normalised symmetric weights preserve linear functions: output x (1-based) equals the ramp at u = 2x - 0.5.
  const ramp = plane(64, 1, (x) => x + 1);
  const out = imresize(ramp, 32, 1);
  for (let x = 4; x < 28; x++) assert.ok(Math.abs(out.data[x] - (2 * (x + 1) - 0.5)) < 1e-4, `x=${x}: ${out.data[x]}`);
});

test('a constant image stays constant when up- or downscaled', () => {
  const flat = plane(13, 9, () => 77);
  for (const [w, h] of [[26, 18], [40, 27], [7, 5], [3, 3], [13, 30]]) {
    const out = imresize(flat, w, h);
    assert.equal(out.width, w);
    assert.equal(out.height, h);
    for (const v of out.data) assert.ok(Math.abs(v - 77) < 1e-4, `${w}x${h}: ${v}`);
  }
});

test('output sizes follow MATLAB: ceil(size * scale)', () => {
  assert.equal(scaledLength(255, 1 / 3), 85);
  assert.equal(scaledLength(510, 1 / 3), 170);
  assert.equal(scaledLength(7, 0.5), 4);
  assert.equal(scaledLength(5, 1 / 3), 2);
  const p = noise(7, 5, 3);
  const down = imresizeScale(p, 0.5);
  assert.deepEqual([down.width, down.height], [4, 3]);
  const up = imresizeScale(p, 3);
  assert.deepEqual([up.width, up.height], [21, 15]);
});

test('a one-pixel-wide input upscales to constant rows', () => {
  const column = plane(1, 6, (_x, y) => [10, 200, 30, 90, 90, 0][y]);
  const out = imresize(column, 4, 12);
  const columnOnly = imresize(column, 1, 12);
  for (let y = 0; y < 12; y++) {
    for (let x = 0; x < 4; x++) assert.ok(Math.abs(out.data[y * 4 + x] - columnOnly.data[y]) < 1e-4);
  }
  assert.ok(out.data.some((v) => v !== out.data[0]), 'the column itself must still vary');
  const single = imresize(plane(1, 1, () => 42), 3, 3);
  assert.deepEqual(Array.from(single.data), Array(9).fill(42));
});

test('with quantization the dimension with the smaller scale is resized first', () => {
  const p = noise(40, 30, 11);
  // scaleX = 0.5 < scaleY = 0.8: columns first, then rows, each pass rounded.
  const combined = imresize(p, 20, 24, { quantize: 8 });
  const columnsThenRows = imresize(imresize(p, 20, 30, { quantize: 8 }), 20, 24, { quantize: 8 });
  const rowsThenColumns = imresize(imresize(p, 40, 24, { quantize: 8 }), 20, 24, { quantize: 8 });
  assert.deepEqual(combined.data, columnsThenRows.data);
  assert.notDeepEqual(combined.data, rowsThenColumns.data);
  // Equal scales: rows first.
  const square = imresize(p, 20, 15, { quantize: 8 });
  assert.deepEqual(square.data, imresize(imresize(p, 40, 15, { quantize: 8 }), 20, 15, { quantize: 8 }).data);
  for (const v of combined.data) assert.ok(Number.isInteger(v) && v >= 0 && v <= 255);
});

test('16-bit rasters are resized per channel and clipped to 65535', () => {
  const width = 6;
  const height = 4;
  const data = new Uint16Array(width * height * 2);
  for (let i = 0; i < width * height; i++) {
    data[i * 2] = i % 2 ? 65535 : 0; // alternating: the cubic overshoots past both ends
    data[i * 2 + 1] = 40000;
  }
  const out = imresizeRaster({ data, width, height, channels: 2, bitDepth: 16 }, 12, 8);
  assert.ok(out.data instanceof Uint16Array);
  assert.equal(out.data.length, 12 * 8 * 2);
  let sawTop = false;
  for (let i = 0; i < 12 * 8; i++) {
    assert.equal(out.data[i * 2 + 1], 40000);
    if (out.data[i * 2] === 65535) sawTop = true;
  }
  assert.ok(sawTop);
});

test('modcrop trims the bottom and right edges to multiples of the scale', () => {
  const data = new Uint8Array(5 * 4 * 3).map((_, i) => i);
  const cropped = modcrop({ data, width: 5, height: 4, channels: 3, bitDepth: 8 }, 3);
  assert.deepEqual([cropped.width, cropped.height], [3, 3]);
  assert.deepEqual(Array.from(cropped.data.subarray(9, 18)), Array.from(data.subarray(15, 24)));
  const p = modcropPlane(plane(5, 3, (x, y) => y * 10 + x), 2);
  assert.deepEqual(Array.from(p.data), [0, 1, 2, 3, 10, 11, 12, 13]);
  assert.throws(() => modcrop({ data: new Uint8Array(2), width: 2, height: 1, channels: 1, bitDepth: 8 }, 3), /smaller than the scale/);
});

test('bad sizes get clear errors', () => {
  const p = plane(4, 4, () => 1);
  assert.throws(() => imresize(p, 0, 4), /output width must be a positive integer/);
  assert.throws(() => imresize(p, 4, 2.5), /output height must be a positive integer/);
  assert.throws(() => imresize({ data: new Float32Array(3), width: 2, height: 2 }, 4, 4), /expected 2x2/);
  assert.throws(() => imresizeScale(p, -1), /scale must be a positive number/);
});
